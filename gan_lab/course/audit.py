"""A static tamper and delegation audit of submitted notebooks, run outside any kernel.

nbgrader restores locked cells before it grades, so an edited test cell costs a student nothing
and tells the instructor nothing. This audit reads each submission beside the release (nbformat
and ``ast`` only, no code runs) and reports what a grader would want to look at: missing,
deleted, duplicated or edited cells, changed grading metadata, answers delegated to the parts of
gan_lab that solve the TODOs, and code that reaches for the grader, the interpreter or the system.

Code that touches the grader itself (``gan_lab.grading``, ``sys.modules``, ``gc``, ``ctypes``,
stack frames, or function internals such as ``__code__`` and closure cells) is its own kind,
``touches-grader``: ``gan-lab autograde`` holds such a submission's points for review
(``HOLD_KINDS``). Other suspicious code (``os.system``, ``exec``, files outside the folder) is
reported, not held.
"""
from __future__ import annotations

import ast
import dataclasses
import difflib
from collections import Counter
from pathlib import Path, PurePosixPath

import nbformat

from gan_lab.course.answers import ALLOWED_HELPERS, answer_names

KINDS = ("missing-notebook", "deleted-cell", "duplicate-cell", "edited-locked-cell",
         "changed-metadata", "delegation", "touches-grader", "suspicious-code", "unparseable")
HOLD_KINDS = ("touches-grader",)  # findings that hold a submission's points for review
_FLAGS = ("grade", "solution", "locked", "task", "points")  # what nbgrader grades by

# Dotted names (and everything under them) that reach the grader or the interpreter's own
# bookkeeping: ``touches-grader`` findings, which hold the points.
_GRADER = {
    "gan_lab.grading": "uses the grader (gan_lab.grading)",
    "sys.modules": "touches sys.modules",
    "gc": "walks the interpreter's objects (gc)",
    "ctypes": "reaches into memory (ctypes)",
    "sys._getframe": "reads stack frames (sys._getframe)",
    "inspect.currentframe": "reads stack frames (inspect.currentframe)",
    "inspect.stack": "reads stack frames (inspect.stack)",
    "inspect.getouterframes": "reads stack frames (inspect.getouterframes)",
}
# Attributes that open up a function or a frame: swapping code, closure cells, globals.
_INTERNALS = {"__code__", "__closure__", "cell_contents", "__globals__", "__wrapped__",
              "__defaults__", "__kwdefaults__", "f_back", "f_globals", "f_locals", "f_builtins",
              "tb_frame", "gi_frame", "cr_frame"}
# Dotted names (and everything under them) a solution has no business touching.
_SUSPICIOUS = {
    "builtins": "touches builtins",
    "sys.exit": "can end the kernel (sys.exit)",
    "os._exit": "can end the kernel (os._exit)",
    "os.system": "runs a shell command (os.system)",
    "subprocess": "runs processes (subprocess)",
    "socket": "opens network connections (socket)",
    "importlib": "imports by name (importlib)",
}
_SUSPICIOUS_NAMES = {  # builtins, when not shadowed by an import
    "__builtins__": "touches __builtins__", "__import__": "imports by name (__import__)",
    "exec": "runs code from a string (exec)", "eval": "runs code from a string (eval)",
    "exit": "can end the kernel (exit)", "quit": "can end the kernel (quit)",
}
_OPENERS = {"open", "io.open", "os.open", "pathlib.Path", "Path"}


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem in one submission.

    ``cell`` is the cell's grade_id, ``#<index>`` for a cell without one, ``-`` for the notebook.
    """
    kind: str
    cell: str
    detail: str


# --------------------------------------------------------------------------- reading cells
def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _cell_name(cell, index: int) -> str:
    return _meta(cell).get("grade_id") or f"#{index}"


def _normalised(source: str) -> list[str]:
    """Lines without trailing whitespace, leading and trailing blank lines dropped."""
    lines = [line.rstrip() for line in source.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _lines_differing(old: list[str], new: list[str]) -> int:
    ops = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def _python_source(source: str) -> str:
    """Cell source as plain Python: IPython magics become calls, as the kernel would run them."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # IPython comes with the course extra; without it, skip magic lines
        return "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line
                         for line in source.splitlines())
    return TransformerManager().transform_cell(source)


# --------------------------------------------------------------------------- code analysis
def _is_disallowed(module: str) -> bool:
    """Whether ``module`` (a dotted gan_lab name) is a part of gan_lab that answers a TODO."""
    if module != "gan_lab" and not module.startswith("gan_lab."):
        return False
    if any(_under(module, answer) for answer in answer_names()):
        return True  # e.g. gan_lab.data.gaussian_samples, in a module that is otherwise a helper
    return not any(module == helper or module.startswith(helper + ".") for helper in ALLOWED_HELPERS)


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _imported_names(trees: list[ast.AST]) -> tuple[dict[str, str], dict[str, str]]:
    """(modules, names): what each imported name stands for, over the whole notebook.

    ``modules`` holds names bound to modules (``import a.b as c``, ``from gan_lab import data``);
    ``names`` holds every imported name, modules and ``from m import x`` alike.
    """
    modules, names = {}, {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    target = alias.name if alias.asname else bound
                    modules[bound] = names[bound] = target
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    bound = alias.asname or alias.name
                    names[bound] = f"{node.module}.{alias.name}"
                    if node.module == "gan_lab":  # from the package: usually a module
                        modules[bound] = names[bound]
    return modules, names


def _dotted(node: ast.AST) -> list[str] | None:
    """``a.b.c`` as ["a", "b", "c"]; None when the chain does not start at a plain name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def _outside_working_dir(path: str) -> bool:
    return path.startswith(("/", "~", "\\")) or ".." in PurePosixPath(path.replace("\\", "/")).parts


class _SolutionScan(ast.NodeVisitor):
    """Collects (line, message) pairs for delegation and suspicious code in one cell."""

    def __init__(self, modules: dict[str, str], names: dict[str, str]):
        self.modules, self.names = modules, names
        self.delegation: set[tuple[int, str]] = set()
        self.suspicious: set[tuple[int, str]] = set()
        self.grader: set[tuple[int, str]] = set()

    def _flag(self, name: str, line: int, text) -> bool:
        """Record ``name`` (a dotted name) if it reaches the grader or is suspicious."""
        for table, found in ((_GRADER, self.grader), (_SUSPICIOUS, self.suspicious)):
            for prefix, why in table.items():
                if _under(name, prefix):
                    found.add((line, text(why)))
                    return True
        return False

    def _check_module(self, line: int, module: str, how: str) -> None:
        if self._flag(module, line, lambda why: f"{how} {module}: {why}"):
            return
        if _is_disallowed(module):
            self.delegation.add((line, f"{how} {module}"))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name != "gan_lab":  # the bare package is judged by what is used from it
                self._check_module(node.lineno, alias.name, "imports")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            # Judged by what it brings in: ``from gan_lab import models`` is gan_lab.models.
            self._check_module(node.lineno, f"{node.module or ''}.{alias.name}", "imports")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        parts = _dotted(node)
        if parts is None:
            self.generic_visit(node)
            return
        # Only the outermost attribute of a chain is checked, so a.b.c is reported once.
        shown = ".".join(parts)
        full = ".".join([self.names.get(parts[0], parts[0]), *parts[1:]])
        internals = [part for part in parts[1:] if part in _INTERNALS]
        if internals:
            self.grader.add((node.lineno, f"opens up a function or frame ({internals[0]}): {shown}"))
            return
        if self._flag(full, node.lineno, lambda why: f"{why}: {shown}"):
            return
        module = self.modules.get(parts[0], "gan_lab" if parts[0] == "gan_lab" else None)
        if module and not parts[-1].startswith("__"):
            module = ".".join([module, *parts[1:]])
            if _is_disallowed(module):
                self.delegation.add((node.lineno, f"uses {module}"))

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in self.names:
            self._flag(self.names[node.id], node.lineno, lambda why: f"{why}: {node.id}")
        elif node.id in _SUSPICIOUS_NAMES:
            self.suspicious.add((node.lineno, _SUSPICIOUS_NAMES[node.id]))

    def _patched(self, target: ast.AST, line: int, verb: str) -> None:
        while isinstance(target, ast.Subscript):
            target = target.value
        parts = _dotted(target) if isinstance(target, ast.Attribute) else None
        if parts and parts[0] in self.names:
            self.suspicious.add((line, f"{verb} {'.'.join(parts)}: patches an imported module"))

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            for part in (target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]):
                self._patched(part, node.lineno, "assigns")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._patched(node.target, node.lineno, "assigns")
        self.generic_visit(node)

    visit_AnnAssign = visit_AugAssign

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._patched(target, node.lineno, "deletes")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = ".".join(_dotted(node.func) or [])
        first = node.args[0] if node.args else None
        if name in ("setattr", "delattr") and first is not None:
            target = _dotted(first)
            if target and target[0] in self.names:
                self.suspicious.add((node.lineno, f"{name} on {'.'.join(target)}: "
                                                  f"patches an imported module"))
        if name in ("getattr", "setattr", "delattr", "hasattr") and len(node.args) > 1 \
                and isinstance(node.args[1], ast.Constant) and node.args[1].value in _INTERNALS:
            self.grader.add((node.lineno, f"{name}(..., {node.args[1].value!r}): opens up a function "
                                          "or frame"))
        if name in _OPENERS and isinstance(first, ast.Constant) and isinstance(first.value, str) \
                and _outside_working_dir(first.value):
            self.suspicious.add((node.lineno, f"{name}({first.value!r}): a path outside "
                                              f"the working directory"))
        # ``!cmd`` in a cell becomes get_ipython().system("cmd").
        shell = isinstance(node.func, ast.Attribute) and node.func.attr in ("system", "getoutput")
        if shell and isinstance(node.func.value, ast.Call) \
                and _dotted(node.func.value.func) == ["get_ipython"]:
            self.suspicious.add((node.lineno, "runs a shell command (!)"))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        # importlib.import_module("gan_lab.models") and friends name the module in a string.
        if isinstance(node.value, str) and node.value.startswith("gan_lab.") \
                and node.value.replace(".", "").replace("_", "").isalnum():
            self._check_module(node.lineno, node.value, "names")


def _scan(name: str, source: str, modules: dict, names: dict) -> list[Finding]:
    try:
        tree = ast.parse(_python_source(source))
    except SyntaxError as error:
        text = (error.text or "").strip()
        return [Finding("unparseable", name, f"cell {name}: not valid Python at line {error.lineno}: "
                                             f"{error.msg}" + (f" ({text})" if text else ""))]
    scan = _SolutionScan(modules, names)
    scan.visit(tree)
    findings = []
    for kind, issues in (("delegation", scan.delegation), ("touches-grader", scan.grader),
                         ("suspicious-code", scan.suspicious)):
        if issues:
            listed = "; ".join(f"line {line} {what}" for line, what in sorted(issues))
            findings.append(Finding(kind, name, f"cell {name}: {listed}"))
    return findings


def _parse_quietly(source: str) -> ast.AST | None:
    try:
        return ast.parse(_python_source(source))
    except SyntaxError:
        return None


# --------------------------------------------------------------------------- the audit
def audit_submission(release_nb, submitted_nb) -> list[Finding]:
    """Every finding for one submitted notebook, judged against the release it came from."""
    released = {_meta(c)["grade_id"]: c for c in release_nb.cells if _meta(c).get("grade_id")}
    counts = Counter(_meta(c).get("grade_id") for c in submitted_nb.cells if _meta(c).get("grade_id"))
    findings = []
    for grade_id in released:
        if grade_id not in counts:
            findings.append(Finding("deleted-cell", grade_id, f"cell {grade_id}: missing from the "
                                                              f"submission (deleted or renamed)"))
    for grade_id, count in counts.items():
        if count > 1:
            findings.append(Finding("duplicate-cell", grade_id, f"cell {grade_id}: appears {count} times"))

    trees = [t for c in submitted_nb.cells if c.cell_type == "code"
             for t in [_parse_quietly(c.source)] if t is not None]
    modules, names = _imported_names(trees)
    seen = set()
    for index, cell in enumerate(submitted_nb.cells):
        name = _cell_name(cell, index)
        original = released.get(_meta(cell).get("grade_id"))
        if original is not None and name not in seen:
            seen.add(name)  # a duplicate's copies are one finding already
            findings += _compare(name, original, cell)
        # Solution cells, and any code cell the student added: both run when graded.
        student_code = (original is None or _meta(original).get("solution")
                        or not _meta(original).get("locked"))
        if cell.cell_type == "code" and student_code:
            findings += _scan(name, cell.source, modules, names)
    return findings


def _compare(name: str, original, cell) -> list[Finding]:
    """Changed flags and edited locked cells, for one cell present in both notebooks."""
    findings = []
    old, new = _meta(original), _meta(cell)
    changed = [f"{flag} {old.get(flag)!r} -> {new.get(flag)!r}"
               for flag in _FLAGS if old.get(flag) != new.get(flag)]
    if original.cell_type != cell.cell_type:
        changed.append(f"cell type {original.cell_type} -> {cell.cell_type}")
    if changed:
        findings.append(Finding("changed-metadata", name, f"cell {name}: {', '.join(changed)}"))
    if old.get("locked") or (old.get("grade") and not old.get("solution")):
        differing = _lines_differing(_normalised(original.source), _normalised(cell.source))
        if differing:
            what = "locked test cell" if old.get("grade") else "locked cell"
            findings.append(Finding("edited-locked-cell", name, f"cell {name}: {what} edited "
                                    f"({differing} line{'s' if differing != 1 else ''} differ"
                                    f"{'s' if differing == 1 else ''})"))
    return findings


def audit_lab(course_dir: Path, lab: str) -> dict[str, list[Finding]]:
    """Audit every student's submission of ``lab`` in an nbgrader course folder.

    Reads the release from ``<course>/notebooks/<lab>/<lab>.ipynb`` and each
    ``<course>/submitted/<student>/<lab>/<lab>.ipynb``. Students with no ``<lab>`` folder have
    not submitted it and are left out; a folder without the notebook is a finding.
    """
    course_dir = Path(course_dir)
    release_path = course_dir / "notebooks" / lab / f"{lab}.ipynb"
    if not release_path.is_file():
        raise FileNotFoundError(f"no release of {lab}: expected {release_path} "
                                f"(run nbgrader generate_assignment {lab})")
    release = nbformat.read(release_path, as_version=4)
    submitted = course_dir / "submitted"
    results = {}
    for folder in sorted(p for p in submitted.glob(f"*/{lab}") if p.is_dir()):
        student = folder.parent.name
        path = folder / f"{lab}.ipynb"
        if not path.is_file():
            others = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.ipynb")
                            if ".ipynb_checkpoints" not in p.parts)
            found = f"found {', '.join(others)}" if others else "no other notebook in the folder"
            results[student] = [Finding("missing-notebook", "-", f"{lab}.ipynb not submitted; {found}")]
            continue
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception as error:  # any unreadable file is one finding, not a crashed audit
            results[student] = [Finding("unparseable", "-", f"{lab}.ipynb is not a readable "
                                                             f"notebook: {error}".splitlines()[0])]
            continue
        results[student] = audit_submission(release, notebook)
    return results


def format_audit(results: dict[str, list[Finding]]) -> str:
    """A table for the instructor: student | problem | cell | detail, "clean" when none."""
    if not results:
        return "No submissions to audit."
    rows = [("student", "problem", "cell", "detail")]
    for student, findings in sorted(results.items()):
        if not findings:
            rows.append((student, "clean", "", ""))
        for finding in findings:
            rows.append((student, finding.kind, finding.cell, finding.detail))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [" | ".join([*(cell.ljust(w) for cell, w in zip(row[:3], widths)), row[3]]).rstrip()
             for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in [*widths, len("detail")]))
    flagged = sum(1 for findings in results.values() if findings)
    lines.append(f"{flagged} of {len(results)} submission{'s' if len(results) != 1 else ''} "
                 f"with findings.")
    return "\n".join(lines)
