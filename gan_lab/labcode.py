"""A solved lab's code as a student hands it in, read without Jupyter installed.

nbgrader's source notebooks carry ``### BEGIN/END SOLUTION`` markers and hidden-test regions;
a student's notebook has neither. ``student_source`` turns one cell's source into what the
student's cell holds; ``code_cells`` lists a notebook's code cells that way, reading the file as
plain JSON so that machines without nbformat (the GPU check's) can run a lab too.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
_HIDDEN = re.compile(r"^\s*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\s*$\n?", re.S | re.M)


def student_source(source: str) -> str:
    """One cell's source with the solution markers and hidden tests taken out."""
    text = _HIDDEN.sub("", source)
    return "\n".join(line for line in text.splitlines() if not _MARKERS.match(line)).rstrip()


def code_cells(path: str | Path) -> list[tuple[int, str]]:
    """(cell index, student source) for every code cell of the notebook at ``path``."""
    path = Path(path)
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells = notebook["cells"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a readable notebook ({exc})") from exc
    found = []
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            found.append((index, student_source("".join(source) if isinstance(source, list) else source)))
    return found
