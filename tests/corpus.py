"""A corpus of broken and hostile submissions of the toy_1d lab, each with what it must earn.

Every case starts from the instructor's solutions (8 autograded points: the two samplers 1
each, the Generator, the Discriminator and decorate_with_diffs 2 each; the lab's written
answers add 6 points graded by hand, so a page shows "Score: 8.0 / 14.0") and changes one thing. ``points``
maps each test cell to the score it must get; ``reason`` must appear in the feedback page (or,
for a submission with no notebook to give feedback on, in the autograde table).
"""
from __future__ import annotations

import copy
import dataclasses
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Callable

import nbformat

LAB = "toy_1d"
FULL = {"get-distribution-sampler-tests": 1.0, "get-generator-input-sampler-tests": 1.0,
        "generator-tests": 2.0, "discriminator-tests": 2.0, "decorate-with-diffs-tests": 2.0}
ZERO = {cell: 0.0 for cell in FULL}


@dataclasses.dataclass
class Case:
    student: str
    what: str
    change: Callable  # notebook -> notebook, or -> {file name: notebook} for odd file names
    points: dict
    reason: str


def _cell(notebook, grade_id: str):
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def replace(grade_id: str, old: str, new: str) -> Callable:
    def change(notebook):
        cell = _cell(notebook, grade_id)
        assert old in cell.source, (grade_id, old)
        cell.source = cell.source.replace(old, new)
        return notebook
    return change


def prepend(code: str) -> Callable:
    """A new first cell: it runs before everything else the notebook does."""
    def change(notebook):
        notebook.cells.insert(0, nbformat.v4.new_code_cell(code))
        return notebook
    return change


def append_to(grade_id: str, code: str) -> Callable:
    def change(notebook):
        _cell(notebook, grade_id).source += "\n" + code
        return notebook
    return change


def both(*changes: Callable) -> Callable:
    def change(notebook):
        for step in changes:
            notebook = step(notebook)
        return notebook
    return change


def delete_cell(grade_id: str) -> Callable:
    def change(notebook):
        notebook.cells.remove(_cell(notebook, grade_id))
        return notebook
    return change


def duplicate_cell(grade_id: str) -> Callable:
    def change(notebook):
        cell = _cell(notebook, grade_id)
        twin = copy.deepcopy(cell)
        twin.id = uuid.uuid4().hex[:8]  # Jupyter's copy and paste gives a new id, same metadata
        notebook.cells.insert(notebook.cells.index(cell) + 1, twin)
        return notebook
    return change


def rename(name: str) -> Callable:
    return lambda notebook: {name: notebook}


# A wrong Discriminator (no Sigmoid) that only a patched grader would pass.
NO_SIGMOID = replace("discriminator", "            nn.Sigmoid(),\n", "")
# A wrong Generator (a Sigmoid on its output): 2 points lost, honestly graded.
SIGMOID_OUT = replace("generator", "            nn.Linear(hidden_size, output_size),\n        )",
                      "            nn.Linear(hidden_size, output_size),\n            nn.Sigmoid(),\n        )")
HELD = "held for review"
# The attack of the tampering issue: every check replaced by one that emits a receipt through
# the grader's own signer (which no longer exists: the attack now breaks at its first call).
SIGNER_ATTACK = prepend(
    "import sys\n"
    "_seal = sys.modules['gan_lab.grading.seal']\n"
    "from gan_lab.grading import toy_1d as _g\n"
    "for _name in [n for n in dir(_g) if n.startswith('check_')]:\n"
    "    _inner = getattr(getattr(_g, _name), '__wrapped__', getattr(_g, _name))\n"
    "    def _fake(*a, _n=f'{_inner.__module__}.{_inner.__qualname__}', **k):\n"
    "        _seal.issue_receipt(_n, None)\n"
    "    setattr(_g, _name, _fake)")
# Its variants, each with the same wrong Generator.
SWALLOW_FAILURES = prepend(
    "import gan_lab.grading.toy_1d as _g\n"
    "def _swallow(check):\n"
    "    def run(*a, **k):\n"
    "        try:\n"
    "            return check(*a, **k)\n"
    "        except Exception:\n"
    "            return None\n"
    "    return run\n"
    "_g.check_generator = _swallow(_g.check_generator)")
CODE_SWAP = prepend(
    "from gan_lab.grading import toy_1d as _g\n"
    "_g.check_generator.__wrapped__.__code__ = (lambda Generator: None).__code__")
CLOSURE_CELL = prepend(
    "from gan_lab.grading import toy_1d as _g\n"
    "_g.check_generator.__closure__[0].cell_contents = lambda *a, **k: None")
GC_SIGNER = prepend(
    "import gc\n"
    "_found = [o for o in gc.get_objects() if callable(o) and getattr(o, '__name__', '') in "
    "('issue_receipt', 'sign')]\n"
    "print('signers found:', len(_found))")
SYS_MODULES_SWAP = prepend(
    "import sys, types\n"
    "_fake = types.ModuleType('gan_lab.grading.toy_1d')\n"
    "_fake.check_generator = lambda *a, **k: None\n"
    "sys.modules['gan_lab.grading.toy_1d'] = _fake")
# The same patch with the grader's name hidden from the static audit: only the re-check sees it.
OBFUSCATED_PATCH = prepend(
    "_m = __import__('gan_lab.' + 'grad' + 'ing.toy_1d', fromlist=['x'])\n"
    "setattr(_m, 'check_' + 'generator', lambda *a, **k: None)")
PATCH_ALL_CHECKS = prepend(
    "import gan_lab.grading.toy_1d as grader\n"
    "for name in dir(grader):\n"
    "    if name.startswith('check_'):\n"
    "        setattr(grader, name, lambda *args, **kwargs: None)")
# Paths a kernel could reach from <course>/autograded/<student>/toy_1d without a sandbox.
SNOOP = """
import os, socket
attempts = {
    "read another student": lambda: open("../../good/toy_1d/toy_1d.ipynb").read(),
    "read a submission": lambda: open("../../../submitted/good/toy_1d/toy_1d.ipynb").read(),
    "read the gradebook": lambda: open("../../../gradebook.db", "rb").read(),
    "read the solutions": lambda: open("../../../solutions/toy_1d/toy_1d.ipynb").read(),
    "delete the gradebook": lambda: os.remove("../../../gradebook.db"),
    "delete a submission": lambda: os.remove("../../../submitted/good/toy_1d/toy_1d.ipynb"),
    "write the solutions": lambda: open("../../../solutions/toy_1d/extra.py", "w").write("x"),
    "reach the network": lambda: socket.create_connection(("1.1.1.1", 80), timeout=3),
}
for what, attempt in attempts.items():
    try:
        attempt()
        print(f"{what}: ALLOWED")
    except OSError as error:
        print(f"{what}: blocked ({type(error).__name__})")
"""

CASES = [
    Case("good", "the solutions, untouched", lambda nb: nb, FULL, "Score: 8.0 / 14.0"),
    # It sleeps rather than spins: the cell timeout and the interrupt are the same, and its
    # two timeouts (its test cell and the write-up's training run call it) then cost no CPU.
    Case("infinite_loop", "an infinite loop in decorate_with_diffs",
         replace("decorate-with-diffs", "    mean = data.mean",
                 "    import time\n    while True:\n        time.sleep(0.05)\n    mean = data.mean"),
         {**FULL, "decorate-with-diffs-tests": 0.0}, "CellTimeoutError"),
    Case("exception", "get_distribution_sampler raises",
         replace("get-distribution-sampler", "        return mu + sigma", "        raise ValueError('oops')\n        return mu + sigma"),
         {**FULL, "get-distribution-sampler-tests": 0.0}, "raised ValueError: oops"),
    Case("wrong_shape", "the Generator returns (m, 2)",
         replace("generator", "nn.Linear(hidden_size, output_size),\n        )",
                 "nn.Linear(hidden_size, output_size + 1),\n        )"),
         {**FULL, "generator-tests": 0.0}, "Generator"),
    Case("nan", "the Discriminator outputs NaN",
         replace("discriminator", "return self.model(x)", "return self.model(x) * float('nan')"),
         {**FULL, "discriminator-tests": 0.0}, "nan"),
    Case("deleted_test", "the generator's test cell deleted", delete_cell("generator-tests"),
         {**FULL, "generator-tests": 0.0}, "Score: 6.0 / 14.0"),
    Case("edited_test", "the generator's test cell emptied",
         lambda nb: (setattr(_cell(nb, "generator-tests"), "source", "pass"), nb)[1],
         FULL, "Score: 8.0 / 14.0"),
    Case("edited_locked", "a locked set-up cell rewritten to skip the budget",
         lambda nb: (setattr(next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("locked")
                                  and not c.metadata["nbgrader"].get("grade") and c.cell_type == "code"),
                             "source", "print('skipped')"), nb)[1],
         FULL, "Score: 8.0 / 14.0"),
    Case("duplicated", "the Discriminator cell duplicated (same grade_id)", duplicate_cell("discriminator"),
         FULL, "Score: 8.0 / 14.0"),
    Case("renamed", "the notebook handed in as toy_1d_final.ipynb", rename("toy_1d_final.ipynb"),
         ZERO, "missing-notebook"),
    Case("stderr_spam", "200,000 lines on stderr and 20 MB on stdout in a TODO cell",
         append_to("get-distribution-sampler",
                   "import sys\nfor i in range(200_000):\n    print('noise', i, file=sys.stderr)\n"
                   "print('x' * 20_000_000)"),
         FULL, "Output truncated"),
    Case("memory", "get_distribution_sampler allocates 100 GB",
         replace("get-distribution-sampler", "    def sample(n):", "    hog = bytearray(100 * 1024**3)\n    def sample(n):"),
         {**FULL, "get-distribution-sampler-tests": 0.0}, "MemoryError"),
    Case("sys_exit", "sys.exit() before the Generator class",
         replace("generator", "class Generator(nn.Module):", "import sys\nsys.exit(0)\nclass Generator(nn.Module):"),
         {**FULL, "generator-tests": 0.0}, "name 'Generator' is not defined"),
    Case("os_exit", "os._exit(1) before the Discriminator class: the kernel dies",
         replace("discriminator", "class Discriminator(nn.Module):", "import os\nos._exit(1)\nclass Discriminator(nn.Module):"),
         {**FULL, "discriminator-tests": 0.0, "decorate-with-diffs-tests": 0.0}, "DeadKernelError"),
    Case("segfault", "a segmentation fault (through ctypes) before the Discriminator class",
         replace("discriminator", "class Discriminator(nn.Module):", "import ctypes\nctypes.string_at(0)\nclass Discriminator(nn.Module):"),
         ZERO, HELD),
    Case("delegation", "the Generator imported from gan_lab's reference models",
         lambda nb: (setattr(_cell(nb, "generator"), "source",
                             "from gan_lab.models.toy1d import ToyGenerator as Generator"), nb)[1],
         {**FULL, "generator-tests": 0.0}, "must be written in this notebook"),
    Case("delegation_helper", "the sampler handing back gan_lab.data.gaussian_samples",
         replace("get-distribution-sampler", "        return mu + sigma * torch.randn(n, 1)",
                 "        from gan_lab.data import gaussian_samples\n"
                 "        return gaussian_samples(n, mu, sigma)"),
         {**FULL, "get-distribution-sampler-tests": 0.0}, "gan_lab.data.gaussian_samples"),
    Case("patch_checks", "every check replaced by a no-op, with a Discriminator lacking Sigmoid",
         both(NO_SIGMOID, PATCH_ALL_CHECKS), ZERO, HELD),
    Case("honest_wrong", "a Generator with a Sigmoid on its output, nothing else", SIGMOID_OUT,
         {**FULL, "generator-tests": 0.0}, "Score: 6.0 / 14.0"),
    Case("attack_signer", "the issue's attack: checks replaced by fakes that sign with the seal",
         both(SIGMOID_OUT, SIGNER_ATTACK), ZERO, HELD),
    Case("attack_swallow", "the genuine check wrapped, its failure swallowed",
         both(SIGMOID_OUT, SWALLOW_FAILURES), ZERO, HELD),
    Case("attack_code", "a genuine check's __code__ swapped for a no-op",
         both(SIGMOID_OUT, CODE_SWAP), ZERO, HELD),
    Case("attack_closure", "the check decorator's closure cell reassigned",
         both(SIGMOID_OUT, CLOSURE_CELL), ZERO, HELD),
    Case("attack_gc", "the signer looked for through gc", both(SIGMOID_OUT, GC_SIGNER), ZERO, HELD),
    Case("attack_modules", "the grading module replaced in sys.modules",
         both(SIGMOID_OUT, SYS_MODULES_SWAP), ZERO, HELD),
    Case("attack_hidden", "a check replaced with the grader's name hidden from the audit",
         both(SIGMOID_OUT, OBFUSCATED_PATCH), ZERO, "re-run outside the notebook on your definitions, failed"),
    Case("patch_helper", "gan_lab.grading.core.expect patched to accept anything",
         both(NO_SIGMOID, prepend("import gan_lab.grading.core\n"
                                  "gan_lab.grading.core.expect = lambda *args, **kwargs: None")),
         ZERO, "gan_lab.grading.core.expect"),
    Case("patch_builtins", "builtins.abs patched to return 0",
         both(NO_SIGMOID, prepend("import builtins\nbuiltins.abs = lambda x: 0")),
         ZERO, "builtins.abs"),
    Case("patch_torch", "torch.allclose patched to accept anything",
         both(replace("decorate-with-diffs", "** exponent", "** 3"),
              prepend("import torch\ntorch.allclose = lambda *args, **kwargs: True")),
         ZERO, "torch.allclose"),
    Case("snoop", "reads other students' files and the gradebook, deletes files, opens a socket",
         append_to("get-distribution-sampler", SNOOP), FULL, "read the gradebook: blocked"),
]


def gan_lab(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The ``gan-lab`` command, run in a corpus course folder with the kernels' environment."""
    import course_helpers

    # No honest cell of the toy lab takes 2 s here; 10 s still stops the infinite loop.
    env = {**os.environ, **course_helpers.KERNEL_ENV, "GAN_LAB_CELL_TIMEOUT": "10"}
    env["PATH"] = str(Path(sys.executable).parent) + ":" + env.get("PATH", "")
    return subprocess.run([str(Path(sys.executable).parent / "gan-lab"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True)


SERIAL = ("good", "exception", "os_exit")  # a pass, a failing cell, a kernel that dies


def submit_cases(root: Path, cases=CASES) -> None:
    """Hand in each case's submission to the course folder ``root``."""
    from course_helpers import solutions, submit

    base = solutions(root, LAB)
    for case in cases:
        changed = case.change(nbformat.from_dict(nbformat.reads(nbformat.writes(base), as_version=4)))
        if not isinstance(changed, nbformat.NotebookNode):  # {file name: notebook}
            for name, notebook in changed.items():
                path = root / "submitted" / case.student / LAB / name
                path.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(notebook, path)
        else:
            submit(root, LAB, case.student, changed)


def grade_corpus(root: Path):
    """Every case handed in to the course folder ``root`` and graded with two jobs: (root, the
    command's output, every solution and submission file's bytes before grading)."""
    submit_cases(root)
    before = {p: p.read_bytes() for p in (root / "solutions").rglob("*") if p.is_file()}
    before.update({p: p.read_bytes() for p in (root / "submitted").rglob("*") if p.is_file()})
    done = gan_lab("autograde", LAB, "--jobs", "2", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    return root, done.stdout, before


def grade_serially(root: Path) -> Path:
    """The ``SERIAL`` cases handed in to ``root`` and graded by one plain, serial ``nbgrader
    autograde``: what the two-job run must match."""
    import course_helpers
    from gan_lab.course.nbgrader_run import nbgrader

    submit_cases(root, [case for case in CASES if case.student in SERIAL])
    # strict=False: nbgrader logs the os_exit kernel's death as an error and grades on.
    nbgrader(root, "autograde", LAB, "--force", env=course_helpers.KERNEL_ENV, strict=False)
    return root


def follow_ups(root: Path) -> dict:
    """What an instructor does in the graded corpus ``root`` afterwards, in order, and what each
    step printed and left in the gradebook and the feedback (``test_corpus.py`` checks them):

    - ``release``: after review, ``release-hold`` on attack_gc, then its re-grade, then
      ``release-hold`` on good, which was never held;
    - ``regrade``: ``autograde`` of good and honest_wrong, both unchanged, then of good
      again after a cell was added to its notebook.
    """
    from course_helpers import feedback_text
    from gan_lab.course.gradebook import scores

    def autograded(student):
        return {c.name: c.score for c in scores(root, LAB, student) if not c.manual}

    released = gan_lab("release-hold", LAB, "attack_gc", cwd=root)
    release = {"released": released, "scores": autograded("attack_gc"),
               "feedback": feedback_text(root, LAB, "attack_gc")}
    release["again"] = gan_lab("autograde", LAB, "--student", "attack_gc", "--force", cwd=root)
    release["scores_again"] = autograded("attack_gc")
    release["refused"] = gan_lab("release-hold", LAB, "good", cwd=root)

    page = root / "feedback" / "good" / LAB / f"{LAB}.html"
    regrade = {"before": (page.stat().st_mtime_ns, autograded("honest_wrong"))}
    regrade["unchanged"] = gan_lab("autograde", LAB, "--student", "good", "--student", "honest_wrong", cwd=root)
    regrade["after"] = (page.stat().st_mtime_ns, autograded("honest_wrong"))
    submission = root / "submitted" / "good" / LAB / f"{LAB}.ipynb"
    notebook = nbformat.read(submission, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("Handed in again after the deadline."))
    nbformat.write(notebook, submission)
    regrade["changed"] = gan_lab("autograde", LAB, "--student", "good", cwd=root)
    regrade["page_after_change"] = page.stat().st_mtime_ns
    return {"release": release, "regrade": regrade}
