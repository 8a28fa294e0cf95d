"""Tests for gan_lab.graded_warnings: in a graded run a warning is a note on stdout, not stderr."""

import warnings

import pytest
import torch
from torch import nn

from gan_lab import graded_warnings
from gan_lab.grading import gan_losses
from student_code import notebook


@pytest.fixture
def graded(monkeypatch):
    """This process as a graded run: warnings shown as notes; Python's own hook put back after."""
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    monkeypatch.setattr(graded_warnings, "_state", {"installed": False, "shown": set(), "hidden": 0})
    graded_warnings.show_on_stdout()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        yield


def test_a_warning_is_a_labelled_note_on_stdout_once_per_cell(graded, capfd):
    """Does a torch deprecation print one labelled note on stdout, and nothing on stderr?"""
    for _ in range(3):
        nn.init.uniform(torch.empty(2, 2), -1, 1)
    out, err = capfd.readouterr()
    assert err == ""
    assert out == ("Warning (shown, not scored): FutureWarning: `nn.init.uniform` is now deprecated in "
                   "favor of `nn.init.uniform_`.\n")
    graded_warnings._new_cell()  # IPython's pre_run_cell event: the next cell shows it again
    nn.init.uniform(torch.empty(2, 2), -1, 1)
    assert capfd.readouterr().out.count("nn.init.uniform") == 2


def test_a_flood_of_warnings_is_cut_short(graded, capfd):
    for i in range(graded_warnings.PER_CELL + 4):
        warnings.warn(f"warning number {i}")
    lines = capfd.readouterr().out.splitlines()
    assert len(lines) == graded_warnings.PER_CELL + 1
    assert lines[-1] == "Warning (shown, not scored): more warnings in this cell are not shown"


def test_the_notebooks_own_filters_still_decide(graded, capfd):
    """Does a warning the notebook chose to ignore stay silent?"""
    warnings.filterwarnings("ignore", message="ignored on purpose")
    warnings.warn("ignored on purpose")
    assert capfd.readouterr() == ("", "")


WARNING_NOISE = """
def sample_noise(batch_size, dim, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    return nn.init.uniform(torch.empty(batch_size, dim), -1, 1)
"""


def test_a_check_passes_correct_code_that_warns_and_shows_the_warning(graded, capfd):
    """Does a hidden check pass an older torch's spelling, showing its warning on stdout only?"""
    gan_losses.check_sample_noise(notebook(WARNING_NOISE)["sample_noise"])
    out, err = capfd.readouterr()
    assert err == "" and out.count("Warning (shown, not scored): FutureWarning: `nn.init.uniform`") == 1


def test_outside_a_graded_run_a_check_stays_silent(capfd):
    """A student's own kernel and these tests: the checks print nothing, as before."""
    gan_losses.check_sample_noise(notebook(WARNING_NOISE)["sample_noise"])
    assert capfd.readouterr() == ("", "")


def test_the_kernel_line_turns_notes_on_before_any_cell():
    assert graded_warnings.kernel_line() == (
        "--IPKernelApp.exec_lines=import gan_lab.graded_warnings as _gan_lab_warnings; "
        "_gan_lab_warnings.show_on_stdout(); del _gan_lab_warnings")
