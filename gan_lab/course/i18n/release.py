"""``gan-lab release LAB --lang LANG``: a lab's source and release in another language.

The translated source is the English source with its markdown and comments from
``translations/LANG/LAB.po`` (``notebooks.translate``): same cells, code, hidden tests, grade
ids, points and locks. nbgrader's own ``generate_assignment`` then makes the release from it,
in a scratch course folder (its gradebook is thrown away), exactly as it makes the English one.
So a class taught in LANG is an nbgrader course whose ``source_directory`` is ``solutions-LANG``
and ``release_directory`` ``notebooks-LANG``; ``GAN_LAB_LANGUAGE=LANG`` makes what gan_lab
prints speak it too (``gan_lab.i18n``). Chosen over a preprocessor inside nbgrader because the
translated source is then an ordinary nbgrader source an instructor can read, grade from and
diff, and nbgrader's checksums and locks are computed on exactly what students receive.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Callable

import nbformat

from gan_lab.course.i18n import catalogs, notebooks
from gan_lab.course.nbgrader_run import REPO, CourseError, nbgrader
from gan_lab.i18n import N_, translated

# Translators: nbgrader's placeholder in every written-answer cell of a release.
ANSWER_STUB = N_("YOUR ANSWER HERE")


def source_dir(lang: str, root: Path = REPO) -> Path:
    return root / f"solutions-{lang}"


def release_dir(lang: str, root: Path = REPO) -> Path:
    return root / f"notebooks-{lang}"


def translated_source(lab: str, lang: str, root: Path = REPO, *, strict: bool = True) -> notebooks.Translated:
    """The lab's source notebook in LANG; with ``strict``, a missing or stale translation is an
    error naming each cell (an English paragraph in a Chinese handout is a bug to fix)."""
    path = catalogs.notebook_catalog_path(lab, lang, root)
    if not path.is_file():
        raise CourseError(f"no {lang} translation of {lab}: {path} is missing (gan-lab i18n update {lang} makes it)")
    source = nbformat.read(root / "solutions" / lab / f"{lab}.ipynb", as_version=4)
    result = notebooks.translate(lab, source, catalogs.read(path, lang))
    if strict and (result.missing or result.stale):
        shown = [f"{kind} {ctx}: {text[:60]!r}" for kind, items in (("missing", result.missing), ("stale", result.stale))
                 for ctx, text in items]
        raise CourseError(f"{lab} in {lang}: {len(shown)} cell(s) not translated (gan-lab i18n check {lang}):\n  "
                          + "\n  ".join(shown[:20]))
    return result


def release(lab: str, lang: str, root: Path = REPO, *, strict: bool = True,
            say: Callable[[str], None] = print) -> Path:
    """Write ``solutions-LANG/LAB`` and ``notebooks-LANG/LAB`` under ``root``; returns the release."""
    result = translated_source(lab, lang, root, strict=strict)
    source = source_dir(lang, root) / lab
    if source.exists():
        shutil.rmtree(source)
    # The lab's other files (pictures) as they are; the notebook translated.
    shutil.copytree(root / "solutions" / lab, source, ignore=shutil.ignore_patterns(f"{lab}.ipynb", "data", "runs"))
    nbformat.write(result.notebook, source / f"{lab}.ipynb")
    with tempfile.TemporaryDirectory(prefix=f"gan-lab-release-{lang}-") as scratch:
        course = Path(scratch)
        shutil.copy(root / "nbgrader_config.py", course)
        shutil.copytree(source, course / "source" / lab)
        nbgrader(course, "generate_assignment", lab, "--force", "--CourseDirectory.source_directory=source",
                 "--CourseDirectory.release_directory=release",
                 f"--ClearSolutions.text_stub={translated(ANSWER_STUB, lang)}")
        target = release_dir(lang, root) / lab
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(course / "release" / lab, target)
    say(f"[{lab}] {lang}: source {source.relative_to(root)}, release {target.relative_to(root)}")
    return target / f"{lab}.ipynb"
