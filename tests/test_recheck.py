"""The out-of-kernel re-check: only definitions run, genuine checks judge them, tampering fails."""
from __future__ import annotations

import json

import pytest

from gan_lab.course.nbgrader_run import REPO
from gan_lab.grading import seal
from gan_lab.course.recheck import hidden_tests, parse_report, recheck, student_definitions

TOY = REPO / "solutions" / "toy_1d" / "toy_1d.ipynb"
TOY_TESTS = ["get-distribution-sampler-tests", "get-generator-input-sampler-tests", "generator-tests",
             "discriminator-tests", "decorate-with-diffs-tests"]
SIGMOID_OUT = ("            nn.Linear(hidden_size, output_size),\n        )",
               "            nn.Linear(hidden_size, output_size),\n            nn.Sigmoid(),\n        )")


@pytest.fixture(autouse=True)
def fresh_seal(monkeypatch):
    """Each re-check arms the seal in its own process; here, in a fresh state per test."""
    monkeypatch.setattr(seal, "_state", {})


def _toy(change=None, first_cell=None) -> dict:
    notebook = json.loads(TOY.read_text())
    if change:
        grade_id, old, new = change
        cell = next(c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
        source = "".join(cell["source"])
        assert old in source
        cell["source"] = source.replace(old, new)
    if first_cell:
        notebook["cells"].insert(0, {"cell_type": "code", "metadata": {}, "outputs": [],
                                     "execution_count": None, "source": first_cell})
    return notebook


def test_only_definitions_are_kept():
    source = student_definitions(["""
import torch
from torch import nn
SIZE = 100
POINTS = [(-1, 2), (1, -2)]
device = get_device()
print("training")
for i in range(3):
    train()
seal_patch()

@staticmethod
def fine(x, y=SIZE, z=nn.ReLU):
    return x

@some_patch
def decorated(x):
    return x

def sneaky(x=steal()):
    return x

class Net(nn.Module):
    '''doc'''
    WIDTH = 50
    steal_in_body()

    def forward(self, x):
        return x

class Meta(nn.Module, metaclass=Evil):
    pass
"""])
    kept = [line for line in source.splitlines() if line.strip()]
    assert "import torch" in kept and "from torch import nn" in kept
    assert "SIZE = 100" in kept and "POINTS = [(-1, 2), (1, -2)]" in kept
    assert "def fine(x, y=SIZE, z=nn.ReLU):" in kept and "class Net(nn.Module):" in kept
    assert "    WIDTH = 50" in kept and "    def forward(self, x):" in kept
    for dropped in ("get_device", "print", "for i", "seal_patch", "decorated", "sneaky", "steal",
                    "Meta", "Evil"):
        assert not any(dropped in line for line in kept), dropped


def test_hidden_test_lines_are_found():
    assert hidden_tests("x = 1\n### BEGIN HIDDEN TESTS\nfrom a import b\nb.check(x)\n### END HIDDEN TESTS\n"
                        "assert x") == "from a import b\nb.check(x)\n"
    assert hidden_tests("assert True") == ""


def test_the_solutions_pass_every_recheck():
    results = recheck(_toy(), TOY_TESTS)
    assert {grade_id: verdict["passed"] for grade_id, verdict in results.items()} == dict.fromkeys(TOY_TESTS, True)


def test_a_wrong_answer_fails_even_when_the_kernel_replaced_every_check():
    """The issue's attack: top-level code that replaces the checks never runs in the re-check."""
    attack = ("import sys\n_seal = sys.modules['gan_lab.grading.seal']\n"
              "from gan_lab.grading import toy_1d as _g\n"
              "for _name in [n for n in dir(_g) if n.startswith('check_')]:\n"
              "    setattr(_g, _name, lambda *a, **k: None)\n")
    results = recheck(_toy(("generator", *SIGMOID_OUT), first_cell=attack), TOY_TESTS)
    assert not results["generator-tests"]["passed"]
    assert "Generator" in results["generator-tests"]["message"]
    assert all(results[cell]["passed"] for cell in TOY_TESTS if cell != "generator-tests")


def test_a_student_function_that_patches_the_grader_when_called_fails_the_check(monkeypatch):
    from gan_lab.grading import toy_1d

    # The re-check runs here, in this process: put the genuine check back for the later tests.
    monkeypatch.setattr(toy_1d, "check_discriminator", toy_1d.check_discriminator)
    patched = ("    def forward(self, x):\n"
               "        import sys\n"
               "        sys.modules['gan_lab.grading.toy_1d'].check_discriminator = lambda *a, **k: None\n")
    results = recheck(_toy(("discriminator", "    def forward(self, x):\n", patched)), TOY_TESTS)
    assert not results["discriminator-tests"]["passed"]
    assert "changed the grader" in results["discriminator-tests"]["message"]
    assert not results["decorate-with-diffs-tests"]["passed"], "no check after tampering is trusted"


def test_a_cell_without_hidden_tests_is_not_trusted():
    notebook = _toy()
    cell = next(c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "generator-tests")
    cell["source"] = "assert True"
    assert not recheck(notebook, ["generator-tests"])["generator-tests"]["passed"]


@pytest.mark.parametrize("text, ok", [
    ('{"a": {"passed": true, "points": null, "message": ""}}\n', True),
    ('{"a": {"passed": true, "points": null, "message": ""}}\n{"a": {"passed": true}}\n', False),
    ('{"b": {"passed": true, "points": null, "message": ""}}\n', False),
    ('{"a": {"passed": "yes"}}\n', False),
    ("not json\n", False),
    ("", False),
])
def test_a_report_counts_only_when_it_is_exactly_one_verdict_per_cell(text, ok):
    assert (parse_report(text, ["a"]) is not None) == ok


def test_the_recheck_runs_sandboxed_and_reports_through_its_descriptor(tmp_path):
    """The process autograde starts: bubblewrap (where it is installed), a report on an fd."""
    from gan_lab.course.autograde import run_recheck

    path = tmp_path / "graded.ipynb"
    path.write_text(json.dumps(_toy(("generator", *SIGMOID_OUT))))
    verdicts = run_recheck(path, ["generator-tests", "discriminator-tests"], {})
    assert verdicts is not None
    assert not verdicts["generator-tests"]["passed"] and verdicts["discriminator-tests"]["passed"]
