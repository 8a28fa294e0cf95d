"""The instructor's side of the course: nbgrader's release, autograde and feedback, scripted.

Used by the course tests and by ``make demo``; an instructor can run the same nbgrader
commands by hand from the repository root (see the README).
"""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
_HIDDEN = re.compile(r"^\s*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\s*$\n?", re.S | re.M)


class CourseError(RuntimeError):
    """An nbgrader step failed; the message carries its output."""


def labs(source: Path = REPO / "solutions") -> list[str]:
    """Every lab (nbgrader assignment) in the source folder, sorted."""
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").is_file())


def nbgrader(course_dir: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run one nbgrader command in ``course_dir``; raise with its output when it fails.

    ``env`` adds environment variables for nbgrader and the kernels it starts.
    """
    bin_dir = str(Path(sys.executable).parent)  # nbgrader calls alembic from PATH
    env = {**os.environ, **(env or {}), "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=env,
                          capture_output=True, text=True)
    output = done.stdout + done.stderr
    if done.returncode != 0 or "[ERROR]" in output or "| ERROR]" in output:
        raise CourseError(f"nbgrader {' '.join(args)} failed (exit {done.returncode}):\n{output[-4000:]}")
    return output


def solution_submission(source: Path, destination: Path) -> None:
    """The instructor's solutions as a student would hand them in: markers and hidden tests gone."""
    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        text = _HIDDEN.sub("", cell.source)
        cell.source = "\n".join(line for line in text.splitlines() if not _MARKERS.match(line)).rstrip()
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, destination)


@dataclasses.dataclass(frozen=True)
class CellScore:
    name: str
    score: float | None  # None: waiting for manual grading
    max_score: float
    manual: bool  # a written answer, graded by hand in formgrader


def scores(course_dir: Path, lab: str, student: str) -> list[CellScore]:
    """Per-cell scores from the gradebook after autograde."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(lab, lab, student)
        return [CellScore(g.cell.name, g.auto_score, g.max_score, g.cell.cell_type == "markdown")
                for g in notebook.grades]


def autograded_points(cells: list[CellScore]) -> tuple[float, float]:
    """(points earned, points available) over the autograded cells only."""
    auto = [c for c in cells if not c.manual]
    return sum(c.score or 0.0 for c in auto), sum(c.max_score for c in auto)
