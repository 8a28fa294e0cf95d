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
def _configured(config_file: str, mtime_ns: int) -> tuple[str, str]:
    """(db_url, course_id) as the config file sets them ("" where it does not)."""
    from traitlets.config.loader import PyFileConfigLoader

    path = Path(config_file)
    config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    settings = config.CourseDirectory
    return (settings.db_url if "db_url" in settings else "",
            settings.course_id if "course_id" in settings else "")


def _settings(course_dir: Path) -> tuple[str, str]:
    config_file = Path(course_dir).resolve() / "nbgrader_config.py"
    return _configured(str(config_file), config_file.stat().st_mtime_ns) if config_file.is_file() else ("", "")


def gradebook_url(course_dir: Path) -> str:
    """The database URL of the course's gradebook, as its ``nbgrader_config.py`` sets it
    (a relative SQLite path is the course folder's, as when nbgrader runs there)."""
    course_dir = Path(course_dir).resolve()
    url = _settings(course_dir)[0]
    if not url:
        return f"{_SQLITE}{course_dir / 'gradebook.db'}"
    if url.startswith(_SQLITE) and not url[len(_SQLITE):].startswith("/"):
        return f"{_SQLITE}{course_dir / url[len(_SQLITE):]}"
    return url


def open_gradebook(course_dir: Path):
    """nbgrader's ``Gradebook`` of the course, as a context manager.

    It is opened under the course id the config names, as nbgrader's commands open it: the
    course's row is then already there (``generate_assignment`` added it), where a gradebook
    opened under nbgrader's default id would add a row of that id, and two opened at the same
    moment would both try to and one would fail.
    """
    from nbgrader.api import Gradebook

    course_id = _settings(course_dir)[1]
    url = gradebook_url(course_dir)
    return Gradebook(url, course_id) if course_id else Gradebook(url)


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
