"""Course pipeline tests: real nbgrader runs (generate, autograde, feedback) in a temporary course.

Every submission is executed top to bottom by a real Jupyter kernel during autograde, in smoke
mode (nbgrader sets NBGRADER_EXECUTION, which shrinks training cells).
"""
import json

import nbformat
import pytest

from gan_lab.course.gradebook import autograded_points, scores
from gan_lab.course.nbgrader_run import REPO, labs

LABS = labs()


@pytest.mark.parametrize("lab", LABS)
def test_committed_release_matches_a_fresh_generation(course, lab):
    """Does notebooks/ hold exactly what nbgrader generates from solutions/ now?"""
    fresh = json.loads((course / "notebooks" / lab / f"{lab}.ipynb").read_text())
    committed = json.loads((REPO / "notebooks" / lab / f"{lab}.ipynb").read_text())
    assert committed == fresh, f"notebooks/{lab} is stale: run `nbgrader generate_assignment {lab} --force`"


@pytest.mark.parametrize("lab", LABS)
def test_release_has_no_solutions_hidden_tests_or_outputs(course, lab):
    """Is the student release free of solutions, hidden tests and stored outputs?"""
    text = (REPO / "notebooks" / lab / f"{lab}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "gan_lab.grading" not in text
    notebook = nbformat.reads(text, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")


@pytest.fixture(scope="session")
def graded(graded_course):
    """Every lab's solutions and untouched release, graded (see ``graded_course``)."""
    return graded_course


@pytest.mark.parametrize("lab", LABS)
def test_solutions_score_full_marks(graded, lab):
    """Do the instructor's solutions earn every autograded point?"""
    cells = scores(graded, lab, "instructor")
    earned, available = autograded_points(cells)
    assert available > 0 and earned == available, [c for c in cells if not c.manual]


@pytest.mark.parametrize("lab", LABS)
def test_untouched_release_scores_zero_without_crashing(graded, lab):
    """Does the release as handed out score zero, with feedback written?"""
    earned, available = autograded_points(scores(graded, lab, "untouched"))
    assert available > 0 and earned == 0
    assert (graded / "feedback" / "untouched" / lab / f"{lab}.html").is_file()


@pytest.mark.parametrize("lab", LABS)
def test_feedback_shows_no_hidden_test(graded, lab):
    """Does the feedback page keep the hidden tests' code out, failed or passed?"""
    from course_helpers import feedback_text

    for student in ("instructor", "untouched"):
        text = feedback_text(graded, lab, student)
        assert "HIDDEN TESTS" not in text and "gan_lab.grading" not in text and ".check_" not in text
    assert "NotImplementedError" in feedback_text(graded, lab, "untouched")


def test_the_same_submission_graded_twice_gets_identical_scores_and_feedback(graded_twice):
    """Is grading deterministic: the same notebook, autograded twice, same scores and feedback?
    (``grade_twice`` in tests/conftest.py grades it, in the background.)"""
    runs = graded_twice
    assert runs[0][0] == runs[1][0]
    assert dict(runs[0][0])["train-discriminator-tests"] == 2.0
    assert runs[0][1] == runs[1][1]
