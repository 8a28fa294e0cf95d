"""Python code in a canonical form, for the similarity screen (``gan_lab.course.similarity``).

copydetect already ignores names, comments and whitespace. What it cannot see through are the
edits that move or reshape statements without changing what the code does, the usual disguises
of a copy:

- a temporary used once, in the next statement, is put back where it is used
  (``t = b(c); x = a(t)`` and ``x = a(b(c))``, ``y = e; return y`` and ``return e``, read alike);
- a tuple assignment of as many values as targets becomes one assignment each
  (``a, b = x, y`` and ``a = x; b = y``);
- a run of assignments that neither reads what another writes is put in a fixed order, and so
  are the functions and classes of a cell and the methods of a class (the order is that of their
  code with every name left out, so renaming does not change it).

Both sides of every comparison go through the same steps (the release, a reference and each
student), so what they share is still what the students wrote alike. Code that does not parse
is compared as it is.
"""
from __future__ import annotations

import ast
import re

_NAMES = re.compile(r"(?:id|arg|name|attr)='[^']*'")


def _shape(node: ast.AST) -> str:
    """``node``'s code with every name left out: the key of the fixed order."""
    return _NAMES.sub("", ast.dump(node, annotate_fields=True, include_attributes=False))


def _loads(node: ast.AST, name: str) -> int:
    return sum(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load) for n in ast.walk(node))


def _stores(node: ast.AST) -> set:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}


def _reads(node: ast.AST) -> set:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _single_target(stmt) -> str | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    return None


class _Put(ast.NodeTransformer):
    """Replace the one load of ``name`` by ``value``."""

    def __init__(self, name: str, value: ast.AST):
        self.name, self.value = name, value

    def visit_Name(self, node):
        if node.id == self.name and isinstance(node.ctx, ast.Load):
            return self.value
        return node


def _inline(body: list) -> list:
    changed = True
    while changed:
        changed = False
        for i in range(len(body) - 1):
            name, following = _single_target(body[i]), body[i + 1]
            if name is None or isinstance(following, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
                continue
            if _loads(following, name) != 1 or name in _reads(body[i].value):
                continue
            later = body[i + 2:]
            if name not in _stores(following) and any(_loads(stmt, name) for stmt in later):
                continue
            body[i + 1] = _Put(name, body[i].value).visit(following)
            del body[i]
            changed = True
            break
    return body


def _unpack(body: list) -> list:
    out = []
    for stmt in body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Tuple) \
                and isinstance(stmt.value, ast.Tuple) and len(stmt.targets[0].elts) == len(stmt.value.elts) \
                and not (_reads(stmt.value) & _stores(stmt.targets[0])):
            out.extend(ast.Assign(targets=[target], value=value, lineno=0)
                       for target, value in zip(stmt.targets[0].elts, stmt.value.elts))
        else:
            out.append(stmt)
    return out


def _independent(a, b) -> bool:
    written_a, written_b = _stores(a) | _attr_stores(a), _stores(b) | _attr_stores(b)
    return not (written_a & (_reads(b) | written_b) or written_b & _reads(a))


def _attr_stores(node) -> set:
    return {ast.unparse(n) for n in ast.walk(node) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)}


def _order(body: list) -> list:
    """Runs of mutually independent assignments, and the definitions, in the fixed order."""
    out, run = [], []

    def flush():
        out.extend(sorted(run, key=_shape))
        run.clear()

    for stmt in body:
        if isinstance(stmt, ast.Assign) and all(_independent(stmt, other) for other in run):
            run.append(stmt)
        else:
            flush()
            if isinstance(stmt, ast.Assign):
                run.append(stmt)
            else:
                out.append(stmt)
    flush()
    spots = [i for i, stmt in enumerate(out) if isinstance(stmt, (ast.FunctionDef, ast.ClassDef))]
    for i, stmt in zip(spots, sorted((out[i] for i in spots), key=_shape)):
        out[i] = stmt
    return out


def _bodies(tree: ast.AST):
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            value = getattr(node, field, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                yield node, field


def canonical(code: str) -> str:
    """``code`` in the canonical form described above (``code`` itself where it does not parse)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return code
    for node, field in reversed(list(_bodies(tree))):  # inner bodies first: their order keys are final
        setattr(node, field, _order(_inline(_unpack(getattr(node, field)))))
    try:
        return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    except (ValueError, RecursionError):  # an unusual tree ast cannot print back
        return code
