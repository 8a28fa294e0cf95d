"""Course pipeline tests: real nbgrader runs (generate, autograde, feedback) in a temporary course.

Every submission is executed top to bottom by a real Jupyter kernel during autograde, in smoke
mode (nbgrader sets NBGRADER_EXECUTION, which shrinks training cells).
"""
import json
import shutil

import nbformat
import pytest

from gan_lab.course import REPO, autograded_points, labs, nbgrader, scores, solution_submission

LABS = labs()


@pytest.fixture(scope="module")
def course(tmp_path_factory, small_mnist):
    """A course directory with every lab generated from solutions/, as an instructor has it."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(REPO / "solutions", root / "solutions")
    shutil.copy(REPO / "nbgrader_config.py", root)
    for lab in LABS:
        nbgrader(root, "generate_assignment", lab, "--force")
    return root


@pytest.fixture(scope="module", autouse=True)
def offline_mnist(small_mnist):
    """Kernels find MNIST in the small prepared set instead of preparing their own."""
    mp = pytest.MonkeyPatch()
    mp.setenv("GAN_LAB_MNIST_DIR", str(small_mnist / "MNIST" / "raw"))
    mp.setenv("GAN_LAB_OFFLINE", "1")
    yield
    mp.undo()


def _submit(course, lab, student, notebook):
    target = course / "submitted" / student / lab / f"{lab}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)


def _solutions(course, lab):
    path = course / "tmp-solutions" / f"{lab}.ipynb"
    solution_submission(course / "solutions" / lab / f"{lab}.ipynb", path)
    return nbformat.read(path, as_version=4)


def _edit(notebook, grade_id, old, new):
    """A copy of ``notebook`` with ``old`` replaced by ``new`` in the cell ``grade_id``."""
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    assert old in cell.source, f"{old!r} not in cell {grade_id}"
    cell.source = cell.source.replace(old, new)
    return notebook


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


@pytest.fixture(scope="module")
def graded(course):
    """Autograde, for every lab, the instructor's solutions and the untouched release."""
    for lab in LABS:
        _submit(course, lab, "instructor", _solutions(course, lab))
        _submit(course, lab, "untouched", nbformat.read(course / "notebooks" / lab / f"{lab}.ipynb", as_version=4))
        nbgrader(course, "autograde", lab, "--force")
        nbgrader(course, "generate_feedback", lab, "--force")
    return course


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


# --------------------------------------------------------------------------- known-bad answers
MLP_MISTAKES = {
    # student: (cell, old, new, cell graded, expected points, reason shown in the feedback)
    "no-detach": ("training-steps", "fake_images = G(noise).detach()", "fake_images = G(noise)",
                  "train-discriminator-tests", 2.0, "detach the fake images"),
    "swapped-labels": ("training-steps", "real_loss = loss_func(real_output, torch.ones_like(real_output))",
                       "real_loss = loss_func(real_output, torch.zeros_like(real_output))",
                       "train-discriminator-tests", 1.0, "loss_D: expected"),
    "slope-0.2": ("discriminator", "nn.LeakyReLU(0.1),\n            nn.Linear(hidden_dim, 1)",
                  "nn.LeakyReLU(0.2),\n            nn.Linear(hidden_dim, 1)",
                  "discriminator-tests", 0.0, "different outputs"),
    "no-sigmoid": ("discriminator", "            nn.Sigmoid(),\n", "",
                   "discriminator-tests", 0.0, "is the Sigmoid missing?"),
    "wrong-width": ("generator", "nn.Linear(hidden_dim, hidden_dim)", "nn.Linear(hidden_dim, 128)",
                    "generator-tests", 0.0, "the Linear layers: expected 100->256, 256->256, 256->784"),
}


@pytest.mark.skipif("mlp_gan" not in LABS, reason="lab mlp_gan not present")
def test_typical_mlp_gan_mistakes_lose_exactly_their_points(graded):
    """Does each classic mistake lose exactly its points, with the reason in the feedback?"""
    solutions = _solutions(graded, "mlp_gan")
    for student, (cell, old, new, *_rest) in MLP_MISTAKES.items():
        _submit(graded, "mlp_gan", student, _edit(solutions, cell, old, new))
    nbgrader(graded, "autograde", "mlp_gan", "--force")
    nbgrader(graded, "generate_feedback", "mlp_gan", "--force")
    full = {c.name: c.score for c in scores(graded, "mlp_gan", "instructor")}
    for student, (_cell, _old, _new, graded_cell, points, reason) in MLP_MISTAKES.items():
        got = {c.name: c.score for c in scores(graded, "mlp_gan", student)}
        expected = {**full, graded_cell: points}
        assert got == expected, (student, got)
        feedback = (graded / "feedback" / student / "mlp_gan" / "mlp_gan.html").read_text()
        assert reason.replace(">", "&gt;") in feedback, (student, reason)
