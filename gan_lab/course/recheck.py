"""The out-of-kernel re-check: every passed hidden check, run again where student code ran last.

In the grading kernel, student cells run before the hidden tests and share their interpreter:
a submission can replace, wrap or rewrite a check there, and nothing inside that interpreter
can prove it did not. So the evidence for a passed test is made elsewhere. After nbgrader,
``gan-lab autograde`` runs, for each submission, one fresh process (sandboxed like the kernel)::

    python -m gan_lab.course.recheck --report-fd FD GRADED_NOTEBOOK GRADE_ID [GRADE_ID ...]

which, in this order:

1. imports the genuine checks (``gan_lab.grading``) and records them (``seal.arm()``), before
   any student code exists in the process;
2. defines the student's definitions from the notebook's code cells (test cells excepted),
   read statically (``ast``): imports, functions and classes, and assignments of constants.
   Nothing else runs: no top-level call, loop or training, no decorator other than
   ``staticmethod``/``classmethod``/``property``, no default value or class body statement
   that is not a plain constant or name; so code that patches the grader as a cell runs
   never runs here;
3. runs each named test cell's hidden-test lines, and then asks the seal whether anything
   it recorded changed while the check ran (student functions run inside checks).

It writes one JSON line to the pipe ``FD``: ``{grade_id: {"passed": bool, "points": float |
None, "message": str, "key": str | None}}`` (``key``: the mistake a failed check named), and nothing else; a report that is not exactly that line (student
code wrote to the pipe, or the process ended before the report) fails every cell.
``autograde`` keeps a test cell's points only when nbgrader and this re-check agree.

What it cannot stop: student functions still run inside the re-check (they are what is
checked), and code in them that patches the grader while it runs and restores it before the
check returns is invisible to the seal. ``gan-lab audit`` flags code that reaches for the
grader, ``sys.modules``, ``gc``, ``ctypes``, frames or function internals, and such findings
hold the submission's points for review (``gan-lab release-hold``).
"""
from __future__ import annotations

import ast
import json
import re
import sys
from typing import Any

_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[ \t]*\n(.*?)^[ \t]*### END HIDDEN TESTS", re.S | re.M)
_ALLOWED_DECORATORS = {"staticmethod", "classmethod", "property"}


def hidden_tests(source: str) -> str:
    """The hidden-test lines of a test cell's source ("" when it has none)."""
    return "\n".join(match.group(1) for match in _HIDDEN.finditer(source))


def _constant(node: ast.AST) -> bool:
    """A literal, possibly nested in tuples, lists, sets or dicts, or a negative number."""
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _plain(node: ast.AST) -> bool:
    """A constant, a name or a dotted name: evaluating it runs no student code."""
    if _constant(node) or isinstance(node, ast.Name):
        return True
    return isinstance(node, ast.Attribute) and _plain(node.value)


def _arguments_plain(args: ast.arguments) -> bool:
    defaults = list(args.defaults) + [d for d in args.kw_defaults if d is not None]
    return all(_plain(default) for default in defaults)


def _clean_function(node: ast.AST) -> bool:
    """Whether defining this function runs nothing: plain decorators and default values."""
    decorators_ok = all(isinstance(d, ast.Name) and d.id in _ALLOWED_DECORATORS for d in node.decorator_list)
    return decorators_ok and _arguments_plain(node.args)


def _clean_class(node: ast.ClassDef) -> ast.ClassDef | None:
    """The class with only definitions left in its body, or None when defining it would run code."""
    if node.decorator_list or node.keywords or not all(_plain(base) for base in node.bases):
        return None
    body = [statement for statement in (_definition(s, in_class=True) for s in node.body) if statement]
    node.body = body or [ast.Pass()]
    return node


def _definition(statement: ast.stmt, in_class: bool = False) -> ast.stmt | None:
    """``statement`` if it only defines something, a cleaned class, or None to leave it out."""
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return None if in_class else statement
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return statement if _clean_function(statement) else None
    if isinstance(statement, ast.ClassDef):
        return _clean_class(statement)
    if isinstance(statement, ast.Assign) and all(isinstance(t, ast.Name) for t in statement.targets):
        return statement if _constant(statement.value) else None
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement if statement.value is not None and _constant(statement.value) else None
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return statement  # a docstring
    return None


def student_definitions(sources: list[str]) -> str:
    """The definitions in ``sources`` (code cells in order), as one module's source."""
    kept = []
    for source in sources:
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue  # nbgrader ran this cell too, and it failed there as well
        kept.extend(statement for statement in (_definition(s) for s in tree.body) if statement)
    return ast.unparse(ast.Module(body=kept, type_ignores=[]))


def _cells(notebook: dict) -> tuple[list[str], dict[str, str]]:
    """(sources of the non-test code cells, grade_id -> source of each test cell)."""
    definitions, tests = [], {}
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            tests[meta.get("grade_id", "")] = source
        else:
            definitions.append(source)
    return definitions, tests


def _verdict(passed: bool, points: Any = None, message: str = "", key: str | None = None) -> dict:
    if not isinstance(points, (int, float)) or isinstance(points, bool):
        points = None
    return {"passed": passed, "points": points, "message": message, "key": key}


def recheck(notebook: dict, grade_ids: list[str]) -> dict[str, dict]:
    """Re-run the hidden checks of ``grade_ids`` on the notebook's definitions (see above)."""
    import importlib

    from gan_lab.grading import seal

    for lab in ("mlp_gan", "dcgan", "gan_losses", "toy_1d"):  # the genuine checks, first
        importlib.import_module(f"gan_lab.grading.{lab}")
    seal.arm()
    definitions, tests = _cells(notebook)
    namespace: dict[str, Any] = {"__name__": "__main__"}  # as in the kernel
    try:
        exec(compile(student_definitions(definitions), "<submission definitions>", "exec"), namespace)
    except Exception as exc:  # a definition that fails here failed in the kernel too
        failed = f"the submission's definitions could not be loaded ({type(exc).__name__}: {exc})"
        return {grade_id: _verdict(False, message=failed) for grade_id in grade_ids}
    results = {}
    for grade_id in grade_ids:
        code = hidden_tests(tests.get(grade_id, ""))
        if not code.strip():
            results[grade_id] = _verdict(False, message="this test cell has no hidden check to re-run")
            continue
        lines = code.strip().splitlines()
        # The last line is the check call; its value is the points of a partly correct answer.
        body, last = "\n".join(lines[:-1]), lines[-1]
        try:
            exec(compile(body, f"<{grade_id}>", "exec"), namespace)
            points = eval(compile(last, f"<{grade_id}>", "eval"), namespace)
        except Exception as exc:
            results[grade_id] = _verdict(False, message=f"{type(exc).__name__}: {exc}",
                                         key=getattr(exc, "key", None))
            continue
        changed = seal.tampering()
        if changed:
            results[grade_id] = _verdict(False, message="the submission's code changed the grader while "
                                                        f"the check ran ({', '.join(changed[:5])})")
            break
        results[grade_id] = _verdict(True, points)
    for grade_id in grade_ids:  # after tampering, no later check can be trusted either
        results.setdefault(grade_id, _verdict(False, message="not re-checked: the grader was changed "
                                                             "by an earlier check's student code"))
    return results


def main(argv: list[str] | None = None) -> int:
    import os

    args = sys.argv[1:] if argv is None else argv
    if len(args) < 4 or args[0] != "--report-fd" or not args[1].isdigit():
        print("usage: python -m gan_lab.course.recheck --report-fd FD GRADED_NOTEBOOK GRADE_ID [GRADE_ID ...]",
              file=sys.stderr)
        return 2
    from gan_lab import graded_warnings

    graded_warnings.show_on_stdout()  # as in the grading kernel: a warning is a note, not an error
    report = os.fdopen(int(args[1]), "w")
    with open(args[2], encoding="utf-8") as handle:
        notebook = json.load(handle)
    results = recheck(notebook, args[3:])
    report.write(json.dumps(results) + "\n")
    report.close()
    return 0


def parse_report(text: str, grade_ids: list[str]) -> dict[str, dict] | None:
    """The verdicts in a re-check's report, or None when it is not exactly one well-formed
    verdict for each of ``grade_ids`` (it was tampered with, or the process died first)."""
    lines = text.splitlines()
    if len(lines) != 1:
        return None
    try:
        results = json.loads(lines[0])
    except ValueError:
        return None
    if not isinstance(results, dict) or sorted(results) != sorted(grade_ids):
        return None
    for verdict in results.values():
        if not isinstance(verdict, dict) or not isinstance(verdict.get("passed"), bool) \
                or not isinstance(verdict.get("message", ""), str) \
                or not isinstance(verdict.get("key") or "", str):
            return None
    return results


if __name__ == "__main__":
    sys.exit(main())
