"""A lab's words as gettext messages, and a lab put into another language from its catalog.

The English notebooks in ``solutions/`` are the source. Each markdown cell is one message and
each comment in a code cell another, keyed by the cell's id (``msgctxt`` ``LAB:CELL-ID`` and
``LAB:CELL-ID:comment``), so a changed English cell finds its old translation by the key and
Babel's ``Catalog.update`` marks it fuzzy (stale) rather than keeping it silently. nbgrader's
markers (``### BEGIN SOLUTION`` ...) and directives (``# noqa``) are not words to translate.

``translate`` returns a copy of a notebook with every markdown cell and comment in the target
language, and nothing else changed: the same cells, ids, metadata, code, grade ids, points and
locks. What has no current translation stays English and is reported (``missing``, ``stale``).
"""
from __future__ import annotations

import copy
import dataclasses
import io
import re
import tokenize

from babel.messages.catalog import Catalog

# Comments that are not prose: nbgrader's region markers and tool directives.
_NOT_PROSE = re.compile(r"^(#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)|#+\s*YOUR CODE HERE|#\s*(noqa|type:|pragma|fmt:)|#!)")


@dataclasses.dataclass
class Comment:
    row: int  # 1-based line in the cell
    col: int  # where '#' stands
    text: str  # the comment after '# '
    hashes: str  # the leading '#' and spaces, kept as written


def comments(source: str) -> list[Comment]:
    """The prose comments of a code cell, found by Python's tokenizer (a '#' inside a string is
    not a comment); a cell the tokenizer cannot read (IPython magics) falls back to whole-line
    comments."""
    found = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
        spans = [(t.start[0], t.start[1], t.string) for t in tokens if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        spans = [(i + 1, line.index("#"), line[line.index("#"):]) for i, line in enumerate(source.splitlines())
                 if line.lstrip().startswith("#")]
    for row, col, raw in spans:
        if _NOT_PROSE.match(raw):
            continue
        hashes = re.match(r"#+\s*", raw).group(0)
        text = raw[len(hashes):].rstrip()
        if text and re.search(r"[A-Za-z]", text):
            found.append(Comment(row, col, text, hashes))
    return found


def context(lab: str, cell, part: str = "") -> str:
    return f"{lab}:{cell['id']}" + (f":{part}" if part else "")


def template(lab: str, notebook) -> Catalog:
    """The lab's messages in English: one per markdown cell, one per comment."""
    catalog = Catalog(project=f"gan-lab {lab}", domain=lab, charset="utf-8")
    for index, cell in enumerate(notebook.cells):
        if "id" not in cell:
            raise ValueError(f"{lab}: cell {index} has no id (nbformat 4.5 gives every cell one)")
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        where = [f"cell {index}" + (f" ({grade_id})" if grade_id else "")]
        if cell.cell_type == "markdown" and cell.source.strip():
            catalog.add(cell.source, context=context(lab, cell), auto_comments=where)
        elif cell.cell_type == "code":
            for comment in comments(cell.source):
                catalog.add(comment.text, context=context(lab, cell, "comment"), auto_comments=where)
    return catalog


@dataclasses.dataclass
class Translated:
    notebook: object
    missing: list  # (context, English) with no translation
    stale: list  # (context, English) whose translation is fuzzy: the English changed since


def _lookup(catalog: Catalog, text: str, ctx: str, report: Translated) -> str:
    message = catalog.get(text, context=ctx)
    if message is None or not message.string:
        report.missing.append((ctx, text))
        return text
    if message.fuzzy:
        report.stale.append((ctx, text))
        return text
    return message.string


def translate(lab: str, notebook, catalog: Catalog) -> Translated:
    """``notebook`` with its markdown and comments from ``catalog`` (see the module docstring)."""
    out = copy.deepcopy(notebook)
    report = Translated(out, [], [])
    for cell in out.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            cell.source = _lookup(catalog, cell.source, context(lab, cell), report)
        elif cell.cell_type == "code":
            lines = cell.source.split("\n")
            for comment in reversed(comments(cell.source)):  # right to left keeps columns valid
                new = _lookup(catalog, comment.text, context(lab, cell, "comment"), report)
                line = lines[comment.row - 1]
                start = comment.col + len(comment.hashes)
                lines[comment.row - 1] = line[:start] + new + line[start + len(comment.text):]
            cell.source = "\n".join(lines)
    return report
