"""The gradebook's scores, per cell, as ``gan-lab autograde``, the demo and the tests read them."""
from __future__ import annotations

import dataclasses
from pathlib import Path


def gradebook_url(course_dir: Path) -> str:
    """The database URL of the course's gradebook."""
    return f"sqlite:///{Path(course_dir) / 'gradebook.db'}"


def open_gradebook(course_dir: Path):
    """nbgrader's ``Gradebook`` of the course, as a context manager."""
    from nbgrader.api import Gradebook

    return Gradebook(gradebook_url(course_dir))


@dataclasses.dataclass(frozen=True)
class CellScore:
    name: str
    score: float | None  # None: waiting for manual grading
    max_score: float
    manual: bool  # a written answer, graded by hand in formgrader
    auto: float | None = None  # what nbgrader's autograde gave, before any manual score


def scores(course_dir: Path, lab: str, student: str) -> list[CellScore]:
    """Per-cell scores from the gradebook after autograde."""
    with open_gradebook(course_dir) as gradebook:
        notebook = gradebook.find_submission_notebook(lab, lab, student)
        # ``score`` is the manual score where one was given (formgrader, or gan-lab autograde's
        # seal), else the autograded one.
        return [CellScore(g.cell.name, g.score, g.max_score, g.cell.cell_type == "markdown", g.auto_score)
                for g in notebook.grades]


def autograded_points(cells: list[CellScore]) -> tuple[float, float]:
    """(points earned, points available) over the autograded cells only."""
    auto = [c for c in cells if not c.manual]
    return sum(c.score or 0.0 for c in auto), sum(c.max_score for c in auto)
