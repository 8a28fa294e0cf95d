"""What gan_lab says to students, in the course's language: Python's gettext.

``GAN_LAB_LANGUAGE`` (e.g. ``zh_CN``) picks the language, English by default. The hub sets it
for every server, and ``gan-lab autograde`` passes it to the grading kernels and the re-check,
so the checks, the feedback, the sample-quality lines, the progress bar and the GPU report all
speak it. Messages are English in the code, wrapped in ``_()`` with named fields:
``_("expected {expected}, found {found}").format(...)``, so the numbers in a message are the
same in every language. The catalogs are ``gan_lab/locale/LANG/LC_MESSAGES/gan_lab.mo``
(``gan-lab i18n update LANG`` compiles them); a language without one speaks English.
"""
from __future__ import annotations

import functools
import gettext
import os
from pathlib import Path

LANGUAGE_ENV = "GAN_LAB_LANGUAGE"
LOCALE = Path(__file__).resolve().parent / "locale"


def language() -> str:
    """The course's language: ``$GAN_LAB_LANGUAGE``, else English."""
    return os.environ.get(LANGUAGE_ENV) or "en"


@functools.lru_cache(maxsize=8)
def _catalog(lang: str) -> gettext.NullTranslations:
    return gettext.translation("gan_lab", LOCALE, languages=[lang], fallback=True)


def _(message: str) -> str:
    """``message`` in the course's language (itself where there is no translation)."""
    return _catalog(language()).gettext(message)


def clauses(parts) -> str:
    """Several clauses of one message joined as the course's language separates them
    ("A; B" in English, "A；B" in Chinese)."""
    # Translators: the separator between two clauses of one message, as in "A; B".
    return _("; ").join(parts)


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now (gettext's ``noop``): for
    English that is translated later, into another language than the course's."""
    return message


def translated(message: str, lang: str) -> str:
    """``message`` in ``lang``, whatever the course's language."""
    return _catalog(lang).gettext(message)
