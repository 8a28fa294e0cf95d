"""Where the translations live, and keeping them in step with the English (Babel's gettext tools).

- ``translations/notebooks/LAB.pot``: each lab's English words (``notebooks.template``),
  written by ``gan-lab i18n extract``;
- ``translations/LANG/LAB.po``: their translation into LANG;
- ``gan_lab/locale/gan_lab.pot`` and ``gan_lab/locale/LANG/LC_MESSAGES/gan_lab.po``: what the
  package says while students work (checks, feedback, progress, GPU report), extracted with
  Babel from the package and from the labs' visible checks; ``.mo`` files compiled beside them
  are what Python's ``gettext`` reads (``gan_lab.i18n``).

``update`` merges a template into a language's catalog: new English gets an empty entry, and a
changed one keeps its old translation marked fuzzy, which ``problems`` reports as stale until a
translator has looked at it.
"""
from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import nbformat
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from gan_lab.course.i18n import notebooks
from gan_lab.course.nbgrader_run import REPO, labs

TRANSLATIONS = REPO / "translations"
LOCALE = REPO / "gan_lab" / "locale"
DOMAIN = "gan_lab"


def notebook_template_path(lab: str, root: Path = REPO) -> Path:
    return root / "translations" / "notebooks" / f"{lab}.pot"


def notebook_catalog_path(lab: str, lang: str, root: Path = REPO) -> Path:
    return root / "translations" / lang / f"{lab}.po"


def messages_template_path(root: Path = REPO) -> Path:
    return root / "gan_lab" / "locale" / f"{DOMAIN}.pot"


def messages_catalog_path(lang: str, root: Path = REPO) -> Path:
    return root / "gan_lab" / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(path: Path, lang: str | None = None) -> Catalog:
    with open(path, "rb") as handle:
        return read_po(handle, locale=lang)


def render(catalog: Catalog) -> bytes:
    """The catalog as .po text, without dates, so an unchanged catalog writes the same bytes."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=False, include_previous=True)
    lines = [line for line in buffer.getvalue().split(b"\n")
             if not line.startswith((b'"POT-Creation-Date', b'"PO-Revision-Date', b"# Copyright (C)",
                                     b'"Generated-By'))]
    return b"\n".join(lines)


def write(path: Path, catalog: Catalog) -> bool:
    """Write ``catalog`` to ``path``; False when the file already held exactly this."""
    data = render(catalog)
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def notebook_template(lab: str, root: Path = REPO) -> Catalog:
    source = nbformat.read(root / "solutions" / lab / f"{lab}.ipynb", as_version=4)
    return notebooks.template(lab, source)


def messages_template(root: Path = REPO) -> Catalog:
    from gan_lab.course.i18n.messages import extract_messages

    return extract_messages(root)


def templates(root: Path = REPO) -> dict[Path, Catalog]:
    """Every template, by the path it is kept at."""
    found = {notebook_template_path(lab, root): notebook_template(lab, root) for lab in labs(root / "solutions")}
    found[messages_template_path(root)] = messages_template(root)
    return found


def languages(root: Path = REPO) -> list[str]:
    """The languages with catalogs (``translations/LANG/``), sorted."""
    folder = root / "translations"
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name != "notebooks") if folder.is_dir() else []


def update(lang: str, root: Path = REPO) -> list[Path]:
    """Bring LANG's catalogs up to date with the templates; compile the messages' .mo. Returns
    the files written."""
    written = []
    pairs = [(notebook_template_path(lab, root), notebook_catalog_path(lab, lang, root)) for lab in labs(root / "solutions")]
    pairs.append((messages_template_path(root), messages_catalog_path(lang, root)))
    for template_path, catalog_path in pairs:
        template = read(template_path)
        catalog = read(catalog_path, lang) if catalog_path.is_file() else Catalog(
            locale=lang, domain=template.domain, project=template.project, charset="utf-8",
            header_comment=f"# {template.project}: the {lang} translation. Edit the msgstr lines only;\n"
                           "# `gan-lab i18n update` keeps the msgid lines in step with the English.")
        catalog.update(template, update_header_comment=False)
        catalog.obsolete.clear()  # removed English: its translation goes with it
        if write(catalog_path, catalog):
            written.append(catalog_path)
    mo = messages_catalog_path(lang, root).with_suffix(".mo")
    if compile_messages(lang, root) or not mo.exists():
        written.append(mo)
    return written


def compile_messages(lang: str, root: Path = REPO) -> bool:
    """Write LANG's .mo from its .po (fuzzy entries left out, as msgfmt does); False if unchanged."""
    catalog = read(messages_catalog_path(lang, root), lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    path = messages_catalog_path(lang, root).with_suffix(".mo")
    if path.is_file() and path.read_bytes() == buffer.getvalue():
        return False
    path.write_bytes(buffer.getvalue())
    return True


@dataclasses.dataclass
class Problem:
    file: str
    context: str  # the lab and cell id, or the message's place in the code
    kind: str  # "missing", "stale" or "outdated template"
    text: str  # the English


def problems(lang: str, root: Path = REPO) -> list[Problem]:
    """Every missing or stale translation of LANG, and any template that no longer matches the
    English it is made from."""
    found = []
    for path, current in templates(root).items():
        if not path.is_file() or path.read_bytes() != render(current):
            found.append(Problem(str(path.relative_to(root)), "", "outdated template",
                                 "run `gan-lab i18n extract` and `gan-lab i18n update LANG`"))
    targets = {notebook_catalog_path(lab, lang, root): notebook_template_path(lab, root) for lab in labs(root / "solutions")}
    targets[messages_catalog_path(lang, root)] = messages_template_path(root)
    for catalog_path, template_path in targets.items():
        template = read(template_path) if template_path.is_file() else Catalog()
        catalog = read(catalog_path, lang) if catalog_path.is_file() else Catalog(locale=lang)
        name = str(catalog_path.relative_to(root))
        for message in template:
            if not message.id:
                continue
            where = message.context or ", ".join(f"{f}:{n}" for f, n in message.locations[:1])
            translated = catalog.get(message.id, context=message.context)
            if translated is None or not translated.string or (isinstance(translated.string, tuple) and not all(translated.string)):
                found.append(Problem(name, where, "missing", _short(message.id)))
            elif translated.fuzzy:
                found.append(Problem(name, where, "stale", _short(message.id)))
    return found


def _short(text) -> str:
    text = text[0] if isinstance(text, tuple) else text
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:90] + ("..." if len(first) > 90 or "\n" in text.strip() else "")


def coverage(lang: str, root: Path = REPO) -> dict[str, tuple[int, int]]:
    """Per catalog: (messages translated and current, messages in its template)."""
    result = {}
    targets = {lab: (notebook_catalog_path(lab, lang, root), notebook_template_path(lab, root))
               for lab in labs(root / "solutions")}
    targets["messages"] = (messages_catalog_path(lang, root), messages_template_path(root))
    for name, (catalog_path, template_path) in targets.items():
        template = read(template_path)
        catalog = read(catalog_path, lang) if catalog_path.is_file() else Catalog(locale=lang)
        ids = [m for m in template if m.id]
        done = sum(1 for m in ids if (t := catalog.get(m.id, context=m.context)) is not None
                   and t.string and not t.fuzzy)
        result[name] = (done, len(ids))
    return result
