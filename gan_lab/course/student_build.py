"""Student wheels: gan_lab without the reference code that answers the labs' TODOs.

nbgrader strips the solutions from a lab's notebook; this does the same for the package. The
build for a lab leaves out the answers to that lab's TODOs and to every later lab's, and always
leaves out ``gan_lab/grading/`` (the hidden tests' checks and expected values) and
``gan_lab/course/`` (the instructor's pipeline, and ``answers``, which names every answer). Answers to
earlier labs stay: their deadlines have passed, and a later lab may use what an earlier one
taught (the command-line recipes, the metrics).

Code is left out by its syntax tree, not by markers: a function keeps its signature and
docstring and its body becomes a ``raise NotImplementedError``; a class keeps its name, bases,
docstring and ``__init__`` signature, and ``__init__`` raises. Module-level objects built from
stubs (``gan_lab.objectives.BCE``) still import and fail only when called. A docstring that
states a written answer is replaced, and the code under it stays.

Which code answers which TODO is ``gan_lab.course.answers``. The autograder keeps using the
full package; ``gan-lab student-build`` writes
``dist/student/<lab>/gan_lab-<version>+student.<lab>-py3-none-any.whl`` (PEP 440 turns the
underscores in a lab's name into dots: ``+student.gan.losses``).
"""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from gan_lab.course.answers import (LAB_ORDER, MANIFEST, Answer, StudentBuildError, answers, check_lab,
                                    kept, left_out)

REPO = Path(__file__).resolve().parents[2]
INSTRUCTOR_ONLY = ("gan_lab/grading", "gan_lab/course")  # folders left out of every student build


# --------------------------------------------------------------------------- finding definitions
def find_definition(root: Path, name: str) -> tuple[Path, ast.AST]:
    """(source file, node) for a dotted name in ``root``'s gan_lab: a module, class or function."""
    parts = name.split(".")
    if parts[0] != "gan_lab" or name.startswith(tuple(f"{folder.replace('/', '.')}." for folder in INSTRUCTOR_ONLY)):
        raise StudentBuildError(f"manifest name {name!r} is not in gan_lab outside {', '.join(INSTRUCTOR_ONLY)}")
    for i in range(len(parts), 0, -1):
        module = root.joinpath(*parts[:i])
        for path in (module.with_suffix(".py"), module / "__init__.py"):
            if path.is_file():
                node: ast.AST = ast.parse(path.read_text(), str(path))
                for part in parts[i:]:
                    found = [n for n in getattr(node, "body", []) if getattr(n, "name", None) == part
                             and isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
                    if len(found) != 1:
                        where = "is not defined" if not found else "is defined more than once"
                        raise StudentBuildError(f"manifest name {name!r}: {part!r} {where} in "
                                                f"{path.relative_to(root)}; update the manifest")
                    node = found[0]
                return path, node
    raise StudentBuildError(f"manifest name {name!r}: no such module in {root / 'gan_lab'}; "
                            f"update the manifest")


def check_manifest(root: Path = REPO) -> None:
    """Fail unless every manifest name exists, code names are defs and docs names have docstrings."""
    if set(MANIFEST) != set(LAB_ORDER):
        raise StudentBuildError(f"the manifest covers {sorted(MANIFEST)}, the course order "
                                f"{list(LAB_ORDER)}")
    for lab in LAB_ORDER:
        for todo in MANIFEST[lab]:
            if not (todo.code or todo.docs or todo.reason):
                raise StudentBuildError(f"{lab}/{todo.grade_id}: name what answers it or say why "
                                        f"nothing does")
    for answer in answers():
        path, node = find_definition(root, answer.name)
        if answer.kind == "code" and isinstance(node, ast.Module):
            raise StudentBuildError(f"manifest name {answer.name!r} is a module; only functions and "
                                    f"classes can be stubbed")
        if answer.kind == "docs" and ast.get_docstring(node) is None:
            raise StudentBuildError(f"manifest name {answer.name!r} has no docstring to leave out")


def todo_cells(lab: str, root: Path = REPO) -> list[str]:
    """The grade_ids of the TODO cells (nbgrader solution cells) in the lab's source notebook."""
    import nbformat

    path = root / "solutions" / lab / f"{lab}.ipynb"
    if not path.is_file():
        raise StudentBuildError(f"{path}: the source notebook of lab {lab} is missing")
    cells = nbformat.read(path, as_version=4).cells
    return [c.metadata["nbgrader"]["grade_id"] for c in cells
            if c.metadata.get("nbgrader", {}).get("solution")]


def coverage_problems(root: Path = REPO) -> list[str]:
    """TODO cells the manifest does not cover, and manifest entries naming no TODO cell."""
    problems = []
    for lab in LAB_ORDER:
        cells = todo_cells(lab, root)
        listed = [todo.grade_id for todo in MANIFEST[lab]]
        problems += [f"{lab}/{g}: a TODO cell with no manifest entry" for g in cells if g not in listed]
        problems += [f"{lab}/{g}: a manifest entry for no TODO cell" for g in listed if g not in cells]
    return problems


# --------------------------------------------------------------------------- rewriting source
def stub_message(answer: Answer, lab: str) -> str:
    return (f"{answer.name} answers the TODO '{answer.todo}' in lab {answer.lab}; "
            f"the student build of gan_lab for lab {lab} leaves it out")


def _docstring_lines(text: str, indent: str) -> list[str]:
    if '"""' in text or "\\" in text:
        raise StudentBuildError(f"cannot quote a replacement docstring: {text!r}")
    return [f'{indent}"""{text}"""']


def _is_comment_or_blank(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


def _definition_edit(lines: list[str], node, stub: str | None, docstring: str | None):
    """(first line, last line, new lines), 1-based and inclusive, for one def or class.

    ``stub``: the NotImplementedError message, or None to replace only the docstring.
    """
    has_doc = ast.get_docstring(node) is not None
    indent = " " * node.body[0].col_offset
    doc = (_docstring_lines(docstring, indent) if docstring is not None
           else lines[node.body[0].lineno - 1:node.body[0].end_lineno] if has_doc else [])
    if stub is None:
        if not has_doc:
            raise StudentBuildError(f"line {node.lineno}: {node.name} has no docstring to replace")
        return node.body[0].lineno, node.body[0].end_lineno, doc
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    header_end = node.body[0].lineno - 1  # the signature ends above the docstring or first statement
    if header_end < node.lineno:
        raise StudentBuildError(f"line {node.lineno}: {node.name} has its body on the def line; "
                                f"the student build needs it on lines of its own")
    header = lines[first - 1:header_end]
    while len(header) > node.lineno - first + 1 and _is_comment_or_blank(header[-1]):
        header.pop()  # comments above the first statement belong to the body
    last = node.end_lineno
    while last < len(lines) and _is_comment_or_blank(lines[last]) and (
            not lines[last].strip() or len(lines[last]) - len(lines[last].lstrip()) > node.col_offset):
        last += 1  # comments indented under the definition, after its last statement, go too
    while last > node.end_lineno and not lines[last - 1].strip():
        last -= 1
    raise_line = f"raise NotImplementedError({stub!r})"
    if isinstance(node, ast.ClassDef):
        init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"),
                    None)
        args = ast.unparse(init.args) if init else "self, *args, **kwargs"
        returns = f" -> {ast.unparse(init.returns)}" if init and init.returns else ""
        body = ([""] if doc else []) + [f"{indent}def __init__({args}){returns}:",
                                        f"{indent}    {raise_line}"]
    else:
        body = [f"{indent}{raise_line}"]
    return first, last, header + doc + body


def rewrite_module(source: str, stubs: dict[str, str], docstrings: dict[str, str]) -> str:
    """``source`` with the named definitions stubbed and the named docstrings replaced.

    Keys are paths inside the module ("" for the module itself, "Class.method" for nesting);
    ``stubs`` maps to the NotImplementedError message, ``docstrings`` to the new text.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    edits = []
    if "" in docstrings:
        if ast.get_docstring(tree) is None:
            raise StudentBuildError("the module has no docstring to replace")
        doc = tree.body[0]
        edits.append((doc.lineno, doc.end_lineno, _docstring_lines(docstrings[""], "")))

    def visit(node, prefix: str) -> None:
        for child in node.body:
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            path = f"{prefix}{child.name}"
            if path in stubs or path in docstrings:
                edits.append(_definition_edit(lines, child, stubs.get(path), docstrings.get(path)))
            if path not in stubs:
                visit(child, path + ".")

    visit(tree, "")
    for first, last, new in sorted(edits, reverse=True):  # bottom up: earlier line numbers hold
        lines[first - 1:last] = new
    rewritten = "\n".join(lines) + "\n"
    ast.parse(rewritten)  # a syntax error here is a bug in the rewrite, not in the input
    return rewritten


def _module_key(root: Path, name: str) -> tuple[Path, str]:
    """(module file, path inside it) for a manifest name."""
    path, _node = find_definition(root, name)
    module = ".".join(path.relative_to(root).with_suffix("").parts)
    module = module.removesuffix(".__init__")
    return path, name[len(module) + 1:]


def _replacement_docstring(answer: Answer, lab: str) -> str:
    return (f"Left out of the student build for lab {lab}: this text answers "
            f"'{answer.todo}' in lab {answer.lab}.")


def rewrite_package(root: Path, package_copy: Path, lab: str) -> list[Answer]:
    """Stub the answers for ``lab`` in ``package_copy`` (a copy of ``root``); return them."""
    removed = left_out(lab)
    per_file: dict[Path, tuple[dict[str, str], dict[str, str]]] = {}
    for answer in removed:
        path, inner = _module_key(root, answer.name)
        stubs, docs = per_file.setdefault(path.relative_to(root), ({}, {}))
        if answer.kind == "code":
            stubs[inner] = stub_message(answer, lab)
        else:
            docs[inner] = _replacement_docstring(answer, lab)
    for relative, (stubs, docs) in per_file.items():
        target = package_copy / relative
        target.write_text(rewrite_module(target.read_text(), stubs, docs))
    return removed


# --------------------------------------------------------------------------- building
def student_version(lab: str, root: Path = REPO) -> str:
    """The wheel's version, e.g. 0.1.0+student.dcgan (a local version label names the lab)."""
    base = re.search(r'^version = "([^"]+)"$', (root / "pyproject.toml").read_text(), re.M)
    if base is None:
        raise StudentBuildError(f"{root / 'pyproject.toml'}: no `version = \"...\"` line")
    return f"{base.group(1)}+student.{check_lab(lab).replace('_', '.')}"  # PEP 440: no underscores


def _set_versions(copy: Path, version: str) -> None:
    """Write ``version`` into the copy's pyproject.toml and gan_lab.__version__."""
    base = version.split("+")[0]
    for path, key in ((copy / "pyproject.toml", "version"),
                      (copy / "gan_lab" / "__init__.py", "__version__")):
        old_line = f'{key} = "{base}"'
        text = path.read_text()
        if len(re.findall(f"^{re.escape(old_line)}$", text, re.M)) != 1:
            raise StudentBuildError(f"{path.name}: expected one line saying {old_line}")
        path.write_text(re.sub(f"^{re.escape(old_line)}$", f'{key} = "{version}"', text, flags=re.M))


def _copy_source(root: Path, copy: Path) -> None:
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(root / name, copy / name)
    # No __pycache__: compiled copies of the full modules would carry the answers along.
    shutil.copytree(root / "gan_lab", copy / "gan_lab",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    for folder in INSTRUCTOR_ONLY:
        shutil.rmtree(copy / folder)
    _student_catalogs(copy)


def _student_catalogs(copy: Path) -> None:
    """The message catalogs without what only the left-out folders say (the hidden checks'
    failures, the course's commands): a student's environment never shows those messages, and
    they would tell in advance what the hidden checks look for. A message that the kept code
    or a released notebook also says stays."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po, write_po

    left_out = tuple(f"{folder}/" for folder in INSTRUCTOR_ONLY)
    for po in sorted((copy / "gan_lab" / "locale").glob("*/LC_MESSAGES/gan_lab.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        for message in list(catalog):
            if message.id and message.locations and all(path.startswith(left_out)
                                                        for path, _line in message.locations):
                catalog.delete(message.id, context=message.context)
        with po.open("wb") as handle:
            write_po(handle, catalog)
        with po.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)


def _pip_wheel(source: Path, out_dir: Path) -> Path:
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
               "--disable-pip-version-check", "--quiet", "--wheel-dir", str(out_dir), str(source)]
    done = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(out_dir.glob("gan_lab-*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        output = (done.stdout + done.stderr).strip().splitlines()
        raise StudentBuildError(f"pip wheel failed (exit {done.returncode}): "
                                f"{output[-1] if output else 'no output'}")
    return wheels[0]


def verify_wheel(wheel: Path, removed: list[Answer]) -> None:
    """Fail unless the wheel lacks grading/ and compiled files and every answer is stubbed."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        bad = [n for n in names if n.startswith(tuple(f"{folder}/" for folder in INSTRUCTOR_ONLY))
               or n.endswith(".pyc")]
        if bad:
            raise StudentBuildError(f"{wheel.name} contains {bad[0]}, which it must leave out")
        for answer in removed:
            node = _wheel_definition(archive, names, answer.name)
            if answer.kind == "docs" and not (ast.get_docstring(node) or "").startswith("Left out"):
                raise StudentBuildError(f"{wheel.name}: the docstring of {answer.name} is still there")
            if answer.kind == "code" and not is_stub(node):
                raise StudentBuildError(f"{wheel.name}: {answer.name} still has its code")


def _wheel_definition(archive: zipfile.ZipFile, names: list[str], name: str) -> ast.AST:
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        for member in ("/".join(parts[:i]) + ".py", "/".join(parts[:i]) + "/__init__.py"):
            if member in names:
                node = ast.parse(archive.read(member))
                for part in parts[i:]:
                    node = next(n for n in node.body if getattr(n, "name", None) == part)
                return node
    raise StudentBuildError(f"{archive.filename}: {name} is missing from the wheel")


def is_stub(node: ast.AST) -> bool:
    """Whether a def raises NotImplementedError at once, or a class holds only such an __init__."""
    body = list(node.body)
    if ast.get_docstring(node) is not None:
        body = body[1:]
    if isinstance(node, ast.ClassDef):
        return (len(body) == 1 and isinstance(body[0], ast.FunctionDef)
                and body[0].name == "__init__" and is_stub(body[0]))
    return (len(body) == 1 and isinstance(body[0], ast.Raise) and isinstance(body[0].exc, ast.Call)
            and getattr(body[0].exc.func, "id", None) == "NotImplementedError")


def build_student_wheel(lab: str, out_dir: Path, *, root: Path = REPO) -> tuple[Path, list[Answer]]:
    """Build the student wheel for ``lab`` into ``out_dir``; return it and what it leaves out."""
    check_lab(lab)
    if not (root / "pyproject.toml").is_file() or not (root / "solutions").is_dir():
        raise StudentBuildError(f"{root}: not a gan-lab source checkout (pyproject.toml and "
                                f"solutions/ are needed)")
    check_manifest(root)
    problems = coverage_problems(root)
    if problems:
        raise StudentBuildError(f"the manifest is out of date: {'; '.join(problems)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"gan-lab-student-{lab}-") as tmp:
        copy = Path(tmp) / "src"
        copy.mkdir()
        _copy_source(root, copy)
        removed = rewrite_package(root, copy, lab)
        _set_versions(copy, student_version(lab, root))
        wheel = _pip_wheel(copy, Path(tmp) / "wheel")
        verify_wheel(wheel, removed)
        for old in out_dir.glob("gan_lab-*.whl"):  # one wheel per lab folder, never a stale one
            old.unlink()
        final = out_dir / wheel.name
        shutil.move(str(wheel), final)
    return final, removed


def format_build(lab: str, wheel: Path | None = None) -> str:
    """What the build for ``lab`` leaves out and keeps, one answer per line."""
    labs_left_out = ", ".join(LAB_ORDER[LAB_ORDER.index(check_lab(lab)):])
    lines = [f"{lab}: {wheel}" if wheel else f"{lab}:",
             f"  leaves out {'/, '.join(INSTRUCTOR_ONLY)}/ and the answers to {labs_left_out}:"]
    lines += [f"    {a.name}{' (docstring)' if a.kind == 'docs' else ''}  <- {a.lab}/{a.todo}"
              for a in left_out(lab)]
    keep = kept(lab)
    lines.append(f"  keeps {len(keep)} answers to earlier labs:" if keep else "  keeps no answers")
    lines += [f"    {a.name}{' (docstring)' if a.kind == 'docs' else ''}  <- {a.lab}/{a.todo}"
              for a in keep]
    return "\n".join(lines)
