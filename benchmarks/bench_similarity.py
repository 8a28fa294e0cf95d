"""Plagiarism screening on synthetic classes: planted copies found, honest pairs listed, seconds.

``gan-lab similarity``'s engine (copydetect) beside Dolos (npm ``@dodona/dolos-lib``).

For each image lab the script builds a class of ``--students`` honest submissions from the
released notebook. Each TODO (solution) cell holds, drawn per student: the instructor's answer;
that answer with one of the mistakes of ``tests/test_course_<lab>.py`` (``MISTAKES``); or one of
the variants of ``tests/test_grading_<lab>.py`` (its module-level sources, every ``source`` a
passing test is parametrized with, and its parametrized (old, new) mistakes applied to them),
fitted into the cell it answers (the release's signature and docstring kept, imports dropped).
Every student then gets habits of their own: equivalent expressions (``x.mean()`` for
``torch.mean(x)``, keywords, literals), their own intermediate variables, split calls, debug
prints, their own comments, another order of independent assignments. Identifiers are left as
drawn: both engines replace every name by its kind, so names cannot tell students apart.

Into that class go ``--copies`` disguised copies of random honest students and
``--reference-copies`` disguised copies of a "published solution" (the instructor's answers
rewritten in another house style, written to a ``.py`` file and passed as a reference, as
``gan-lab similarity --reference`` does). Each disguise: comments and whitespace changed (the
copier's code is re-printed from its syntax tree, comments of its own added), plus at least two
of: every identifier the student bound renamed (names the notebook's tests call are kept),
functions, methods and independent assignments reordered, statements split and merged
(``x = a(b(c))`` into two lines, two assignments into one tuple assignment, ``x = e; return x``
into ``return e``); each statement a disguise applies to is changed with ``--disguise-rate``.

Both engines see the same text: by default each submission's own code as the course extracts it
(``similarity.own_code``), ``--extract`` gives others, and the release's code as boilerplate
(copydetect's boilerplate, Dolos's ignored template file).

    python benchmarks/bench_similarity.py                        # 60 honest students a lab, seed 0
    python benchmarks/bench_similarity.py --scale 200 --sweep    # classes of 200 too; what-ifs
    python benchmarks/bench_similarity.py --extract cells --disguise-rate 0.25
    python benchmarks/bench_similarity.py --labs gan_losses --seed 3 --show 5 --no-dolos

A planted pair (a copy and its original, a copy of the published solution and the reference) is
found when the engine lists it. An honest pair is two honest students, or an honest student and
the reference: every one listed is a false positive. Pairs of a copy with anyone else are
counted apart ("other"). copydetect is run with the module's THRESHOLD and MIN_WEIGHT; Dolos
with its web UI's own initial cut-off (``guessSimilarityThreshold``, ported below) and with the
cut-off that is best for it on this very class (most planted pairs found less honest pairs
listed; "none" when listing nothing is best), and ours gets its best cut-off too. Threshold-free:
the planted pairs scoring above every honest pair, the honest pairs scoring at or above the
lowest planted one, and the AUC. ``--sweep`` re-scores the classes with the module's own
fingerprints under other extractions, NOISE / GUARANTEE, weightings and scores, THRESHOLD and
MIN_WEIGHT. copydetect hashes with Python's salted ``hash()``, so the script re-runs itself under
``PYTHONHASHSEED=--hash-seed``. Dolos: ``node`` on PATH and the package in ``$DOLOS_LIB``
(default ``/tmp/doltry/node_modules/@dodona/dolos-lib``); without them its rows are skipped.
"""
from __future__ import annotations

import argparse
import ast
import copy
import dataclasses
import importlib
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from itertools import combinations
from pathlib import Path

import nbformat

from gan_lab.course import similarity as similar
from gan_lab.course.nbgrader_run import solution_submission

REPO = Path(__file__).resolve().parent.parent
LABS = ("mlp_gan", "dcgan", "gan_losses")
DOLOS_LIB = Path(os.environ.get("DOLOS_LIB", "/tmp/doltry/node_modules/@dodona/dolos-lib"))
DOLOS_SCRIPT = Path(__file__).resolve().parent / "dolos_pairs.mjs"

# How a TODO cell's answer is drawn: the instructor's answer, an edited one (MISTAKES), or a test
# variant (correct, or one of its parametrized mistakes); renormalised over what the cell has.
DRAW = {"instructor": 0.40, "edited": 0.20, "test-correct": 0.25, "test-mistake": 0.15}
UNANSWERED = 0.03  # a cell left as released (no own code there)

# --------------------------------------------------------------------------- the tests' variants
OLD_NEW = lambda m, p: (p["old"], p["new"])  # noqa: E731
# lab -> [(parametrized test, the module's source it edits, (module, parameters) -> (old, new))]
EDITED_VARIANTS = {
    "mlp_gan": [
        ("test_optimizer_mistakes_in_the_discriminator_step_cost_its_two_points", "TRAINING_STEPS",
         lambda m, p: (m.D_ZERO, p["steps"])),
        ("test_optimizer_mistakes_in_the_generator_step_cost_its_update_point", "TRAINING_STEPS",
         lambda m, p: (m.G_ZERO, p["steps"])),
        ("test_each_tensorboard_mistake_costs_one_point", "LOGGING", OLD_NEW),
    ],
    "dcgan": [
        ("test_initialisation_mistakes_are_named", "INIT", OLD_NEW),
        ("test_block_mistakes_are_named", "BLOCK", OLD_NEW),
        ("test_correct_forwards_pass", "GENERATOR", lambda m, p: (m.FORWARD, p["forward"])),
        ("test_forward_mistakes_are_named", "GENERATOR", lambda m, p: (m.FORWARD, p["forward"])),
        ("test_each_step_mistake_costs_its_half", "TRAINING_STEP", OLD_NEW),
    ],
    "gan_losses": [
        ("test_discriminator_loss_mistakes_fail", "D_LOSS_FUNCTIONAL",
         lambda m, p: ("return real + fake", p["body"])),
        ("test_generator_loss_mistakes_fail", "G_LOSS_FUNCTIONAL",
         lambda m, p: ("F.binary_cross_entropy_with_logits(logits_fake, torch.ones_like(logits_fake))",
                       p["body"])),
        ("test_ls_discriminator_loss_mistakes_fail", "LS_D_LOSS",
         lambda m, p: ("0.5 * torch.mean((scores_real - 1) ** 2) + 0.5 * torch.mean(scores_fake ** 2)",
                       p["body"])),
        ("test_sample_noise_mistakes_fail", "NOISE", OLD_NEW),
        ("test_get_optimizer_mistakes_fail", "OPTIMIZER", OLD_NEW),
        ("test_discriminator_mistakes_fail", "DISCRIMINATOR", OLD_NEW),
        ("test_generator_mistakes_fail", "GENERATOR", OLD_NEW),
        ("test_dc_classifier_mistakes_fail", "DC_CLASSIFIER", OLD_NEW),
        ("test_dc_generator_mistakes_fail", "DC_GENERATOR", OLD_NEW),
    ],
}
# lab -> module-level sources that are whole answers: (name, correct?)
WHOLE_VARIANTS = {
    "mlp_gan": [("FUNCTIONAL_GENERATOR", True), ("TRAINING_STEPS", True), ("LOGGING", True)],
    "dcgan": [("GENERATOR", True), ("TRAINING_STEP", True), ("D_FIRST", False)],
    "gan_losses": [],
}


def _answers_dcgan(test, params):
    if params.get("argument") is None:
        return None
    return f"bn_second_argument = {params['argument']!r}\nbn_momentum = {params['momentum']!r}\n"


def _answers_gan_losses(test, params):
    value, points = params["value"], params["points"]
    plain = lambda x: isinstance(x, (int, float)) and not isinstance(x, bool)  # noqa: E731
    if not plain(value) or not isinstance(points, list) or not all(isinstance(p, (list, tuple)) for p in points):
        return None
    return f"minimax_value = {value!r}\npoints = {points!r}\n"


# lab -> [(parametrized test, correct?, parameters -> the answer's assignments or None)]
ANSWER_VARIANTS = {
    "mlp_gan": [],
    "dcgan": [("test_reading_exercise_earns_a_point_per_answer", None, _answers_dcgan),
              ("test_reading_exercise_mistakes_are_explained", False, _answers_dcgan)],
    "gan_losses": [("test_minimax_answers_full_marks", True, _answers_gan_losses),
                   ("test_minimax_answers_partial_credit", False, _answers_gan_losses)],
}


def _params(test) -> list[dict]:
    """The parameter sets a test is parametrized with, as dicts."""
    sets = []
    for mark in getattr(test, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names = mark.args[0]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        for values in mark.args[1]:
            if hasattr(values, "values") and hasattr(values, "marks"):  # pytest.param(...)
                values = values.values
            elif len(names) == 1:
                values = (values,)
            sets.append(dict(zip(names, values)))
    return sets


# --------------------------------------------------------------------------- notebooks and cells
def _solution_cells(notebook) -> dict[str, str]:
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in notebook.cells
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")}


def _stripped(line: str) -> str:
    return line.strip()


def _start(node) -> int:
    """The first line of a definition, its decorators included (1-based)."""
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])


def _defs(tree) -> dict:
    return {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def _assigned(tree) -> list[str]:
    return [t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)]


def _docstring(node):
    body = getattr(node, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[0]
    return None


def _key(text: str) -> tuple:
    """A variant's identity: its code lines, comments and blank lines aside."""
    out = []
    for line in text.splitlines():
        code = _split_comment(line)[0].strip()
        if code:
            out.append(code)
    return tuple(out)


def _split_comment(line: str) -> tuple[str, str]:
    """(code, comment) of one line; a ``#`` inside a string literal is code."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            if char == quote and line[i - 1] != "\\":
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:i].rstrip(), line[i:]
    return line, ""


@dataclasses.dataclass
class Lab:
    """A lab's release, its solved TODO cells, and every variant the class draws from."""

    name: str
    release: object
    given: dict  # grade_id -> the release's cell
    solved: dict  # grade_id -> the instructor's cell as a student hands it in
    variants: dict  # grade_id -> {category: [(label, cell text)]}
    api: set  # names the notebook's tests reach: never renamed by a copier
    boilerplate: str  # the release's code, Dolos's template

    def given_lines(self, cell: str) -> set:
        return {s for s in map(_stripped, self.given[cell].splitlines()) if s}


def load_lab(name: str, workdir: Path) -> Lab:
    release = nbformat.read(REPO / "notebooks" / name / f"{name}.ipynb", as_version=4)
    solved_path = workdir / f"{name}-solved.ipynb"
    solution_submission(REPO / "solutions" / name / f"{name}.ipynb", solved_path)
    solved = _solution_cells(nbformat.read(solved_path, as_version=4))
    given = _solution_cells(release)
    owner = {}
    for cell, text in solved.items():
        tree = ast.parse(text)
        for top in list(_defs(tree)) + _assigned(tree):
            owner.setdefault(top, cell)
    boilerplate = "\n".join(c.source for c in release.cells if c.cell_type == "code")
    lab = Lab(name, release, given, solved, {c: {k: [] for k in DRAW} for c in solved}, set(owner), boilerplate)
    for cell, text in solved.items():
        lab.variants[cell]["instructor"].append(("instructor", text))

    sys.path.insert(0, str(REPO / "tests"))
    try:
        grading = importlib.import_module(f"test_grading_{name}")
        course = importlib.import_module(f"test_course_{name}")
    finally:
        sys.path.remove(str(REPO / "tests"))

    def add(category, label, cell_text):
        if cell_text is None:
            return
        cell, text = cell_text
        known = {_key(t) for kind in lab.variants[cell].values() for _, t in kind}
        if _key(text) not in known:
            lab.variants[cell][category].append((label, text))

    for student, (cell, old, new, *_rest) in course.MISTAKES.items():
        if old in solved.get(cell, ""):
            add("edited", f"MISTAKES[{student}]", (cell, solved[cell].replace(old, new)))
        else:
            print(f"[{name}] MISTAKES[{student}]: {old[:40]!r} is not in cell {cell}; skipped", file=sys.stderr)
    for constant, correct in WHOLE_VARIANTS[name]:
        add("test-correct" if correct else "test-mistake", constant, _fit(lab, owner, getattr(grading, constant)))
    for test_name, test in sorted(vars(grading).items()):
        if test_name.startswith("test_") and test_name.endswith("_pass"):
            for i, params in enumerate(_params(test)):
                if isinstance(params.get("source"), str):
                    add("test-correct", f"{test_name}[{i}]", _fit(lab, owner, params["source"]))
    for test_name, constant, edit in EDITED_VARIANTS[name]:
        base = getattr(grading, constant)
        correct = "correct" in test_name or test_name.endswith("_pass")
        for i, params in enumerate(_params(getattr(grading, test_name))):
            old, new = edit(grading, params)
            if old not in base:
                print(f"[{name}] {test_name}[{i}]: its text is not in {constant}; skipped", file=sys.stderr)
                continue
            add("test-correct" if correct else "test-mistake", f"{test_name}[{i}]",
                _fit(lab, owner, base.replace(old, new)))
    for test_name, correct, answer in ANSWER_VARIANTS[name]:
        for i, params in enumerate(_params(getattr(grading, test_name))):
            text = answer(test_name, params)
            if text is None:
                continue
            right = correct if correct is not None else params.get("points") == 2.0
            add("test-correct" if right else "test-mistake", f"{test_name}[{i}]", _fit_answer(lab, owner, text))
    return lab


def _fit(lab: Lab, owner: dict, source: str):
    """A test's variant as the TODO cell it answers: the instructor's cell with the variant's
    definitions in place of the instructor's, each under the release's own signature and
    docstring (a test's ``seed=None`` dropped where the release has none), imports left out."""
    code = textwrap.dedent(source).strip("\n") + "\n"
    tree = ast.parse(code)
    lines = code.split("\n")
    nodes = [n for n in tree.body if not isinstance(n, (ast.Import, ast.ImportFrom))
             and not (isinstance(n, ast.Assign) and [getattr(t, "id", "") for t in n.targets] == ["NOISE_DIM"])]
    names = [n.name for n in nodes if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    cell = next((owner[n] for n in names if n in owner), None)
    if cell is None:
        return None
    given_src = lab.given[cell]
    given_defs = _defs(ast.parse(given_src))
    pieces = []
    for node in nodes:
        text = "\n".join(lines[_start(node) - 1:node.end_lineno])
        if isinstance(node, ast.FunctionDef) and node.name in given_defs and node.body[0].lineno > node.lineno:
            text = _adapt(text, node, given_defs[node.name], given_src)
        pieces.append(text)
    variant = "\n\n\n".join(pieces)
    solved = lab.solved[cell]
    solved_tree = ast.parse(solved)
    replaced = [n for n in solved_tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name in names]
    if not replaced:
        return None
    out = solved.split("\n")
    for node in reversed(replaced):
        out[_start(node) - 1:node.end_lineno] = [variant] if node is replaced[0] else []
    return cell, "\n".join(out)


def _adapt(text: str, node, given, given_src: str) -> str:
    lines = text.split("\n")
    offset = _start(node)
    body = lines[node.body[0].lineno - offset:]
    given_lines = given_src.split("\n")
    header = given_lines[_start(given) - 1:given.body[0].lineno - 1]
    doc = _docstring(given)
    if doc is not None and _docstring(node) is None:
        body = given_lines[doc.lineno - 1:doc.end_lineno] + body
    text = "\n".join(header + body)
    if "seed" not in "\n".join(header):
        text = re.sub(r"\n[ \t]*if seed is not None:\n[ \t]*torch\.manual_seed\(seed\)\n", "\n", text)
    return text


def _fit_answer(lab: Lab, owner: dict, text: str):
    names = _assigned(ast.parse(text))
    cell = next((owner[n] for n in names if n in owner), None)
    if cell is None:
        return None
    kept = [line for line in lab.given[cell].splitlines()
            if line.strip() not in ("# YOUR CODE HERE", "raise NotImplementedError()")]
    return cell, ("\n".join(kept).rstrip() + "\n" + text).lstrip("\n")


# --------------------------------------------------------------------------- honest students' habits
# habit -> how often a student has it; each site it could apply to gets it with RATE.
HABITS = {
    "nn.functional": 0.15, "keywords": 0.25, "positional": 0.2, "size": 0.25, "reshape": 0.2,
    "literals": 0.3, "inplace": 0.15, "method-mean": 0.25, "pow": 0.1, "half": 0.15, "bce-module": 0.1,
    "full-like": 0.08, "own-variable": 0.3, "inline-return": 0.25, "split": 0.3, "reorder": 0.3,
    "compact": 0.3, "no-trailing-comma": 0.3, "debug-print": 0.15, "comments": 0.6, "no-comments": 0.35,
}
RATE = 0.75
PAREN = r"(?:[^()]|\([^()]*\))+"  # an argument list with one level of nested parentheses
REWRITES = {
    "nn.functional": [(r"(?<![\w.])F\.(?=\w)", "nn.functional.")],
    "keywords": [(r"nn\.LeakyReLU\((?=[\d.]+[,)])", "nn.LeakyReLU(negative_slope="),
                 (r"nn\.Dropout2d\((?=[\d.]+\))", "nn.Dropout2d(p="),
                 (r"(nn\.BatchNorm2d\(\w+, )(0\.8\))", r"\1eps=\2")],
    "positional": [(r"kernel_size=(\d+)", r"\1"), (r"mean=([\d.]+), std=([\d.]+)", r"\1, \2")],
    "size": [(r"\.shape\[0\]", ".size(0)")],
    "reshape": [(r"\.view\(", ".reshape(")],
    "literals": [(r"\b4 \* 4 \* 64\b", "1024"), (r"\b7 \* 7 \* 128\b", "6272"), (r"\b28 \* 28\b", "784"),
                 (r"lr=0\.0002\b", "lr=2e-4"), (r"lr=1e-3\b", "lr=0.001")],
    "inplace": [(r"nn\.ReLU\(\)", "nn.ReLU(inplace=True)")],
    "method-mean": [(rf"torch\.mean\(({PAREN})\)", r"(\1).mean()")],
    "pow": [(r"(\([^()]+\)|(?<![\w.])scores_\w+) \*\* 2", r"\1.pow(2)")],
    "half": [(rf"0\.5 \* (torch\.mean\({PAREN}\))", r"\1 / 2")],
    "bce-module": [(r"(?<![\w.])F\.binary_cross_entropy_with_logits\(", "nn.BCEWithLogitsLoss()(")],
    "full-like": [(r"torch\.ones_like\((\w+)\)", r"torch.full_like(\1, 1.0)"),
                  (r"torch\.zeros_like\((\w+)\)", r"torch.full_like(\1, 0.0)")],
}
OWN_NAMES = ["out", "result", "res", "tmp", "value", "ret", "output", "total", "answer"]
SPLIT_NAMES = ["t", "tmp", "h", "inner", "part", "ones", "target", "pred", "layer", "labels", "x1", "step1"]
COMMENTS = ["# from the lecture", "# check the shapes", "# see the docs", "# real -> 1, fake -> 0",
            "# this one was tricky", "# same device as the input", "# fixed after the test failed",
            "# mean over the batch", "# TODO: clean up", "# as in the paper", "# works now",
            "# batch first", "# one line is enough", "# per the handout", "# double-checked",
            "# hidden layers", "# output layer", "# not sure about this", "# step by step", "# ok"]


VISIBLE = [h for h in HABITS if h not in ("comments", "no-comments", "compact")]  # the others are invisible to
# both engines (comments, line breaks)


def _seen(text: str) -> str:
    """A cell as both engines see it: names replaced by their kind, comments and spaces gone."""
    from copydetect.utils import filter_code

    return filter_code(text, "cell.py", "python")[0]


def own_touch(drawn: str, text: str, given_lines: set, rng: random.Random) -> str:
    """``text``, or, where the student's habits left the drawn answer as the engines see it, the
    answer with one more habit of theirs (a random one that changes it): no two students who drew
    the same answer hand in the same tokens."""
    if _seen(text) != _seen(drawn) or not any(line.strip() and line.strip() not in given_lines
                                              for line in drawn.splitlines()):
        return text
    for habit in rng.sample(VISIBLE, len(VISIBLE)):
        touched = personalise(text, given_lines, {habit}, rng, rate=0.5)
        if _seen(touched) == _seen(drawn):
            touched = personalise(text, given_lines, {habit}, rng, rate=1.0)
        if _seen(touched) != _seen(drawn):
            return touched
    return text


def draw_habits(rng: random.Random) -> set:
    habits = {h for h, p in HABITS.items() if rng.random() < p}
    if {"own-variable", "inline-return"} <= habits:
        habits.discard(rng.choice(["own-variable", "inline-return"]))
    return habits


def _fresh(name_pool, text: str, rng: random.Random) -> str:
    for name in rng.sample(name_pool, len(name_pool)):
        if not re.search(rf"\b{re.escape(name)}\b", text):
            return name
    return f"{name_pool[0]}_{rng.randrange(100)}"


def _statement(line: str):
    """The one simple statement a line holds, parsed, or None."""
    try:
        tree = ast.parse(line.strip())
    except SyntaxError:
        return None
    if len(tree.body) != 1 or isinstance(tree.body[0], (ast.If, ast.For, ast.While, ast.With, ast.FunctionDef,
                                                         ast.ClassDef, ast.Try)):
        return None
    return tree.body[0]


def _standalone(rows) -> list[bool]:
    """Which lines are whole statements: they start and end outside any bracket."""
    depth, starts = 0, []
    for line, _own in rows:
        starts.append(depth)
        code = re.sub(r"'[^']*'|\"[^\"]*\"", "", _split_comment(line)[0])
        depth = max(depth + sum(map(code.count, "([{")) - sum(map(code.count, ")]}")), 0)
    return [start == 0 and (i + 1 == len(starts) or starts[i + 1] == 0) for i, start in enumerate(starts)]


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


SIDE_EFFECTS = {"backward", "step", "zero_grad", "manual_seed", "append", "extend", "apply"}


def _uses(node) -> tuple[set, set, bool]:
    """(names stored, names read, has a side effect) of a statement; ``self.x`` counts as a name."""
    stored, read, effect = set(), set(), False
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            (stored if isinstance(n.ctx, ast.Store) else read).add(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            (stored if isinstance(n.ctx, ast.Store) else read).add(f"{n.value.id}.{n.attr}")
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in SIDE_EFFECTS:
            effect = True
    return stored, read, effect


def _independent(a, b) -> bool:
    if not (isinstance(a, ast.Assign) and isinstance(b, ast.Assign)):
        return False
    sa, ra, ea = _uses(a)
    sb, rb, eb = _uses(b)
    return not (ea or eb or sa & (rb | sb) or sb & ra)


def _hoistable(value) -> list:
    calls = []
    for n in ast.walk(value):
        if isinstance(n, (ast.Lambda, ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp, ast.IfExp)):
            return []
        if isinstance(n, ast.Call) and n is not value \
                and not (isinstance(n.func, ast.Name) and n.func.id == "super"):
            calls.append(n)
    return calls


def personalise(text: str, given_lines: set, habits: set, rng: random.Random, rate: float = RATE) -> str:
    """One student's own way of writing the lines they wrote (the release's lines untouched)."""
    rows = [[line, bool(line.strip()) and line.strip() not in given_lines] for line in text.split("\n")]

    def sub(line, pattern, replacement):
        return re.sub(pattern, lambda m: m.expand(replacement) if rng.random() < rate else m.group(0), line)

    for habit in sorted(habits & REWRITES.keys()):
        for row in rows:
            if row[1]:
                code, comment = _split_comment(row[0])
                for pattern, replacement in REWRITES[habit]:
                    code = sub(code, pattern, replacement)
                row[0] = code + ("  " + comment if comment else "")
    if "no-comments" in habits:
        for row in rows:
            if row[1]:
                code, comment = _split_comment(row[0])
                row[0] = code if code.strip() or not comment else ""
        rows = [r for r in rows if not (r[1] and not r[0].strip())]
    if "inline-return" in habits:
        alone, out, i = _standalone(rows), [], 0
        while i < len(rows):
            a = _statement(rows[i][0]) if alone[i] and rows[i][1] else None
            b = _statement(rows[i + 1][0]) if i + 1 < len(rows) and alone[i + 1] else None
            if isinstance(a, ast.Assign) and len(a.targets) == 1 and isinstance(a.targets[0], ast.Name) \
                    and isinstance(b, ast.Return) and isinstance(b.value, ast.Name) \
                    and b.value.id == a.targets[0].id and _indent(rows[i][0]) == _indent(rows[i + 1][0]) \
                    and rng.random() < rate:
                value = ast.get_source_segment(_split_comment(rows[i][0].strip())[0], a.value)
                out.append([f"{_indent(rows[i][0])}return {value}", True])
                i += 2
            else:
                out.append(rows[i])
                i += 1
        rows = out
    if "own-variable" in habits:
        out = []
        for (line, own), ok in zip(rows, _standalone(rows)):
            node = _statement(line) if own and ok else None
            if isinstance(node, ast.Return) and node.value is not None \
                    and not isinstance(node.value, (ast.Name, ast.Tuple, ast.Constant)) and rng.random() < rate:
                name = _fresh(OWN_NAMES, text, rng)
                code, comment = _split_comment(line.strip())
                out += [[f"{_indent(line)}{name} = {ast.get_source_segment(code, node.value)}", True],
                        [f"{_indent(line)}return {name}" + (f"  {comment}" if comment else ""), True]]
            else:
                out.append([line, own])
        rows = out
    if "split" in habits:
        out = []
        for (line, own), ok in zip(rows, _standalone(rows)):
            node = _statement(line) if own and ok else None
            calls = _hoistable(node.value) if isinstance(node, (ast.Assign, ast.Return, ast.Expr)) \
                and getattr(node, "value", None) is not None else []
            if calls and rng.random() < rate * 0.5:
                code, comment = _split_comment(line.strip())
                inner = rng.choice(calls)
                raw = code.encode()
                name = _fresh(SPLIT_NAMES, text, rng)
                piece = raw[inner.col_offset:inner.end_col_offset].decode()
                rest = (raw[:inner.col_offset] + name.encode() + raw[inner.end_col_offset:]).decode()
                out += [[f"{_indent(line)}{name} = {piece}", True],
                        [f"{_indent(line)}{rest}" + (f"  {comment}" if comment else ""), True]]
            else:
                out.append([line, own])
        rows = out
    if "reorder" in habits:
        alone = _standalone(rows)
        for i in range(len(rows) - 1):
            (a, own_a), (b, own_b) = rows[i], rows[i + 1]
            if own_a and own_b and alone[i] and alone[i + 1] and _indent(a) == _indent(b):
                sa, sb = _statement(a), _statement(b)
                if sa is not None and sb is not None and _independent(sa, sb) and rng.random() < 0.5:
                    rows[i], rows[i + 1] = rows[i + 1], rows[i]
    if "compact" in habits:
        i = 0
        while i < len(rows) - 1:
            a, b = rows[i][0].strip(), rows[i + 1][0].strip()
            if rows[i][1] and rows[i + 1][1] and a.startswith("nn.") and a.endswith(",") and "#" not in a \
                    and re.match(r"nn\.(ReLU|LeakyReLU|Tanh|Sigmoid|Dropout|BatchNorm|MaxPool)", b) \
                    and rng.random() < rate:
                rows[i:i + 2] = [[rows[i][0] + " " + b, True]]
            i += 1
    if "no-trailing-comma" in habits:
        for i in range(len(rows) - 1):
            code, comment = _split_comment(rows[i][0])
            if rows[i][1] and code.rstrip().endswith(",") and rows[i + 1][0].strip() == ")":
                rows[i][0] = code.rstrip()[:-1] + (f"  {comment}" if comment else "")
    if "debug-print" in habits:
        out = []
        for (line, own), ok in zip(rows, _standalone(rows)):
            out.append([line, own])
            node = _statement(line) if own and ok else None
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and rng.random() < 0.3:
                name = node.targets[0].id
                out.append([_indent(line) + rng.choice([f"print({name}.shape)", f'print("{name}", {name})',
                                                         f"# print({name})"]), True])
        rows = out
    if "comments" in habits:
        out = []
        for line, own in rows:
            if own and line.strip() and rng.random() < 0.2:
                comment = rng.choice(COMMENTS)
                if rng.random() < 0.5 and "#" not in line:
                    out.append([f"{line}  {comment}", own])
                else:
                    out += [[_indent(line) + comment, True], [line, own]]
            else:
                out.append([line, own])
        rows = out
    return "\n".join(row[0] for row in rows)


# --------------------------------------------------------------------------- a copier's disguise
DISGUISES = [("rename", "reorder"), ("rename", "split"), ("reorder", "split"), ("rename", "reorder", "split")]
NEW_NAMES = ["a", "b", "c", "h", "k", "p", "q", "u", "w", "acc", "aux", "buf", "cur", "dst", "lhs", "rhs", "net",
             "seq", "blk", "lay", "opt", "res2", "ret", "src", "tgt", "val", "var", "vec", "arr", "obj", "elem",
             "piece", "thing", "stuff", "foo", "bar", "baz", "qux", "alpha", "beta", "gamma", "delta", "zeta",
             "theta", "omega", "mine", "tmp_a", "tmp_b", "my_x", "my_y", "xx", "yy", "zz", "first", "second"]


class _Renamer(ast.NodeTransformer):
    def __init__(self, names: dict, attrs: dict):
        self.names, self.attrs = names, attrs

    def visit_Name(self, node):
        node.id = self.names.get(node.id, node.id)
        return node

    def visit_arg(self, node):
        node.arg = self.names.get(node.arg, node.arg)
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            node.attr = self.attrs.get(node.attr, node.attr)
        return node

    def visit_FunctionDef(self, node):
        node.name = self.names.get(node.name, node.name)
        self.generic_visit(node)
        return node

    def visit_ClassDef(self, node):
        node.name = self.names.get(node.name, node.name)
        self.generic_visit(node)
        return node


class _Literals(ast.NodeTransformer):
    """Number literals kept as written (``ast.unparse`` would print ``1e-3`` as ``0.001``)."""

    def __init__(self, text: str):
        self.text = text

    def visit_Constant(self, node):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return ast.Name(id=ast.get_source_segment(self.text, node) or repr(node.value), ctx=ast.Load())
        return node


def _bodies(tree):
    """Every statement list of a tree (module, functions, classes, branches, loops)."""
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            value = getattr(node, field, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                yield value


def disguise(cells: dict, lab: Lab, rng: random.Random, how: tuple, rate: float = 0.5) -> dict:
    """A copier's version of ``cells``: re-printed from the syntax tree (comments and whitespace
    changed, own comments added) after the disguises in ``how``; each statement (or pair of
    statements) a disguise could change is changed with probability ``rate``."""
    trees = {}
    for cell, text in cells.items():
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        trees[cell] = _Literals(text).visit(tree)  # number literals as written: 1e-3 stays 1e-3
    if "rename" in how:
        bound, attrs, seen = set(), set(), set()
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.Name):
                    seen.add(node.id)
                    if isinstance(node.ctx, ast.Store):
                        bound.add(node.id)
                elif isinstance(node, ast.arg):
                    bound.add(node.arg)
                elif isinstance(node, ast.Attribute):
                    seen.add(node.attr)
                    if isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name) \
                            and node.value.id == "self":
                        attrs.add(node.attr)
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    bound.add(node.name)
        bound -= lab.api | {"self"}
        pool = [n for n in rng.sample(NEW_NAMES, len(NEW_NAMES)) if n not in seen]
        fresh = iter(pool + [f"v{i}" for i in range(1000)])
        names = {name: next(fresh) for name in sorted(bound)}
        attr_names = {name: next(fresh) for name in sorted(attrs)}
        for tree in trees.values():
            _Renamer(names, attr_names).visit(tree)
    temps = iter(rng.sample(NEW_NAMES, len(NEW_NAMES)) + [f"t{i}" for i in range(1000)])
    used = {n.id for tree in trees.values() for n in ast.walk(tree) if isinstance(n, ast.Name)}
    out = {}
    for cell, tree in trees.items():
        if "reorder" in how:
            spots = [i for i, n in enumerate(tree.body) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
            if len(spots) > 1:
                order = rng.sample(spots, len(spots))
                if order == spots:
                    order = spots[::-1]
                moved = [tree.body[i] for i in order]
                for i, node in zip(spots, moved):
                    tree.body[i] = node
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    spots = [i for i, n in enumerate(node.body) if isinstance(n, ast.FunctionDef)]
                    moved = [node.body[i] for i in reversed(spots)]
                    for i, method in zip(spots, moved):
                        node.body[i] = method
            for body in _bodies(tree):
                for i in range(len(body) - 1):
                    if _independent(body[i], body[i + 1]) and rng.random() < rate:
                        body[i], body[i + 1] = body[i + 1], body[i]
        if "split" in how:
            for body in list(_bodies(tree)):
                i = 0
                while i < len(body):  # x = e; return x  ->  return e
                    a = body[i]
                    b = body[i + 1] if i + 1 < len(body) else None
                    if isinstance(a, ast.Assign) and len(a.targets) == 1 and isinstance(a.targets[0], ast.Name) \
                            and isinstance(b, ast.Return) and isinstance(b.value, ast.Name) \
                            and b.value.id == a.targets[0].id and rng.random() < rate:
                        body[i:i + 2] = [ast.Return(value=a.value)]
                    i += 1
                i = 0
                while i < len(body):  # x = a(b(c))  ->  t = b(c); x = a(t)
                    stmt = body[i]
                    simple = isinstance(stmt, (ast.Assign, ast.Return, ast.Expr))
                    value = stmt.value if simple else None
                    calls = _hoistable(value) if value is not None else []
                    if calls and rng.random() < rate:
                        inner = rng.choice(calls)
                        name = next(t for t in temps if t not in used)
                        used.add(name)

                        class Swap(ast.NodeTransformer):
                            def visit_Call(self, node):
                                if node is inner:
                                    return ast.Name(id=name, ctx=ast.Load())
                                return self.generic_visit(node)

                        body[i] = Swap().visit(stmt)
                        body.insert(i, ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=inner,
                                                  lineno=0))
                        i += 1
                    i += 1
                i = 0
                while i < len(body) - 1:  # a = x; b = y  ->  a, b = x, y
                    a, b = body[i], body[i + 1]
                    if _independent(a, b) and len(a.targets) == len(b.targets) == 1 \
                            and isinstance(a.targets[0], (ast.Name, ast.Attribute)) \
                            and isinstance(b.targets[0], (ast.Name, ast.Attribute)) \
                            and len(ast.unparse(a.value)) + len(ast.unparse(b.value)) < 90 and rng.random() < rate:
                        targets = ast.Tuple(elts=[a.targets[0], b.targets[0]], ctx=ast.Store())
                        values = ast.Tuple(elts=[a.value, b.value], ctx=ast.Load())
                        body[i:i + 2] = [ast.Assign(targets=[targets], value=values, lineno=0)]
                    i += 1
        out[cell] = _restyle(ast.unparse(ast.fix_missing_locations(tree)), rng)
    return {cell: out.get(cell, text) for cell, text in cells.items()}


def _restyle(text: str, rng: random.Random) -> str:
    """The copier's own comments, blank lines and (sometimes) two-space indentation."""
    two = rng.random() < 0.3
    lines = []
    for line in text.split("\n"):
        if two:
            stripped = line.lstrip(" ")
            line = " " * ((len(line) - len(stripped)) // 2) + stripped
        roll = rng.random()
        if roll < 0.12:
            lines.append(f"{line}  {rng.choice(COMMENTS)}")
        elif roll < 0.2:
            lines += [_indent(line) + rng.choice(COMMENTS), line]
        else:
            lines.append(line)
        if rng.random() < 0.08 and not line.rstrip().endswith(":"):
            lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- the class
HOUSE_STYLE = {"keywords", "positional", "size", "reshape", "literals", "method-mean", "half", "no-trailing-comma",
               "own-variable", "split", "no-comments", "comments", "compact"}


@dataclasses.dataclass
class Member:
    name: str
    role: str  # "honest", "copy" (of an honest student), "reference-copy"
    cells: dict
    source: str = ""  # what a copy copied: a student's name, or the reference's
    how: str = ""  # the variants drawn, or the disguises applied


def published_solution(lab: Lab, rng: random.Random) -> dict:
    """The instructor's answers in another house style: what a student might find online."""
    return {cell: personalise(text, lab.given_lines(cell), HOUSE_STYLE, rng, rate=1.0)
            for cell, text in lab.solved.items()}


def build_class(lab: Lab, honest: int, copies: int, reference_copies: int, rng: random.Random,
                rate: float = 0.5):
    members = []
    for i in range(honest):
        cells, drawn = {}, []
        for cell, kinds in lab.variants.items():
            if rng.random() < UNANSWERED:
                cells[cell] = lab.given[cell]
                drawn.append(f"{cell}=unanswered")
                continue
            available = [k for k in DRAW if kinds[k]]
            kind = rng.choices(available, [DRAW[k] for k in available])[0]
            label, text = rng.choice(kinds[kind])
            cells[cell] = text
            drawn.append(f"{cell}={label}")
        habits = draw_habits(rng)
        cells = {cell: own_touch(text, personalise(text, lab.given_lines(cell), habits, rng),
                                 lab.given_lines(cell), rng) for cell, text in cells.items()}
        members.append(Member(f"honest{i:03d}", "honest", cells,
                              how="; ".join(drawn) + " | " + ",".join(sorted(habits))))
    reference = published_solution(lab, rng)
    for j, original in enumerate(rng.sample(members, copies)):
        how = rng.choice(DISGUISES)
        members.append(Member(f"copy{j:02d}", "copy", disguise(original.cells, lab, rng, how, rate), original.name,
                              "+".join(how + ("comments",))))
    for j in range(reference_copies):
        how = rng.choice(DISGUISES)
        members.append(Member(f"refcopy{j:02d}", "reference-copy", disguise(reference, lab, rng, how, rate),
                              "reference", "+".join(how + ("comments",))))
    # Anonymous, shuffled names: neither engine sees who is who.
    order = rng.sample(range(len(members)), len(members))
    anonymous = {m.name: f"student{k:03d}" for m, k in zip(members, order)}
    for m in members:
        m.source = anonymous.get(m.source, m.source)
    for m in members:
        m.name = anonymous[m.name]
    return sorted(members, key=lambda m: m.name), reference


EXTRACTS = {
    "lines": "similarity.own_code: every TODO cell, the release's code left to the boilerplate (as the course does)",
    "loose": "own_code, a line compared without its comment and spaces (a given line stripped of its comment "
             "is still given)",
    "cells": "the whole TODO cells, the release's code left to the boilerplate fingerprints",
}


def _loose(line: str) -> str:
    return re.sub(r"\s+", "", _split_comment(line)[0])


def extract(notebook, release, how: str) -> str:
    """What the engines compare for one submission (``--extract``)."""
    if how == "lines":
        return similar.own_code(notebook)
    cells = _solution_cells(notebook)
    if how == "cells":
        return "\n\n".join(f"# {grade_id}\n{text}" for grade_id, text in cells.items()) + "\n"
    given = _solution_cells(release)
    parts = []
    for grade_id, text in cells.items():
        known = {_loose(line) for line in given.get(grade_id, "").splitlines()}
        kept = [line for line in text.splitlines() if _loose(line) and _loose(line) not in known]
        if kept:
            parts.append(f"# {grade_id}\n" + "\n".join(kept))
    return "\n\n".join(parts) + "\n"


def sources_of(lab: Lab, members: list, reference: dict, folder: Path, how: str = "lines") -> list:
    """What each member wrote (as ``gan-lab similarity`` extracts it from a notebook, or as
    ``--extract`` says), then the published solution as a reference file."""
    sources = []
    for m in members:
        notebook = copy.deepcopy(lab.release)
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = m.cells.get(grade_id, cell.source)
        sources.append(similar.Source(m.name, "student", extract(notebook, lab.release, how), Path(m.name)))
    path = folder / f"published_{lab.name}.py"
    path.write_text("\n\n\n".join(reference.values()) + "\n")
    if how == "lines":
        code = similar.reference_code(path, lab.release)
    elif how == "cells":
        code = path.read_text()
    else:
        given = {_loose(line) for c in lab.release.cells if c.cell_type == "code" for line in c.source.splitlines()}
        code = "\n".join(line for line in path.read_text().splitlines()
                          if _loose(line) and _loose(line) not in given) + "\n"
    sources.append(similar.Source(f"reference:{path.name}", "reference", code, path))
    return sources


def pair_kind(a: str, b: str, roles: dict) -> str:
    """planted, honest, or other, for the pair of sources a and b."""
    ra, rb = roles[a], roles[b]
    if {ra.role, rb.role} <= {"honest", "reference"}:
        return "honest"
    for x, y in ((ra, rb), (rb, ra)):
        if x.role == "copy" and y.name == x.source:
            return "planted"
        if x.role == "reference-copy" and y.role == "reference":
            return "planted"
    return "other"


# --------------------------------------------------------------------------- engines
@dataclasses.dataclass
class Run:
    engine: str
    cutoff: str
    planted: int
    found: int
    honest_listed: list  # (a, b, score)
    other_listed: int
    seconds: float
    missed: list = dataclasses.field(default_factory=list)  # (a, b, score)
    note: str = ""


def best_cutoff(scored: list) -> tuple:
    """The cut-off best for an engine on this class: most planted pairs found less honest pairs
    listed, the higher cut-off on a tie; ``scored`` holds (kind, score)."""
    planted = sorted(s for k, s in scored if k == "planted")
    honest = sorted((s for k, s in scored if k == "honest"), reverse=True)
    best = (math.inf, 0, 0)  # listing nothing
    for t in sorted(set(planted), reverse=True):
        found = sum(s >= t for s in planted)
        listed = sum(s >= t for s in honest)
        if found - listed > best[1] - best[2]:
            best = (t, found, listed)
    return best


def _cut(t: float) -> str:
    return "none" if math.isinf(t) else f"{t:.2f}"


def dolos_ui_cutoff(similarities: list, step: float = 0.03) -> float:
    """Dolos's web UI initial cut-off: ``guessSimilarityThreshold`` of
    web/src/util/SimilarityThreshold (dodona-edu/dolos), ported as it is."""
    values = sorted(similarities)
    if not values:
        return 1.0
    mean = sum(values) / len(values)
    binned, upper, lower, next_step = [], 0, 0, step
    for value in values:
        while value >= next_step:
            binned.append(upper + lower)
            lower, upper = upper, 0
            next_step += step
        upper += 1
    binned.append(upper + lower)
    minima = []
    if len(binned) > 1:
        direction = binned[0] < binned[1]
        for i in range(len(binned) - 1):
            now = binned[i] < binned[i + 1]
            if now != direction:
                if not direction:
                    minima.append(i)
                direction = now
    if not minima:
        return mean

    def weight(index, top=0.8):
        a = 0.9 / (1 / 3 - top + top * top)
        b = -2 * top * a
        c = -top * top * a - top * b + 0.1
        return round((a * index * index + b * index + c) * 1000) / 1000

    weighted = [(math.sqrt(binned[v]) + 1) * weight(v * step) for v in minima]
    best = 0
    for i, w in enumerate(weighted):
        best = best if weighted[best] < w else i
    return max(mean, minima[best] * step + step / 2)


def run_ours(lab: Lab, sources: list, roles: dict) -> tuple[list, dict]:
    result = similar.compare(lab.name, sources, lab.release)
    scored = [(pair_kind(p.a, p.b, roles), p) for p in result.pairs]
    planted = [(p.a, p.b, p.score) for k, p in scored if k == "planted"]
    found = sum(p.listed for k, p in scored if k == "planted")
    missed = [(p.a, p.b, p.score, p.weight) for k, p in scored if k == "planted" and not p.listed]
    honest = [(p.a, p.b, p.score, p.weight) for k, p in scored if k == "honest" and p.listed]
    other = sum(p.listed for k, p in scored if k == "other")
    fixed = Run("copydetect", f"{similar.THRESHOLD:.2f}, weight >= {similar.MIN_WEIGHT:g}", len(planted), found,
                honest, other, result.seconds, missed)
    eligible = [(k, p.score if p.weight >= similar.MIN_WEIGHT else -1.0) for k, p in scored]
    t, found_b, listed_b = best_cutoff(eligible)
    best = Run("copydetect", f"best {_cut(t)}, weight >= {similar.MIN_WEIGHT:g}", len(planted), found_b,
               [None] * listed_b, sum(s >= t for k, s in eligible if k == "other"), result.seconds)
    stats = _separation(eligible)
    return [fixed, best], {"stats": stats, "pairs": scored, "seconds": result.seconds}


def _separation(scored: list) -> dict:
    """Threshold-free: the lowest planted and highest honest score, the planted pairs scoring above
    every honest pair, the honest pairs scoring at or above the lowest planted one, and the AUC
    (the chance that a planted pair outscores an honest one)."""
    planted = sorted(s for k, s in scored if k == "planted")
    honest = sorted(s for k, s in scored if k == "honest")
    if not planted or not honest:
        return {"lowest planted": float("nan"), "highest honest": float("nan"), "clear": 0, "crowd": 0, "auc": 1.0}
    import bisect

    below = [bisect.bisect_left(honest, p) for p in planted]
    ties = [bisect.bisect_right(honest, p) - b for p, b in zip(planted, below)]
    wins = sum(below) + 0.5 * sum(ties)
    return {"lowest planted": planted[0], "highest honest": honest[-1],
            "clear": sum(p > honest[-1] for p in planted),
            "crowd": len(honest) - bisect.bisect_left(honest, planted[0]),
            "auc": wins / (len(planted) * len(honest))}


def run_dolos(lab: Lab, sources: list, roles: dict, folder: Path, options: dict | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for s in sources:
        path = folder / (re.sub(r"[^\w.-]", "_", s.name) + ("" if s.name.endswith(".py") else ".py"))
        path.write_text(s.code)
        files.append(str(path.resolve()))
    template = folder.parent / f"{folder.name}-release.py"
    template.write_text(lab.boilerplate)
    manifest = folder.parent / f"{folder.name}-manifest.json"
    manifest.write_text(json.dumps({"files": files, "template": str(template.resolve()), "options": options or {}}))
    started = time.perf_counter()
    done = subprocess.run(["node", str(DOLOS_SCRIPT), str(manifest)], capture_output=True, text=True,
                          env={**os.environ, "DOLOS_LIB": str(DOLOS_LIB)})
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"Dolos failed ({done.returncode}):\n{done.stderr[-2000:]}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    names = [s.name for s in sources]
    scored = [(pair_kind(names[i], names[j], roles), names[i], names[j], sim) for i, j, sim, *_ in answer["pairs"]]
    runs = []
    cut = dolos_ui_cutoff([sim for *_, sim in scored])
    t, _, _ = best_cutoff([(k, sim) for k, _, _, sim in scored])
    for label, cutoff in ((f"UI cut-off {cut:.2f}", cut), (f"best {_cut(t)}", t)):
        runs.append(Run("Dolos", label, sum(k == "planted" for k, *_ in scored),
                        sum(k == "planted" and sim >= cutoff for k, _, _, sim in scored),
                        [(a, b, sim) for k, a, b, sim in scored if k == "honest" and sim >= cutoff],
                        sum(k == "other" and sim >= cutoff for k, _, _, sim in scored), wall,
                        [(a, b, sim) for k, a, b, sim in scored if k == "planted" and sim < cutoff],
                        note=f"analysis {answer['seconds']:.1f} s"))
    return runs, {"stats": _separation([(k, sim) for k, _, _, sim in scored]), "pairs": scored,
                  "seconds": wall, "analysis": answer["seconds"]}


# --------------------------------------------------------------------------- reporting
def _describe(name: str, roles: dict) -> str:
    m = roles[name]
    if m.role == "copy":
        return f"{name} (copy of {m.source}: {m.how})"
    if m.role == "reference-copy":
        return f"{name} (copy of the reference: {m.how})"
    return name


def best_matches(pairs: list, roles: dict) -> tuple[int, int]:
    """(copies whose best-scoring partner is their source or another copy of it, copies): what a
    reader who looks at each student's best match would find. ``pairs`` holds (a, b, score)."""
    best: dict[str, tuple] = {}
    for a, b, score in pairs:
        for x, y in ((a, b), (b, a)):
            if x not in best or score > best[x][0]:
                best[x] = (score, y)
    copies = [m for m in roles.values() if m.role in ("copy", "reference-copy")]
    hits = 0
    for m in copies:
        partner = roles.get(best.get(m.name, (0, ""))[1])
        source = "reference" if m.role == "reference-copy" else m.source
        if partner is not None and (partner.name == source or partner.role == source
                                    or (partner.role in ("copy", "reference-copy") and partner.source == m.source)):
            hits += 1
    return hits, len(copies)


def print_lab(lab: Lab, members: list, sources: list, runs: list, details: dict, roles: dict, show: int):
    honest = sum(m.role == "honest" for m in members)
    copies = sum(m.role == "copy" for m in members)
    refs = sum(m.role == "reference-copy" for m in members)
    pairs = len(sources) * (len(sources) - 1) // 2
    print(f"\n[{lab.name}] {honest} honest + {copies} copies + {refs} copies of the published solution "
          f"= {len(members)} students, 1 reference, {pairs} pairs")
    print(f"  {'engine':<11} {'cut-off':<26} {'planted found':>13} {'honest listed':>13} {'other listed':>12} "
          f"{'seconds':>8}")
    for r in runs:
        print(f"  {r.engine:<11} {r.cutoff:<26} {f'{r.found}/{r.planted}':>13} {len(r.honest_listed):>13} "
              f"{r.other_listed:>12} {r.seconds:>8.2f}" + (f"  ({r.note})" if r.note else ""))
    for engine, d in details.items():
        s = d["stats"]
        if engine == "copydetect":
            triples = [(p.a, p.b, p.score) for _, p in d["pairs"]]
        else:
            triples = [(a, b, sim) for _, a, b, sim in d["pairs"]]
        hits, copies = best_matches(triples, roles)
        low = "below MIN_WEIGHT" if s["lowest planted"] < 0 else f"{s['lowest planted']:.3f}"
        print(f"  {engine}: lowest planted score {low}, highest honest {s['highest honest']:.3f}; "
              f"{s['clear']} planted above every honest pair, {s['crowd']} honest pairs at or above the lowest "
              f"planted; AUC {s['auc']:.3f}; {hits}/{copies} copies' best match is their source")
    for r in runs:
        if "best" in r.cutoff:
            continue
        for a, b, score, *weight in r.missed:
            extra = f", weight {weight[0]:.1f}" if weight else ""
            print(f"  {r.engine} missed {a} ~ {b}: score {score:.3f}{extra}  "
                  f"[{_describe(a, roles)} / {_describe(b, roles)}]")
        for a, b, score, *weight in r.honest_listed[:20]:
            extra = f", weight {weight[0]:.1f}" if weight else ""
            print(f"  {r.engine} listed honest {a} ~ {b}: score {score:.3f}{extra}")
    if show:
        for engine, d in details.items():
            if engine == "copydetect":
                honest_pairs = sorted(((p.score, p.weight, p.a, p.b) for k, p in d["pairs"] if k == "honest"),
                                      reverse=True)[:show]
                text = ", ".join(f"{a}~{b} {s:.2f} (w {w:.1f})" for s, w, a, b in honest_pairs)
            else:
                honest_pairs = sorted(((sim, a, b) for k, a, b, sim in d["pairs"] if k == "honest"),
                                      reverse=True)[:show]
                text = ", ".join(f"{a}~{b} {s:.2f}" for s, a, b in honest_pairs)
            print(f"  {engine} top honest pairs: {text}")
            if engine == "copydetect":
                planted = sorted((p.score, p.weight, p.a, p.b) for k, p in d["pairs"] if k == "planted")
            else:
                planted = sorted((sim, 0.0, a, b) for k, a, b, sim in d["pairs"] if k == "planted")
            print(f"  {engine} planted pairs: " + ", ".join(f"{s:.2f}" for s, *_ in planted))


def inventory(lab: Lab) -> str:
    """The variants each TODO cell draws from, and a digest of them and of the release's cells: the
    class is built from the tests and notebooks as they are, so a changed digest is another class."""
    import hashlib

    parts, digest = [], hashlib.sha256()
    for cell, kinds in lab.variants.items():
        parts.append(f"{cell} " + "+".join(str(len(kinds[k])) for k in DRAW))
        digest.update(lab.given[cell].encode())
        for k in DRAW:
            for label, text in kinds[k]:
                digest.update(f"{k}\0{label}\0{text}\0".encode())
    return (f"[{lab.name}] inputs {digest.hexdigest()[:12]}; variants per TODO cell (instructor+edited+test "
            f"correct+test mistake): " + ", ".join(parts))


# --------------------------------------------------------------------------- what if (--sweep)
# How a shared fingerprint held by ``df`` of ``n`` students weighs: the module's, and stricter ones.
# label -> (weight of a fingerprint ``df`` of ``n`` students hold, score, k). Scores: "share", the
# module's (the weight shared over the lighter source's total); "chance", the same less what the
# lighter one would share with a random classmate, (S - E) / (T - E), E = sum of w * (df - 1) / (n - 1)
# over its fingerprints. k > 0: the pair's score less the k-th best score of either of the two (a
# copy stands out from its source's other matches; the canonical answer is shared by many).
_log = lambda n, df: math.log((n + 1) / (df + 1))  # noqa: E731
WEIGHTINGS = {
    "log": (_log, "share", 0),
    "log^2": (lambda n, df: _log(n, df) ** 2, "share", 0),
    "log,df<=10%": (lambda n, df: _log(n, df) if df <= max(2, 0.10 * n) else 0.0, "share", 0),
    "log,chance": (_log, "chance", 0),
    "log,margin5": (_log, "share", 5),
    "log,chance,m5": (_log, "chance", 5),
}
SIZES = [(10, 15), (15, 20), (20, 25), (20, 30), (25, 30), (30, 40)]  # (NOISE, GUARANTEE)
CUTS = [round(0.05 * i, 2) for i in range(20)]  # THRESHOLD
FLOORS = [0, 5, 10, 20, 40]  # MIN_WEIGHT


def rescore(lab: Lab, sources: list, noise: int, guarantee: int, weightings: dict) -> dict:
    """``similarity.compare``'s scores under other NOISE / GUARANTEE and weightings: the same
    fingerprints (the module's own ``_fingerprint``, boilerplate and all), the same score (the
    weight shared over the lighter source's total). weighting -> [(a, b, score, weight)]."""
    saved = similar.NOISE, similar.GUARANTEE
    similar.NOISE, similar.GUARANTEE = noise, guarantee
    try:
        boilerplate = similar._release_boilerplate(lab.release)
        prints = {s.name: set(similar._fingerprint(s.code, boilerplate).hashes) for s in sources}
    finally:
        similar.NOISE, similar.GUARANTEE = saved
    students = [s for s in sources if s.kind == "student"]
    n = max(len(students), 1)
    df: dict[int, int] = {}
    for source in students:
        for value in prints[source.name]:
            df[value] = df.get(value, 0) + 1
    out = {}
    kinds = {s.name: s.kind for s in sources}
    for label, (weighting, mode, k) in weightings.items():
        weight = {value: weighting(n, count) for value, count in df.items()}
        rarest = weighting(n, 0)
        total = {name: sum(weight.get(v, rarest) for v in fp) for name, fp in prints.items()}
        chance = {name: sum(weight.get(v, rarest) * ((df.get(v, 0) - (kinds[name] == "student")) / max(n - 1, 1))
                            for v in fp) for name, fp in prints.items()}
        pairs = []
        for a, b in combinations(sources, 2):
            if a.kind == "reference" and b.kind == "reference":
                continue
            shared = sum(weight.get(v, rarest) for v in prints[a.name] & prints[b.name])
            light = a.name if total[a.name] <= total[b.name] else b.name
            if mode == "chance":
                room = total[light] - chance[light]
                score = (shared - chance[light]) / room if room > 0 else 0.0
            else:
                score = shared / total[light] if total[light] > 0 else 0.0
            pairs.append((a.name, b.name, score, shared))
        if k:
            scores: dict[str, list] = {}
            for a, b, score, _ in pairs:
                scores.setdefault(a, []).append(score)
                scores.setdefault(b, []).append(score)
            kth = {name: sorted(v, reverse=True)[k] if len(v) > k else 0.0 for name, v in scores.items()}
            pairs = [(a, b, score - max(kth[a], kth[b]), shared) for a, b, score, shared in pairs]
        out[label] = pairs
    return out


def grid(pairs: list, roles: dict):
    """(missed planted, honest listed) for every (THRESHOLD, MIN_WEIGHT) of CUTS x FLOORS."""
    import numpy as np

    kinds = np.array([pair_kind(a, b, roles) for a, b, _, _ in pairs])
    score = np.array([p[2] for p in pairs])
    weight = np.array([p[3] for p in pairs])
    planted, honest = kinds == "planted", kinds == "honest"
    missed = np.zeros((len(CUTS), len(FLOORS)), dtype=int)
    listed = np.zeros_like(missed)
    for i, t in enumerate(CUTS):
        for j, w in enumerate(FLOORS):
            on = (score >= t - 1e-12) & (weight >= w)
            missed[i, j] = int((planted & ~on).sum())
            listed[i, j] = int((honest & on).sum())
    lowest = float(score[planted].min()) if planted.any() else float("nan")
    highest = float(score[honest].max()) if honest.any() else float("nan")
    return missed, listed, lowest, highest


def sweep(labs: list, classes: dict, tmp: Path) -> None:
    """Our engine under every --extract, SIZES and WEIGHTINGS, on the classes already built: per
    lab the separation (lowest planted / highest honest score), then the settings whose one
    (THRESHOLD, MIN_WEIGHT) does best on all labs together (fewest misses + honest pairs listed)."""
    import numpy as np

    totals = {}
    print("\nWhat if (our engine): per lab, planted pairs above every honest pair / honest pairs at or above "
          "the lowest planted one / AUC")
    print(f"  {'extract':<6} {'NOISE':>5} {'GUAR.':>5} {'weighting':<12} " +
          " ".join(f"{lab.name:>16}" for lab in labs))
    for how in EXTRACTS:
        sources = {lab.name: sources_of(lab, classes[lab.name][0], classes[lab.name][1], tmp, how) for lab in labs}
        for noise, guarantee in SIZES:
            per_lab = {lab.name: rescore(lab, sources[lab.name], noise, guarantee, WEIGHTINGS) for lab in labs}
            for label in WEIGHTINGS:
                cells, missed_all, listed_all = [], 0, 0
                for lab in labs:
                    pairs = per_lab[lab.name][label]
                    missed, listed, lowest, highest = grid(pairs, classes[lab.name][2])
                    missed_all, listed_all = missed_all + missed, listed_all + listed
                    sep = _separation([(pair_kind(a, b, classes[lab.name][2]), sc) for a, b, sc, _ in pairs])
                    cells.append(f"{sep['clear']}/{sep['crowd']}/{sep['auc']:.3f}")
                totals[(how, noise, guarantee, label)] = (missed_all, listed_all)
                print(f"  {how:<6} {noise:>5} {guarantee:>5} {label:<12} " + " ".join(f"{c:>16}" for c in cells))
    print("\nBest settings on all labs together: one THRESHOLD and MIN_WEIGHT for every lab")
    print(f"  {'extract':<6} {'NOISE':>5} {'GUAR.':>5} {'weighting':<12} {'THRESHOLD':>9} {'MIN_WEIGHT':>10} "
          f"{'planted missed':>14} {'honest listed':>13}")
    best = []
    for key, (missed, listed) in totals.items():
        cost = missed + listed
        i, j = np.unravel_index(np.lexsort((-np.array(CUTS)[:, None].repeat(len(FLOORS), 1).ravel(),
                                            listed.ravel(), cost.ravel()))[0], cost.shape)
        best.append((cost[i, j], listed[i, j], key, CUTS[i], FLOORS[j], missed[i, j]))
    best.sort(key=lambda b: (b[0], b[1]))
    current = ("lines", similar.NOISE, similar.GUARANTEE, "log")
    shown = best[:12] + [b for b in best if b[2] == current and b not in best[:12]]
    for cost, listed, (how, noise, guarantee, label), t, w, missed in shown:
        mark = "  <- the module's settings, best cut-off" if (how, noise, guarantee, label) == current else ""
        print(f"  {how:<6} {noise:>5} {guarantee:>5} {label:<12} {t:>9.2f} {w:>10} {missed:>14} {listed:>13}{mark}")
    if current in totals:
        missed, listed = totals[current]
        i, j = CUTS.index(round(similar.THRESHOLD, 2)) if round(similar.THRESHOLD, 2) in CUTS else None, \
            FLOORS.index(int(similar.MIN_WEIGHT)) if int(similar.MIN_WEIGHT) in FLOORS else None
        if i is not None and j is not None:
            print(f"  the module as it is (lines, {similar.NOISE}, {similar.GUARANTEE}, log, {similar.THRESHOLD}, "
                  f"{similar.MIN_WEIGHT:g}): {missed[i, j]} planted missed, {listed[i, j]} honest listed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labs", nargs="+", default=list(LABS), choices=LABS)
    parser.add_argument("--students", type=int, default=60, help="honest students a lab (default 60)")
    parser.add_argument("--copies", type=int, default=6, help="disguised copies of honest students a lab")
    parser.add_argument("--reference-copies", type=int, default=3,
                        help="disguised copies of the published solution a lab")
    parser.add_argument("--scale", type=int, default=0, metavar="N", help="also time classes of N honest students")
    parser.add_argument("--disguise-rate", type=float, default=0.5, metavar="P",
                        help="a copier changes each statement a disguise applies to with probability P")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hash-seed", type=int, default=0, help="PYTHONHASHSEED for copydetect's hashes")
    parser.add_argument("--no-dolos", action="store_true")
    parser.add_argument("--sweep", action="store_true",
                        help="re-score our engine under other --extract, NOISE/GUARANTEE, weightings, scores, "
                             "THRESHOLD and MIN_WEIGHT")
    parser.add_argument("--extract", default="lines", choices=EXTRACTS,
                        help="what is compared: " + "; ".join(f"{k}: {v}" for k, v in EXTRACTS.items()))
    parser.add_argument("--show", type=int, default=0, metavar="N", help="print the N highest honest pairs")
    parser.add_argument("--no-canonical", action="store_true",
                        help="compare the code as written, not in gan_lab.course.canonical's form")
    args = parser.parse_args()
    similar.CANONICAL = not args.no_canonical
    if os.environ.get("PYTHONHASHSEED") != str(args.hash_seed):
        os.execve(sys.executable, [sys.executable, *sys.argv],
                  {**os.environ, "PYTHONHASHSEED": str(args.hash_seed)})
    dolos = not args.no_dolos and shutil.which("node") and (DOLOS_LIB / "dist" / "index.js").is_file()
    if not args.no_dolos and not dolos:
        print(f"Dolos skipped: needs node on PATH and {DOLOS_LIB} (set $DOLOS_LIB)", file=sys.stderr)
    summary, classes, labs_built = [], {}, []
    print(f"copydetect: NOISE {similar.NOISE}, GUARANTEE {similar.GUARANTEE}, THRESHOLD {similar.THRESHOLD}, "
          f"MIN_WEIGHT {similar.MIN_WEIGHT}; seed {args.seed}, PYTHONHASHSEED {args.hash_seed}, disguise rate "
          f"{args.disguise_rate}; canonical form {'on' if similar.CANONICAL else 'off'}; {os.cpu_count()} cores")
    print(f"compared: {args.extract} ({EXTRACTS[args.extract]})")
    with tempfile.TemporaryDirectory(prefix="bench-similarity-") as tmp:
        tmp = Path(tmp)
        for name in args.labs:
            lab = load_lab(name, tmp)
            print(inventory(lab))
            for size in [args.students] + ([args.scale] if args.scale else []):
                rng = random.Random(f"{args.seed}-{name}-{size}")
                members, reference = build_class(lab, size, args.copies, args.reference_copies, rng,
                                                 args.disguise_rate)
                sources = sources_of(lab, members, reference, tmp, args.extract)
                roles = {m.name: m for m in members}
                roles[sources[-1].name] = Member(sources[-1].name, "reference", {})
                runs, details = [], {}
                ours, details["copydetect"] = run_ours(lab, sources, roles)
                runs += ours
                if dolos:
                    theirs, details["Dolos"] = run_dolos(lab, sources, roles, tmp / f"dolos-{name}-{size}")
                    runs += theirs
                print_lab(lab, members, sources, runs, details, roles, args.show)
                if size == args.students:
                    classes[name] = (members, reference, roles)
                    labs_built.append(lab)
                for r in runs:
                    summary.append((r, name, len(members)))
        if args.sweep:
            sweep(labs_built, classes, tmp)
    print(f"\n{'engine':<11} {'cut-off':<26} {'lab':<11} {'students':>8} {'planted found':>13} "
          f"{'honest pairs listed':>19} {'seconds':>8}")
    for r, name, students in summary:
        print(f"{r.engine:<11} {r.cutoff:<26} {name:<11} {students:>8} {f'{r.found}/{r.planted}':>13} "
              f"{len(r.honest_listed):>19} {r.seconds:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
