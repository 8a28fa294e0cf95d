"""Student wheels: one per lab, without gan_lab/grading/ or the code that answers its TODOs."""
import ast
import io
import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest

from gan_lab.course import student_build
from gan_lab.cli import main
from gan_lab.course.nbgrader_run import REPO, labs, solution_submission
from gan_lab.course.answers import LAB_ORDER, MANIFEST, StudentBuildError, kept, left_out
from gan_lab.course.student_build import check_manifest, coverage_problems, find_definition, is_stub, rewrite_module


def _names(answers, kind="code"):
    return {a.name for a in answers if a.kind == kind}


def _manifest_names(lab_list, kind):
    return {name for lab in lab_list for todo in MANIFEST[lab]
            for name in (todo.code if kind == "code" else todo.docs)}


# --------------------------------------------------------------------------- the manifest
def test_every_manifest_name_exists_in_the_source_and_the_course_order_names_every_lab():
    """Does every name in the manifest resolve to a def, class or docstring in gan_lab?"""
    check_manifest()
    assert sorted(LAB_ORDER) == labs()
    for lab in LAB_ORDER:
        for todo in MANIFEST[lab]:
            for name in todo.code:
                _path, node = find_definition(REPO, name)
                assert not is_stub(node), f"{name} is already a stub in the full package"


def test_every_todo_cell_of_every_lab_is_covered_by_the_manifest():
    """Is each solution cell answered by a manifest entry or given a reason it needs none?"""
    assert coverage_problems() == []
    for lab in LAB_ORDER:
        assert [t.grade_id for t in MANIFEST[lab]] == student_build.todo_cells(lab), lab
        for todo in MANIFEST[lab]:
            assert todo.code or todo.docs or todo.reason, (lab, todo.grade_id)


def test_a_manifest_name_gone_from_the_source_is_an_error(tmp_path):
    """Does the manifest fail loudly instead of rotting when an answer is renamed?"""
    shutil.copytree(REPO / "gan_lab", tmp_path / "gan_lab", ignore=shutil.ignore_patterns("__pycache__"))
    losses = tmp_path / "gan_lab" / "losses.py"
    losses.write_text(losses.read_text().replace("def ls_fake_loss(", "def ls_fake_term("))
    with pytest.raises(StudentBuildError, match=r"'gan_lab.losses.ls_fake_loss': 'ls_fake_loss' is "
                                                r"not defined in gan_lab/losses.py"):
        check_manifest(tmp_path)


def test_an_unknown_lab_is_a_one_line_error(capsys):
    """Does a misspelt lab name say which labs exist, from the API and from the command line?"""
    with pytest.raises(StudentBuildError, match="unknown lab 'lab2'; expected one of mlp_gan, dcgan"):
        left_out("lab2")
    assert main(["student-build", "--lab", "DCGAN", "--out", "unused"]) == 1
    err = capsys.readouterr().err
    assert err == ("gan-lab student-build: error: unknown lab 'DCGAN'; expected one of "
                   "mlp_gan, dcgan, gan_losses, toy_1d\n")


@pytest.mark.parametrize("lab", LAB_ORDER)
def test_each_build_leaves_out_its_lab_and_later_labs_and_keeps_earlier_ones(lab):
    """Does the build for lab k drop every answer to labs k.. and keep only answers to labs before k?"""
    k = LAB_ORDER.index(lab)
    for kind in ("code", "docs"):
        dropped = _manifest_names(LAB_ORDER[k:], kind)
        assert _names(left_out(lab), kind) == dropped
        assert _names(kept(lab), kind) == _manifest_names(LAB_ORDER[:k], kind) - dropped
    assert {a.lab for a in left_out(lab)} <= set(LAB_ORDER[k:])


def test_the_dcgan_build_keeps_what_its_release_hands_students():
    """Does lab 2's build keep lab 1's training steps and BCE terms, which train() and BCE run?"""
    kept_names = _names(kept("dcgan"))
    assert {"gan_lab.training.discriminator_step", "gan_lab.training.generator_step",
            "gan_lab.losses.bce_real_loss", "gan_lab.losses.bce_fake_loss"} <= kept_names
    assert "gan_lab.models.dcgan.DCGANGenerator" in _names(left_out("dcgan"))
    assert _names(kept("mlp_gan")) == set()


@pytest.mark.parametrize("lab", LAB_ORDER)
def test_no_release_notebook_imports_a_name_its_build_stubs(lab):
    """Does every `from gan_lab... import x` in the lab's release name something its build keeps?"""
    stubbed = _names(left_out(lab))
    release = nbformat.read(REPO / "notebooks" / lab / f"{lab}.ipynb", as_version=4)
    imported = set()
    for cell in release.cells:
        if cell.cell_type == "code":
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gan_lab"):
                    imported |= {f"{node.module}.{alias.name}" for alias in node.names}
    assert imported, f"the {lab} release imports nothing from gan_lab"
    assert not any(name.startswith("gan_lab.grading") for name in imported)
    assert imported & stubbed == set()


# --------------------------------------------------------------------------- rewriting source
_SOURCE = '''"""Module text that answers a question."""
import math


@staticmethod
def answer(x: float, *, scale: float = 2.0) -> float:
    """Scale x."""
    # the trick: multiply
    return x * scale
    # a trailing comment under the body


def helper(x):
    return math.sqrt(x)


class Model:
    """A model."""

    width = 3

    def __init__(self, width: int = 3, *, depth: int = 1) -> None:
        self.width = width

    def forward(self, x):
        return x * self.width


class Kept:
    def method(self):
        """Says how."""
        return 1
'''


def test_rewrite_keeps_signatures_and_docstrings_and_raises_in_place_of_bodies():
    """Are stubbed bodies gone, signatures and docstrings kept, and replaced docstrings replaced?"""
    out = rewrite_module(_SOURCE, {"answer": "answer left out", "Model": "Model left out"},
                         {"": "Module text left out.", "Kept.method": "Method text left out."})
    for gone in ("the trick", "x * scale", "trailing comment", "width = 3", "forward", "Says how",
                 "answers a question"):
        assert gone not in out
    namespace = {}
    exec(compile(out, "rewritten", "exec"), namespace)
    import inspect

    assert str(inspect.signature(namespace["answer"])) == "(x: float, *, scale: float = 2.0) -> float"
    assert namespace["answer"].__doc__ == "Scale x."
    with pytest.raises(NotImplementedError, match="answer left out"):
        namespace["answer"](1.0)
    assert namespace["helper"](4) == 2
    assert namespace["Model"].__doc__ == "A model."
    assert str(inspect.signature(namespace["Model"])) == "(width: int = 3, *, depth: int = 1) -> None"
    with pytest.raises(NotImplementedError, match="Model left out"):
        namespace["Model"]()
    assert namespace["Kept"]().method() == 1
    assert namespace["Kept"].method.__doc__ == "Method text left out."
    assert namespace["__doc__"] == "Module text left out."


# --------------------------------------------------------------------------- the full package
def test_the_full_package_still_has_the_grading_checks_and_every_answer():
    """Does the dev install, which the autograder uses, keep gan_lab.grading and real answers?"""
    import importlib

    import torch

    import gan_lab
    from gan_lab import losses, minimax

    assert Path(gan_lab.__file__).resolve().is_relative_to(REPO)
    for lab in LAB_ORDER:
        assert hasattr(importlib.import_module(f"gan_lab.grading.{lab}"), "__file__")
    assert losses.ls_fake_loss(torch.zeros(3)).item() == 0.0
    assert minimax.minimax_value() == 0.0
    assert "saddle" in minimax.__doc__


# --------------------------------------------------------------------------- a real build
def _statements(node, skip=()):
    """ast.dump of every statement under node, not descending into the nodes in skip."""
    found = set()
    for child in ast.iter_child_nodes(node):
        if any(child is s for s in skip):
            continue
        if isinstance(child, ast.stmt):
            found.add(ast.dump(child))
        found |= _statements(child, skip)
    return found


def _definition_in(tree, path: Path, name: str):
    """The node for ``name`` inside ``tree``, the parsed ``path``."""
    module = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
    node = tree
    for part in name[len(module) + 1:].split(".") if name != module else []:
        node = next(n for n in node.body if getattr(n, "name", None) == part)
    return node


def _stripped_source(removed):
    """(statements only the stubbed bodies hold, the docstrings replaced) in the full package."""
    stubbed, docstrings = {}, set()
    for answer in removed:
        path, node = find_definition(REPO, answer.name)
        if answer.kind == "code":
            stubbed.setdefault(path, []).append(answer.name)
        else:
            docstrings.add(ast.get_docstring(node))
    inside, outside = set(), set()
    for path in (REPO / "gan_lab").rglob("*.py"):
        if "grading" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        nodes = [_definition_in(tree, path, name) for name in stubbed.get(path, [])]
        outside |= _statements(tree, skip=nodes)
        for node in nodes:
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            for statement in body:
                inside |= {ast.dump(statement)} | _statements(statement)
    return inside - outside, docstrings


def _check_script(removed, kept_answers):
    return f"""
import importlib, inspect, json
def resolve(name):
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part)
        return obj
def call(obj):
    params = inspect.signature(obj).parameters.values()
    args = [None for p in params if p.default is p.empty and p.kind == p.POSITIONAL_OR_KEYWORD]
    kwargs = {{p.name: None for p in params if p.default is p.empty and p.kind == p.KEYWORD_ONLY}}
    try:
        obj(*args, **kwargs)
    except NotImplementedError as exc:
        return str(exc)
    except Exception as exc:
        return "ran: " + type(exc).__name__
    return "ran"
import gan_lab, gan_lab.objectives, gan_lab.training, gan_lab.runs, gan_lab.models, gan_lab.cli
try:
    import gan_lab.grading
    grading = "imported"
except ModuleNotFoundError as exc:
    grading = str(exc)
result = {{"file": gan_lab.__file__, "version": gan_lab.__version__, "grading": grading,
          "code": {{n: call(resolve(n)) for n in {sorted(_names(removed))!r}}},
          "docs": {{n: resolve(n).__doc__ for n in {sorted(_names(removed, "docs"))!r}}},
          "kept": {{n: call(resolve(n)) for n in {sorted(_names(kept_answers))!r}}}}}
print(json.dumps(result))
"""


def _fresh_venv(path: Path) -> Path:
    """A venv whose dependencies come from this one through a .pth file: no second torch."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = subprocess.run([str(python), "-c", where], check=True, capture_output=True, text=True)
    site = site.stdout.strip()
    # A path line only: the .pth files in the dev site-packages (the editable gan_lab) stay unread.
    (Path(site) / "dev_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@pytest.mark.slow
def test_the_dcgan_student_wheel_installs_alone_and_runs_the_dcgan_release(tmp_path, small_mnist,
                                                                           monkeypatch):
    """Does lab 2's wheel lack grading/ and every stubbed body, and still run lab 2's notebook?"""
    wheel, removed = student_build.build_student_wheel("dcgan", tmp_path / "dist" / "dcgan")
    assert wheel.name == "gan_lab-0.1.0+student.dcgan-py3-none-any.whl"
    assert wheel.parent == tmp_path / "dist" / "dcgan"

    # Nothing of the stubbed bodies or replaced docstrings is in the wheel, compiled or not.
    only_stubbed, docstrings = _stripped_source(removed)
    assert len(only_stubbed) > 50  # the bodies of about 20 stubbed definitions
    with zipfile.ZipFile(wheel) as archive:
        files = archive.namelist()
        assert not [f for f in files if "grading" in f or f.startswith("gan_lab/course/") or f.endswith(".pyc")]
        # The Chinese catalog keeps what students see, not what only the hidden checks say.
        from babel.messages.mofile import read_mo

        chinese = read_mo(io.BytesIO(archive.read("gan_lab/locale/zh_CN/LC_MESSAGES/gan_lab.mo")))
        assert chinese.get("Generator: shape and range look right.") is not None  # a visible check
        assert chinese.get("after the first Linear layer") is None  # only gan_lab/grading says it
        trees = [ast.parse(archive.read(f)) for f in files if f.endswith(".py")]
        text = "\n".join(archive.read(f).decode() for f in files if f.endswith(".py"))
    assert only_stubbed & set().union(*(_statements(t) for t in trees)) == set()
    wheel_docstrings = {ast.get_docstring(n) for t in trees for n in ast.walk(t)
                        if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef))}
    assert docstrings and not docstrings & wheel_docstrings
    assert "eps, not momentum" not in text and "circle it forever" not in text

    # Installed alone into a fresh venv (torch and Jupyter reached through a .pth file).
    python = _fresh_venv(tmp_path / "venv")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
                    "--disable-pip-version-check", str(wheel)], check=True, cwd=tmp_path)
    done = subprocess.run([str(python), "-c", _check_script(removed, kept("dcgan"))], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert Path(result["file"]).is_relative_to(tmp_path / "venv")
    assert result["version"] == "0.1.0+student.dcgan"
    assert result["grading"] == "No module named 'gan_lab.grading'"
    for name, outcome in result["code"].items():
        assert outcome.startswith(f"{name} answers the TODO"), (name, outcome)
        assert outcome.endswith("the student build of gan_lab for lab dcgan leaves it out")
    assert all(doc.startswith("Left out of the student build") for doc in result["docs"].values())
    assert not [n for n, outcome in result["kept"].items() if "answers the TODO" in outcome]

    # The instructor's solved notebook, run in a kernel of that venv: every visible check passes.
    kernels = tmp_path / "jupyter" / "kernels" / "student-venv"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "gan_lab student build", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("GAN_LAB_SMOKE", "1")
    monkeypatch.setenv("GAN_LAB_OFFLINE", "1")
    monkeypatch.setenv("GAN_LAB_MNIST_DIR", str(small_mnist / "MNIST" / "raw"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("PYTHONPATH", raising=False)
    run_dir = tmp_path / "lab"
    solution_submission(REPO / "solutions" / "dcgan" / "dcgan.ipynb", run_dir / "dcgan.ipynb")
    notebook = nbformat.read(run_dir / "dcgan.ipynb", as_version=4)
    probe = "import gan_lab\nprint('gan_lab from', gan_lab.__file__)"
    notebook.cells.append(nbformat.v4.new_code_cell(probe))
    from nbclient import NotebookClient

    NotebookClient(notebook, timeout=120, kernel_name="student-venv",
                   resources={"metadata": {"path": str(run_dir)}}).execute()
    checks = [c for c in notebook.cells
              if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    assert len(checks) == 5  # weights_init_normal, discriminator_block, Generator, training_step, BatchNorm
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        assert cell.execution_count is not None, index
        for output in cell.outputs:
            assert output.output_type != "error", (index, output.get("ename"), output.get("evalue"))
            assert not (output.output_type == "stream" and output.name == "stderr"), (index, output.text)
    for cell in checks:
        assert any(o.output_type == "stream" and ("look right" in o.text or "recorded" in o.text)
                   for o in cell.outputs), cell.source
    assert f"gan_lab from {tmp_path / 'venv'}" in notebook.cells[-1].outputs[0].text
