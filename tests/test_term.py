"""A term with nbgrader's own exchange, end to end, every step a real nbgrader command.

release_assignment -> students fetch_assignment and submit (one resubmits, one is late) ->
collect -> gan-lab autograde -> written answers scored by hand (nbgrader's API, as formgrader
does) -> generate_feedback -> release_feedback -> students fetch_feedback -> gan-lab grades.
"""
from __future__ import annotations

import datetime
import shutil
import time
from pathlib import Path

import nbformat
import pytest

import course_helpers
from gan_lab.course.autograde import autograde
from gan_lab.course.gradebook import open_gradebook, scores
from gan_lab.course.nbgrader_run import nbgrader

LAB = "toy_1d"
pytestmark = pytest.mark.slow


def _student(home: Path, exchange: Path, *args: str) -> str:
    """An nbgrader command run by a student in their own folder, against the course's exchange."""
    home.mkdir(parents=True, exist_ok=True)
    return nbgrader(home, *args, "--course", "gan-lab", f"--Exchange.root={exchange}",
                    f"--Exchange.cache={home / '.nbgrader-cache'}", env=course_helpers.KERNEL_ENV)


def test_a_term_from_release_to_fetched_feedback(course, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(course, root, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback"))
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    nbgrader(root, "release_assignment", LAB, "--force", env=course_helpers.KERNEL_ENV)

    alice, bob = tmp_path / "alice", tmp_path / "bob"
    for home in (alice, bob):
        _student(home, exchange, "fetch_assignment", LAB)
        assert (home / LAB / f"{LAB}.ipynb").is_file()
    solved = nbformat.writes(course_helpers.solutions(root, LAB))
    wrong = course_helpers.edit(course_helpers.solutions(root, LAB), "generator",
                                "            nn.Linear(hidden_size, output_size),\n        )",
                                "            nn.Linear(hidden_size, output_size),\n            nn.Sigmoid(),\n        )")
    # Alice hands in a wrong Generator, then the fixed one: the resubmission replaces the first.
    nbformat.write(wrong, alice / LAB / f"{LAB}.ipynb")
    _student(alice, exchange, "submit", LAB, "--student", "alice")
    (alice / LAB / f"{LAB}.ipynb").write_text(solved)
    _student(alice, exchange, "submit", LAB, "--student", "alice")
    # The deadline passes (nbgrader's own command), then Bob hands in: late.
    # The due date is the next whole second after Alice's last submission; Bob submits after it.
    due = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(seconds=1)
    nbgrader(root, "db", "assignment", "add", LAB, f"--duedate={due:%Y-%m-%d %H:%M:%S} UTC",
             env=course_helpers.KERNEL_ENV)
    time.sleep(max(0.0, (due - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 0.5)
    (bob / LAB / f"{LAB}.ipynb").write_text(solved)
    _student(bob, exchange, "submit", LAB, "--student", "bob")

    nbgrader(root, "collect", LAB, env=course_helpers.KERNEL_ENV)
    assert sorted(p.name for p in (root / "submitted").iterdir()) == ["alice", "bob"]
    results = {r.student: r for r in autograde(root, LAB, jobs=2, env=course_helpers.KERNEL_ENV,
                                               say=lambda _line: None)}
    assert (results["alice"].earned, results["bob"].earned) == (8.0, 8.0)  # raw points, before lateness

    with open_gradebook(root) as gradebook:  # formgrader's part: the written answers, by hand
        for student in ("alice", "bob"):
            notebook = gradebook.find_submission_notebook(LAB, LAB, student)
            for grade in notebook.grades:
                if grade.cell.cell_type == "markdown":
                    grade.manual_score, grade.needs_manual_grade = 1.0, False
        gradebook.db.commit()
        assert gradebook.find_submission(LAB, "alice").late_submission_penalty in (0, None)
        late = gradebook.find_submission(LAB, "bob")
        # The course's "zero" policy: nbgrader sets the penalty when it grades, to the autograded
        # points; the written answers, graded by hand afterwards, still count.
        assert late.total_seconds_late > 0 and late.late_submission_penalty == 8.0
    assert {c.name: c.score for c in scores(root, LAB, "alice")}["generator-tests"] == 2.0  # the fix counted

    nbgrader(root, "generate_feedback", LAB, "--force", env=course_helpers.KERNEL_ENV)
    nbgrader(root, "release_feedback", LAB, env=course_helpers.KERNEL_ENV)
    import html
    import re

    for name, home, shown in (("alice", alice, ["toy_1d (Score: 11.0 / 14.0)"]),
                              ("bob", bob, ["toy_1d (Score: 3.0 / 14.0)", "Late submission penalty (Score: -8.0)"])):
        _student(home, exchange, "fetch_feedback", LAB, "--student", name)
        pages = list((home / LAB / "feedback").rglob(f"{LAB}.html"))
        assert len(pages) == 1, (name, pages)
        page = pages[0].read_text()
        text = html.unescape(re.sub(r"<[^>]+>", "", page[page.find("<body"):]))
        assert all(line in text for line in shown) and "HIDDEN TESTS" not in text, name

    from gan_lab import cli

    out = tmp_path / "grades.csv"
    assert cli.main(["grades", LAB, "--course", str(root), "--out", str(out)]) == 0
    rows = {line.split(",")[0]: line.split(",") for line in out.read_text().splitlines()[2:]}
    assert rows["alice"][1:] == ["8", "3", "0", "11"]
    assert rows["bob"][1:] == ["8", "3", "8", "3"]
