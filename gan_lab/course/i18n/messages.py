"""The package's own words, as one gettext template: Babel's Python extractor over ``gan_lab/``
and over the code cells of every lab (their visible checks), for every ``_("...")`` call."""
from __future__ import annotations

import io
from pathlib import Path

import nbformat
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_python

KEYWORDS = {"_": None, "N_": None}  # gan_lab.i18n._ and N_: one message, no plural


def extract_messages(root: Path) -> Catalog:
    catalog = Catalog(project="gan-lab", domain="gan_lab", charset="utf-8")
    package = root / "gan_lab"
    for filename, lineno, message, comments, context in extract_from_dir(
            package, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("Translators:",)):
        catalog.add(message, locations=[(f"gan_lab/{filename}", lineno)], auto_comments=comments, context=context)
    for path in sorted((root / "solutions").glob("*/*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type != "code" or "_(" not in cell.source:
                continue
            where = f"{path.relative_to(root)}:{cell.get('metadata', {}).get('nbgrader', {}).get('grade_id') or cell['id']}"
            for lineno, _funcname, message, comments in extract_python(
                    io.BytesIO(cell.source.encode()), KEYWORDS, ["Translators:"], {}):
                catalog.add(message, locations=[(where, lineno)], auto_comments=comments)
    return catalog
