"""The static tamper and delegation audit: small notebooks in memory, then real releases."""
import json
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_helpers import edit, solutions, submit
from gan_lab.course.audit import Finding, audit_lab, audit_submission, format_audit
from gan_lab.course.nbgrader_run import labs


# --------------------------------------------------------------------------- in memory
def _cell(grade_id, source, *, code=True, locked=False, solution=False, points=None):
    cell = (new_code_cell if code else new_markdown_cell)(source)
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "locked": locked, "solution": solution,
                                 "grade": points is not None, "schema_version": 3, "task": False}
    if points is not None:
        cell.metadata.nbgrader["points"] = points
    return cell


def _release():
    return new_notebook(cells=[
        _cell("intro", "# A lab", code=False, locked=True),
        _cell("imports", "import os\nimport sys\nimport torch\nimport gan_lab\n"
                         "from gan_lab.plotting import show_images", locked=True),
        _cell("answer", "def double(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
              solution=True),
        _cell("answer-tests", "assert double(2) == 4\nassert double(0) == 0\nprint('ok')",
              locked=True, points=2),
        _cell("essay", "YOUR ANSWER HERE", code=False, solution=True, points=1),
    ])


def _copy(notebook):
    return nbformat.from_dict(json.loads(json.dumps(notebook)))


def _answered(source="def double(x):\n    return 2 * x"):
    notebook = _copy(_release())
    notebook.cells[2].source = source
    notebook.cells[4].source = "Because the discriminator saturates."
    return notebook


def _kinds(findings):
    return {(f.kind, f.cell) for f in findings}


def test_an_honest_answer_has_no_findings():
    """Are answered TODOs, written answers and whitespace changes in locked cells left alone?"""
    notebook = _answered("import torch\nfrom gan_lab.data import latent_noise\n"
                         "from gan_lab import plotting\n\n"
                         "def double(x):\n    self_model = gan_lab.device.get_device()\n"
                         "    torch.manual_seed(0)\n    return 2 * x\n%matplotlib inline")
    notebook.cells[3].source += "   \n\n"  # trailing whitespace only
    assert audit_submission(_release(), notebook) == []


def test_deleted_and_duplicated_cells():
    """Is a missing grade_id a deleted cell, and a repeated one a duplicate?"""
    notebook = _answered()
    del notebook.cells[3]
    notebook.cells.append(_copy(notebook.cells[2]))
    findings = audit_submission(_release(), notebook)
    assert _kinds(findings) == {("deleted-cell", "answer-tests"), ("duplicate-cell", "answer")}
    assert "appears 2 times" in next(f.detail for f in findings if f.kind == "duplicate-cell")


def test_edited_locked_test_cell_counts_the_lines():
    """Does an edited test cell name the cell and how many lines differ?"""
    notebook = _answered()
    notebook.cells[3].source = "assert True\nassert True\nprint('ok')"
    assert audit_submission(_release(), notebook) == [
        Finding("edited-locked-cell", "answer-tests",
                "cell answer-tests: locked test cell edited (2 lines differ)")]


def test_edited_locked_markdown_cell():
    """Is a locked prose cell checked as well as code?"""
    notebook = _answered()
    notebook.cells[0].source = "# My lab"
    [finding] = audit_submission(_release(), notebook)
    assert finding.detail == "cell intro: locked cell edited (1 line differs)"


def test_changed_metadata_names_the_flag():
    """Are raised points and unlocked cells reported with old and new values?"""
    notebook = _answered()
    notebook.cells[3].metadata.nbgrader["points"] = 20
    notebook.cells[1].metadata.nbgrader["locked"] = False
    findings = audit_submission(_release(), notebook)
    assert _kinds(findings) == {("changed-metadata", "answer-tests"), ("changed-metadata", "imports")}
    assert "points 2 -> 20" in " ".join(f.detail for f in findings)


@pytest.mark.parametrize("line, shown", [
    ("import gan_lab.models", "imports gan_lab.models"),
    ("import gan_lab.losses as L", "imports gan_lab.losses"),
    ("from gan_lab.losses import bce_loss", "imports gan_lab.losses.bce_loss"),
    ("from gan_lab import models", "imports gan_lab.models"),
    ("from gan_lab import train", "imports gan_lab.train"),
    ("G = gan_lab.models.mlp.Generator", "uses gan_lab.models.mlp.Generator"),
    ("step = gan_lab.training.discriminator_step", "uses gan_lab.training.discriminator_step"),
])
def test_delegation_to_an_answering_module(line, shown):
    """Is each way of reaching a TODO-answering part of gan_lab reported, with its line?"""
    [finding] = audit_submission(_release(), _answered(f"def double(x):\n    return 2 * x\n{line}"))
    assert (finding.kind, finding.cell) == ("delegation", "answer")
    assert f"line 3 {shown}" in finding.detail


@pytest.mark.parametrize("line, why", [
    ("from gan_lab.grading import mlp_gan", "gan_lab.grading"),
    ("gan_lab.grading.core.check = lambda f: f", "uses the grader"),
    ("sys.modules['gan_lab.grading'] = None", "sys.modules"),
    ("import gc; gc.get_objects()", "gc"),
    ("import ctypes", "ctypes"),
    ("frame = sys._getframe(1)", "stack frames"),
    ("inspect.currentframe().f_back", "stack frames"),
    ("double.__code__ = (lambda x: x).__code__", "__code__"),
    ("double.__closure__[0].cell_contents = 3", "__closure__"),
    ("g = getattr(double, '__wrapped__', double)", "'__wrapped__'"),
    ("double.__globals__['x'] = 1", "__globals__"),
])
def test_code_that_touches_the_grader_is_its_own_hold_worthy_kind(line, why):
    """Is code that reaches the grader, sys.modules, gc, ctypes, frames or function internals
    reported as touches-grader, the kind that holds points?"""
    from gan_lab.course.audit import HOLD_KINDS

    findings = audit_submission(_release(), _answered(f"def double(x):\n    return 2 * x\n{line}"))
    grader = [f for f in findings if f.kind == "touches-grader"]
    assert [f.cell for f in grader] == ["answer"] and "touches-grader" in HOLD_KINDS
    assert "line 3" in grader[0].detail and why in grader[0].detail


@pytest.mark.parametrize("line, why", [
    ("gan_lab.grading.core.check = lambda f: f", "patches an imported module"),
    ("torch.allclose = lambda *a, **k: True", "assigns torch.allclose: patches an imported module"),
    ("setattr(torch, 'allclose', None)", "setattr on torch"),
    ("import builtins", "builtins"),
    ("os._exit(0)", "os._exit"),
    ("sys.exit(0)", "sys.exit"),
    ("import subprocess", "subprocess"),
    ("from socket import socket", "socket"),
    ("open('/etc/passwd').read()", "outside the working directory"),
    ("open('../grades.csv', 'w')", "outside the working directory"),
    ("__import__('gan_lab.models')", "__import__"),
    ("exec('x = 1')", "exec"),
    ("eval('1 + 1')", "eval"),
    ("!pip install cheats", "shell command"),
])
def test_suspicious_code(line, why):
    """Is code that reaches for the interpreter or the system reported?"""
    findings = audit_submission(_release(), _answered(f"def double(x):\n    return 2 * x\n{line}"))
    suspicious = [f for f in findings if f.kind == "suspicious-code"]
    assert [f.cell for f in suspicious] == ["answer"]
    assert "line 3" in suspicious[0].detail and why in suspicious[0].detail


def test_files_in_the_working_directory_are_fine():
    """Is opening a relative file inside the working directory not suspicious?"""
    assert audit_submission(_release(), _answered("open('losses.csv', 'w')\nopen('runs/a.txt')")) == []


def test_unparseable_solution_reports_the_line():
    """Is a syntax error reported with its line, and does the audit carry on?"""
    notebook = _answered("def double(x):\n    return 2 *\n")
    notebook.cells[3].source = "edited"
    findings = audit_submission(_release(), notebook)
    assert _kinds(findings) == {("unparseable", "answer"), ("edited-locked-cell", "answer-tests")}
    assert "line 2" in next(f.detail for f in findings if f.kind == "unparseable")


def test_added_cells_are_scanned_too():
    """Is a cell the student added (no nbgrader metadata) scanned, since it runs when graded?"""
    notebook = _answered()
    notebook.cells.insert(3, new_code_cell("torch.allclose = lambda *a, **k: True"))
    assert _kinds(audit_submission(_release(), notebook)) == {("suspicious-code", "#3")}


# --------------------------------------------------------------------------- real releases
@pytest.mark.parametrize("lab", labs())
def test_the_solutions_of_every_lab_audit_clean(course, lab):
    """Do the instructor's solutions, handed in as a student would, have no findings?"""
    release = nbformat.read(course / "notebooks" / lab / f"{lab}.ipynb", as_version=4)
    assert audit_submission(release, solutions(course, lab)) == []


def test_audit_of_mlp_gan_submissions(course, tmp_path):
    """Is each tampered mlp_gan submission reported for the right cell, and the clean one not?"""
    # A separate course folder: the shared one is autograded by other tests.
    shutil.copytree(course / "notebooks" / "mlp_gan", tmp_path / "notebooks" / "mlp_gan")
    base = solutions(course, "mlp_gan")
    submit(tmp_path, "mlp_gan", "clean", base)
    submit(tmp_path, "mlp_gan", "edited-test", edit(
        base, "generator-tests", "assert out.shape == (4, 784), ", "assert True or "))
    deleted = _copy(base)
    deleted.cells = [c for c in deleted.cells if c.metadata.nbgrader["grade_id"] != "discriminator-tests"]
    submit(tmp_path, "mlp_gan", "deleted", deleted)
    duplicated = _copy(base)
    duplicated.cells.insert(8, _copy(duplicated.cells[7]))
    duplicated.cells[8].id = "pasted-copy"  # Jupyter gives a pasted cell a fresh id
    submit(tmp_path, "mlp_gan", "duplicated", duplicated)
    more_points = _copy(base)
    more_points.cells[18].metadata.nbgrader["points"] = 30
    submit(tmp_path, "mlp_gan", "more-points", more_points)
    submit(tmp_path, "mlp_gan", "delegating", edit(
        base, "build-models", "def build_models(", "from gan_lab.models import mlp\n\ndef build_models("))
    submit(tmp_path, "mlp_gan", "patching", edit(
        base, "training-steps", "def train_generator(", "torch.allclose = lambda *a, **k: True\n\n"
                                                          "def train_generator("))
    submit(tmp_path, "mlp_gan", "broken", edit(base, "generator", "def forward(self, x):",
                                               "def forward(self x):"))
    submit(tmp_path, "mlp_gan", "renamed", base)
    folder = tmp_path / "submitted" / "renamed" / "mlp_gan"
    (folder / "mlp_gan.ipynb").rename(folder / "mlp_gan (1).ipynb")

    results = audit_lab(tmp_path, "mlp_gan")
    assert {student: _kinds(findings) for student, findings in results.items()} == {
        "clean": set(),
        "edited-test": {("edited-locked-cell", "generator-tests")},
        "deleted": {("deleted-cell", "discriminator-tests")},
        "duplicated": {("duplicate-cell", "generator")},
        "more-points": {("changed-metadata", "train-discriminator-tests")},
        "delegating": {("delegation", "build-models")},
        "patching": {("suspicious-code", "training-steps")},
        "broken": {("unparseable", "generator")},
        "renamed": {("missing-notebook", "-")},
    }
    assert results["edited-test"][0].detail == \
        "cell generator-tests: locked test cell edited (1 line differs)"
    assert "mlp_gan (1).ipynb" in results["renamed"][0].detail

    table = format_audit(results)
    for student, findings in results.items():
        assert student in table
        for finding in findings:
            assert finding.kind in table and finding.detail in table
    rows = [[part.strip() for part in line.split("|")] for line in table.splitlines()]
    assert ["student", "problem", "cell", "detail"] in rows and ["clean", "clean", "", ""] in rows
    assert table.splitlines()[-1] == "8 of 9 submissions with findings."
    print(table)


def test_audit_lab_without_a_release_fails_loudly(tmp_path):
    """Does a course with no generated release say which file it expected?"""
    with pytest.raises(FileNotFoundError, match="notebooks/mlp_gan/mlp_gan.ipynb"):
        audit_lab(tmp_path, "mlp_gan")


def test_unreadable_submission_is_a_finding(course, tmp_path):
    """Is a corrupt notebook file one finding rather than a crashed audit?"""
    shutil.copytree(course / "notebooks" / "mlp_gan", tmp_path / "notebooks" / "mlp_gan")
    target = tmp_path / "submitted" / "corrupt" / "mlp_gan" / "mlp_gan.ipynb"
    target.parent.mkdir(parents=True)
    target.write_text("{not json")
    assert _kinds(audit_lab(tmp_path, "mlp_gan")["corrupt"]) == {("unparseable", "-")}


def test_cli_audit_exits_one_on_findings_and_names_the_student(tmp_path, capsys, monkeypatch):
    """Does `gan-lab audit LAB` print the table and exit 1 when a submission is missing?"""
    from gan_lab.cli import main

    (tmp_path / "notebooks" / "mlp_gan").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "notebooks" / "mlp_gan" / "mlp_gan.ipynb")
    (tmp_path / "submitted" / "zoe" / "mlp_gan").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "mlp_gan"]) == 1
    out = capsys.readouterr().out
    assert "zoe" in out and "missing-notebook" in out


def test_an_answer_imported_from_a_helper_module_is_delegation():
    """gan_lab.data is a helper, but its gaussian_samples answers lab 4's sampler TODO."""
    from gan_lab.course.audit import _is_disallowed

    assert _is_disallowed("gan_lab.data.gaussian_samples")
    assert not _is_disallowed("gan_lab.data.latent_noise")
    assert not _is_disallowed("gan_lab.data")
