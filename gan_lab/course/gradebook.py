"""The course's gradebook: where it is (SQLite or a database server), and the scores in it.

``nbgrader_config.py`` names the gradebook (``c.CourseDirectory.db_url``): SQLite in the course
folder by default, or a PostgreSQL server, which several graders or machines need. Everything
in gan_lab opens it through ``open_gradebook``, so both work the same.
"""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path


_SQLITE = "sqlite:///"


@functools.lru_cache(maxsize=32)
def _configured_url(config_file: str, mtime_ns: int) -> str:
    from traitlets.config.loader import PyFileConfigLoader

    path = Path(config_file)
    config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    return config.CourseDirectory.db_url if "db_url" in config.CourseDirectory else ""


def gradebook_url(course_dir: Path) -> str:
    """The database URL of the course's gradebook, as its ``nbgrader_config.py`` sets it
    (a relative SQLite path is the course folder's, as when nbgrader runs there)."""
    course_dir = Path(course_dir).resolve()
    config_file = course_dir / "nbgrader_config.py"
    url = _configured_url(str(config_file), config_file.stat().st_mtime_ns) if config_file.is_file() else ""
    if not url:
        return f"{_SQLITE}{course_dir / 'gradebook.db'}"
    if url.startswith(_SQLITE) and not url[len(_SQLITE):].startswith("/"):
        return f"{_SQLITE}{course_dir / url[len(_SQLITE):]}"
    return url


def open_gradebook(course_dir: Path):
    """nbgrader's ``Gradebook`` of the course, as a context manager."""
    from nbgrader.api import Gradebook

    return Gradebook(gradebook_url(course_dir))


def require_gradebook(course_dir: Path, lab: str) -> None:
    """A clear error (``CourseError``) unless the course's gradebook opens and holds ``lab``."""
    from nbgrader.api import MissingEntry
    from sqlalchemy.exc import SQLAlchemyError

    from gan_lab.course.nbgrader_run import CourseError

    url = gradebook_url(course_dir)
    if url.startswith(_SQLITE) and not Path(url[len(_SQLITE):]).is_file():
        raise CourseError(f"{course_dir} has no gradebook ({url}) yet: run `nbgrader generate_assignment "
                         f"{lab}` there first")
    try:
        with open_gradebook(course_dir) as gradebook:
            gradebook.find_assignment(lab)
    except MissingEntry:
        raise CourseError(f"{lab} is not in the gradebook ({url}): run `nbgrader generate_assignment "
                         f"{lab}` first") from None
    except SQLAlchemyError as error:
        raise CourseError(f"cannot open the gradebook {url}: {error.__class__.__name__}: "
                         f"{str(error).splitlines()[0]}") from None


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
