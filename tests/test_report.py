"""``gan-lab report`` on a graded class (the graded course: every lab's solutions, untouched
release and planted mistakes, graded by ``gan-lab autograde``): the page's numbers are the
gradebook's, and every planted mistake is reported under its key, for the student who made it."""
from __future__ import annotations

import csv
import importlib

import pytest

import course_helpers
from gan_lab.course.gradebook import scores
from gan_lab.course.nbgrader_run import labs
from gan_lab.course.report import analysis
from gan_lab.course.report.collect import collect_lab
from gan_lab.grading.mistakes import MISTAKES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(graded_course, tmp_path_factory):
    from gan_lab.course.report.page import write_report

    out = tmp_path_factory.mktemp("report")
    lines: list[str] = []
    page = write_report(graded_course, labs(), out, say=lines.append)
    return page, lines


def test_every_number_is_the_gradebooks(graded_course, report):
    """Does each submission's every test cell carry the gradebook's score, and do the per-test
    counts and the CSV files add up to the class?"""
    page, lines = report
    for lab in labs():
        results = collect_lab(graded_course, lab)
        students = sorted(p.name for p in (graded_course / "submitted").iterdir() if (p / lab).is_dir())
        assert [s.student for s in results.submissions] == students
        for submission in results.submissions:
            cells = scores(graded_course, lab, submission.student)
            assert {o.cell: o.score for o in submission.outcomes} == {c.name: c.score for c in cells if not c.manual}
        counts = analysis.todo_counts(results)
        with open(page.parent / f"tests-{lab}.csv", newline="") as handle:
            rows = {row["test cell"]: row for row in csv.DictReader(handle)}
        for cell, points in results.cells:
            full = sum(next(o for o in s.outcomes if o.cell == cell).score == points for s in results.submissions)
            assert counts[cell]["passed"] == full == int(rows[cell]["passed"])
            assert sum(counts[cell].values()) == len(students)
        instructor = next(s for s in results.submissions if s.student == "instructor")
        untouched = next(s for s in results.submissions if s.student == "untouched")
        assert all(o.status == "passed" and not o.keys for o in instructor.outcomes)
        assert all(o.status == "unfinished" for o in untouched.outcomes), [(o.cell, o.status) for o in untouched.outcomes]
        assert any(line.startswith(f"[{lab}] report: {len(students)} submission(s)") for line in lines)
        assert any(line.startswith(f"[{lab}] similarity:") for line in lines)
    text = page.read_text()
    assert "<img" in text and "data:image/png;base64," in text and "http://" not in text.split("<body>")[1].split("copydetect")[0]


@pytest.mark.parametrize("lab", ["mlp_gan", "dcgan", "gan_losses", "toy_1d"])
def test_each_planted_mistake_is_reported_under_its_key_for_its_student(graded_course, report, lab):
    mistakes = importlib.import_module(f"test_course_{lab}").MISTAKES
    results = {s.student: s for s in collect_lab(graded_course, lab).submissions}
    counted = {m.key: set(m.students) for m in analysis.mistakes(collect_lab(graded_course, lab))}
    for student, group in course_helpers.mistake_students(mistakes).items():
        for name in group:
            _cell, _old, _new, graded_cell, _points, _reason, key = mistakes[name]
            outcome = next(o for o in results[student].outcomes if o.cell == graded_cell)
            if key is None:  # a correct answer that warns: no mistake
                assert outcome.status == "passed", (name, outcome)
                continue
            assert key in MISTAKES, key
            assert key in outcome.keys, (name, outcome)
            assert student in counted[key], (name, counted.get(key))
    with open(report[0].parent / "mistakes.csv", newline="") as handle:
        listed = {(row["lab"], row["key or test cell"]) for row in csv.DictReader(handle) if row["kind"] == "named"}
    assert {(lab, key) for key in counted} <= listed
