"""nbgrader's own commands, run from Python in a course folder, with their output on failure.

An instructor can run the same nbgrader commands by hand from the repository root (see the
README); ``gan-lab autograde`` and the demo run them through ``nbgrader()``, which forks each
from a process that has imported nbgrader already (``gan_lab.course.nbgrader_host``) instead of
starting a fresh ``python -m nbgrader``: the same command, exit code and output, without 1.1
CPU-seconds of imports per command.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from gan_lab.errors import UsageError
from gan_lab.labcode import student_source

REPO = Path(__file__).resolve().parents[2]


class CourseError(UsageError):
    """The course folder is not ready for the command, or an nbgrader step failed; the message
    says which, with nbgrader's output."""


def labs(source: Path = REPO / "solutions") -> list[str]:
    """Every lab (nbgrader assignment) in the source folder, sorted."""
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").is_file())


def nbgrader(course_dir: Path, *args: str, env: dict[str, str] | None = None,
             strict: bool = True) -> str:
    """Run one nbgrader command in ``course_dir``; raise with its output when it fails.

    ``env`` adds environment variables for nbgrader and the kernels it starts. nbgrader logs a
    cell timeout as an error and still grades, so ``strict=False`` judges by the exit code only.
    """
    from gan_lab.course import nbgrader_host

    bin_dir = str(Path(sys.executable).parent)  # nbgrader calls alembic from PATH
    env = {**os.environ, **(env or {}), "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    # As `python -m nbgrader ARGS`, forked from a process that imported nbgrader once.
    returncode, stdout, stderr = nbgrader_host.run(args, Path(course_dir).resolve(), env)
    output = stdout + stderr
    logged_error = "[ERROR]" in output or "| ERROR]" in output
    if returncode != 0 or (strict and logged_error):
        raise CourseError(f"nbgrader {' '.join(args)} failed (exit {returncode}):\n{output[-4000:]}")
    return output


def solution_submission(source: Path, destination: Path) -> None:
    """The instructor's solutions as a student would hand them in: markers and hidden tests gone."""
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        cell.source = student_source(cell.source)
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, destination)
