"""In a graded run, a Python warning is a labelled note on stdout: shown, never scored.

nbgrader scores a test cell 0 when anything in it reaches stderr, and Python prints its
warnings on stderr. Code written against an older torch still works today but warns
(``nn.init.uniform`` for ``nn.init.uniform_``, ``size_average=``, ``torch.tensor(a_tensor)``),
so a correct answer would lose its points for a sentence meant as advice. The grading kernel
calls ``show_on_stdout()`` before any cell runs (``gan_lab.course.config`` passes
``kernel_line()`` to it), and so does the out-of-kernel re-check: from then on every warning is
printed on stdout, once per cell, as::

    Warning (shown, not scored): FutureWarning: `nn.init.uniform` is now deprecated in favor of `nn.init.uniform_`.
        at: nn.init.uniform(t, -1, 1)

Nothing else changes: an exception, a failed check and anything else written to stderr cost
the cell its points as before, and the warning filters (a notebook's own ``filterwarnings``
included) still decide which warnings appear. A student's own kernel is left alone; its
warnings stay where Python puts them. The checks record the warnings that student code raises
while a check runs it and hand them to ``show`` (``gan_lab.grading.core.quiet``).
"""
from __future__ import annotations

import linecache
import sys
import warnings
from typing import Iterable

from gan_lab.i18n import _

PER_CELL = 5  # distinct warnings shown in one cell; the rest are counted in one line

_state: dict = {"installed": False, "shown": set(), "hidden": 0}


def label() -> str:
    """What every note starts with, in the course's language (``gan_lab.i18n``)."""
    # Translators: the label in front of a Python warning printed in a graded notebook: the
    # warning is shown to the student but costs no points.
    return _("Warning (shown, not scored)")


def __getattr__(name: str):
    """``LABEL``: the label, read in the course's language whenever it is asked for."""
    if name == "LABEL":
        return label()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def kernel_line() -> str:
    """The kernel start-up argument that turns warnings into notes before any cell runs."""
    return ("--IPKernelApp.exec_lines=import gan_lab.graded_warnings as _gan_lab_warnings; "
            "_gan_lab_warnings.show_on_stdout(); del _gan_lab_warnings")


def show_on_stdout() -> None:
    """From now on, print warnings on stdout as labelled notes, each once per notebook cell."""
    if _state["installed"]:
        return
    warnings.showwarning = _note
    _state["installed"] = True
    try:
        from IPython import get_ipython
    except ImportError:  # the re-check runs without IPython
        return
    shell = get_ipython()
    if shell is not None:
        shell.events.register("pre_run_cell", _new_cell)


def installed() -> bool:
    return _state["installed"]


def show(caught: Iterable[warnings.WarningMessage]) -> None:
    """Show warnings recorded while a check ran student code, in a graded run; elsewhere (a
    student's own kernel, the unit tests) they stay silent, as the checks always were."""
    if not _state["installed"]:
        return
    for caught_warning in caught:
        _note(caught_warning.message, caught_warning.category, caught_warning.filename,
              caught_warning.lineno, line=caught_warning.line)


def _new_cell(*_info) -> None:
    _state["shown"] = set()
    _state["hidden"] = 0


def _source_line(filename: str, lineno: int, line: str | None) -> str:
    """The line of a notebook cell that raised the warning ("" for a line inside a library)."""
    if "ipykernel_" not in filename and not filename.startswith("<"):
        return ""
    return (line or linecache.getline(filename, lineno)).strip()


def _note(message, category, filename, lineno, file=None, line=None) -> None:
    key = (category.__name__, str(message))
    if key in _state["shown"]:
        return
    if len(_state["shown"]) >= PER_CELL:
        _state["hidden"] += 1
        if _state["hidden"] == 1:
            # Translators: {label} is "Warning (shown, not scored)", translated.
            print(_("{label}: more warnings in this cell are not shown").format(label=label()), file=sys.stdout,
                  flush=True)
        return
    _state["shown"].add(key)
    # Translators: {label} is "Warning (shown, not scored)", translated; {category} the warning's
    # class (e.g. FutureWarning) and {message} its text, in English, as Python wrote it.
    text = _("{label}: {category}: {message}").format(label=label(), category=category.__name__, message=message)
    source = _source_line(str(filename), lineno, line)
    if source:
        # Translators: {source} is the line of the student's code that raised the warning.
        text += "\n    " + _("at: {source}").format(source=source)
    print(text, file=sys.stdout, flush=True)
