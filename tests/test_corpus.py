"""Broken and hostile submissions, graded for real by ``gan-lab autograde --jobs 2``.

One class of toy_1d submissions (tests/corpus.py: honest mistakes, crashes, and attacks on the
grader) goes through nbgrader in sandboxed kernels and the out-of-kernel re-check. Each must
earn exactly its expected points with its reason in the feedback, leave the other students'
grades alone, and leave the gradebook, the submissions and the solutions intact.
"""
from __future__ import annotations

import sqlite3

import pytest

from corpus import CASES, FULL, LAB, SERIAL
from course_helpers import feedback_text
from gan_lab.course.gradebook import scores

pytestmark = pytest.mark.slow
BY_STUDENT = {case.student: case for case in CASES}


@pytest.fixture
def graded(graded_corpus):
    """The corpus handed in to a copy of the course and graded with two jobs (``grade_corpus``)."""
    return graded_corpus


@pytest.mark.parametrize("student", list(BY_STUDENT))
def test_each_submission_earns_exactly_its_points_with_its_reason(graded, student):
    root, table, _ = graded
    case = BY_STUDENT[student]
    got = {c.name: c.score for c in scores(root, LAB, student) if not c.manual}
    assert got == case.points, (case.what, got)
    feedback = root / "feedback" / student / LAB / f"{LAB}.html"
    shown = feedback_text(root, LAB, student) if feedback.exists() else table
    assert case.reason in shown, (case.what, case.reason)


def test_the_sandbox_blocked_every_reach_outside_the_submission(graded):
    root, _, before = graded
    text = feedback_text(root, LAB, "snoop")
    assert not [line for line in text.splitlines() if line.strip().endswith(": ALLOWED")]
    for what in ("read another student", "read a submission", "read the gradebook",
                 "read the solutions", "delete the gradebook", "delete a submission",
                 "write the solutions", "reach the network"):
        assert f"{what}: blocked" in text, what
    after = {p: p.read_bytes() for p in before if p.exists()}
    assert after == before, "a submission or a solution file changed or disappeared"


def test_parallel_grading_gives_the_same_scores_as_serial_nbgrader(graded, serial_corpus):
    """Plain serial ``nbgrader autograde`` on a copy gives the same raw scores as the 2-job run."""
    root, _, _ = graded
    for student in SERIAL:
        parallel = {c.name: c.auto for c in scores(root, LAB, student)}
        assert {c.name: c.auto for c in scores(serial_corpus, LAB, student)} == parallel, student


def test_the_gradebook_is_intact_and_holds_every_student(graded):
    root, _, _ = graded
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    for case in CASES:  # a row for every test cell of every student, even the crashed ones
        assert {c.name for c in scores(root, LAB, case.student) if not c.manual} == set(FULL)


def test_huge_output_is_capped_in_the_feedback(graded):
    root, _, _ = graded
    page = root / "feedback" / "stderr_spam" / LAB / f"{LAB}.html"
    assert page.stat().st_size < 2_000_000, page.stat().st_size


def test_the_table_names_the_recheck_the_holds_and_the_audit_findings(graded):
    _, table, _ = graded
    rows = {line.split()[0]: line for line in table.splitlines() if line.strip() and not line.startswith("[")}
    assert "HELD" not in rows["good"] and "clean" in rows["good"] and "HELD" not in rows["honest_wrong"]
    for tampered in ("edited_test", "edited_locked", "duplicated", "patch_checks", "delegation"):
        assert "gan-lab audit" in rows[tampered], rows[tampered]
    for held in ("patch_checks", "attack_signer", "attack_swallow", "attack_code", "attack_closure",
                 "attack_gc", "attack_modules", "segfault"):
        assert f"HELD for review (gan-lab release-hold {LAB} {held})" in rows[held], rows[held]
    assert "generator-tests" in rows["attack_hidden"]  # zeroed by the re-check, not held
    assert "the re-check took" in table


def test_an_instructor_releases_a_hold_and_the_honest_points_come_back(corpus_follow_ups):
    """After review, release-hold gives back what the code earned honestly, rewrites the
    feedback, and a re-grade of the unchanged notebook does not hold it again."""
    steps = corpus_follow_ups["release"]
    done = steps["released"]
    assert done.returncode == 0, done.stdout + done.stderr
    expected = {**FULL, "generator-tests": 0.0}  # the wrong Generator still costs its 2 points
    assert steps["scores"] == expected
    assert "held for review" not in steps["feedback"]
    again = steps["again"]
    assert again.returncode == 0 and "HELD" not in again.stdout, again.stdout
    assert steps["scores_again"] == expected
    refused = steps["refused"]
    assert refused.returncode == 1 and "not held for review" in refused.stderr


def test_an_unchanged_submission_is_not_regraded_and_a_changed_one_is(corpus_follow_ups):
    """gan-lab autograde skips what it graded before, byte for byte, under the same tests."""
    steps = corpus_follow_ups["regrade"]
    done = steps["unchanged"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 submission(s) unchanged since they were graded: not regraded" in done.stdout
    rows = {line.split()[0]: line for line in done.stdout.splitlines() if line.startswith(("good ", "honest_wrong "))}
    assert "unchanged" in rows["good"] and "8 / 8" in rows["good"] and "6 / 8" in rows["honest_wrong"]
    assert steps["after"] == steps["before"]  # the feedback page untouched, the scores the same
    again = steps["changed"]
    assert again.returncode == 0 and "unchanged" not in again.stdout, again.stdout
    assert "good: graded and re-checked" in again.stdout and steps["page_after_change"] != steps["before"][0]
