"""Helpers for the course tests: submissions made from the solutions, graded by real nbgrader."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat

from gan_lab.course import nbgrader_run as course_tools
from gan_lab.course.gradebook import scores
from gan_lab.course.nbgrader_run import solution_submission

# Set by the ``course`` fixture: kernels read MNIST from the small prepared set, offline.
KERNEL_ENV: dict[str, str] = {}
# The labs run solved in a kernel as a student runs them (conftest.run_solved_labs). Lab 2 runs
# that way in tests/test_student_build.py, in a kernel of its student wheel's fresh venv, and
# lab 1 in JupyterLab's Run All, in its Chinese edition (tests/browser/test_jupyter_pages.py:
# the same code, and the same checks of every cell's count, errors and stderr).
SOLVED_RUN_LABS = ("gan_losses", "toy_1d")


def nbgrader(course: Path, *args: str) -> str:
    """Run nbgrader in the test course with the kernels' environment."""
    return course_tools.nbgrader(course, *args, env=KERNEL_ENV)


def submit(course: Path, lab: str, student: str, notebook) -> None:
    """Place ``notebook`` as ``student``'s submission of ``lab``."""
    target = course / "submitted" / student / lab / f"{lab}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)


def solutions(course: Path, lab: str):
    """The instructor's solutions as a student would hand them in."""
    path = course / "tmp-solutions" / f"{lab}.ipynb"
    solution_submission(course / "solutions" / lab / f"{lab}.ipynb", path)
    return nbformat.read(path, as_version=4)


def edit(notebook, grade_id: str, old: str, new: str):
    """A copy of ``notebook`` with ``old`` replaced by ``new`` in the cell ``grade_id``."""
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    assert old in cell.source, f"{old!r} not in cell {grade_id}"
    cell.source = cell.source.replace(old, new)
    return notebook


def feedback_text(course: Path, lab: str, student: str) -> str:
    """The feedback HTML as plain text (tags dropped, entities decoded)."""
    import html
    import re

    page = (course / "feedback" / student / lab / f"{lab}.html").read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", page[page.find("<body"):]))


def group_mistakes(mistakes: dict) -> list[list[str]]:
    """The mistakes in as few submissions as can hold them: no two in one submission lose points
    in the same test cell, so each still costs exactly its own, and two that edit the same cell
    (two functions of one cell, each with its own test cell) edit different text."""
    def apart(a: str, b: str) -> bool:
        (cell_a, old_a, *_), (cell_b, old_b, *_) = mistakes[a], mistakes[b]
        return cell_a != cell_b or (old_a not in old_b and old_b not in old_a)

    groups: list[list[str]] = []
    for name, (_cell, _old, _new, graded_cell, *_rest) in mistakes.items():
        for group in groups:
            if all(mistakes[other][3] != graded_cell and apart(name, other) for other in group):
                group.append(name)
                break
        else:
            groups.append([name])
    return groups


def mistake_students(mistakes: dict) -> dict[str, list[str]]:
    """Student name -> the mistakes that student's one submission holds (``group_mistakes``)."""
    return {f"mistakes-{i + 1}": group for i, group in enumerate(group_mistakes(mistakes))}


def submit_mistakes(course: Path, lab: str, mistakes: dict) -> list[str]:
    """Hand in the solutions with the mistakes, grouped; return the students who did."""
    base = solutions(course, lab)
    students = mistake_students(mistakes)
    for student, group in students.items():
        notebook = base
        for name in group:
            cell, old, new, *_rest = mistakes[name]
            notebook = edit(notebook, cell, old, new)
        submit(course, lab, student, notebook)
    return list(students)


def assert_mistakes_cost_exactly(course: Path, lab: str, mistakes: dict) -> None:
    """Each mistake lost exactly its points and its reason is in the feedback.

    ``mistakes`` maps a name to (cell grade_id, old text, new text, graded cell, expected points
    for that cell, a reason that must appear in the feedback). Mistakes in different cells, graded
    by different test cells, share a submission (``group_mistakes``), handed in by
    ``submit_mistakes`` and graded as an instructor would, by ``gan-lab autograde`` (sandboxed,
    re-checked; the ``graded_course`` fixture). Every autograded cell that no mistake touches
    must earn its full points.
    """
    for student, group in mistake_students(mistakes).items():
        cells = scores(course, lab, student)
        full = {c.name: c.score if c.manual else c.max_score for c in cells}
        expected = {**full, **{mistakes[name][3]: mistakes[name][4] for name in group}}
        got = {c.name: c.score for c in cells}
        assert got == expected, (group, got)
        text = feedback_text(course, lab, student)
        for name in group:
            assert mistakes[name][5] in text, (name, mistakes[name][5])
