"""``configure(c)``: every nbgrader setting the course's grading relies on, in one place.

``nbgrader_config.py`` keeps what names the course (its id, folders and gradebook) and calls
``configure(get_config())`` for the rest. It only sets values on ``c``: nothing is written,
started or checked here, so every nbgrader command loads it quickly; the sandbox is checked
when a grading kernel starts (``gan_lab.course.kernel``) and by ``gan-lab autograde`` first.
"""
from __future__ import annotations

import os
from typing import Mapping

from gan_lab.course.lms import lms_pattern
from gan_lab.graded_warnings import kernel_line as warnings_line
from gan_lab.course.sandbox import sandbox_enabled
from gan_lab.grading.seal import arm_line
from gan_lab.limits import GradingLimits

_EXT = "gan_lab.course.nbgrader_ext"


def configure(c, env: Mapping[str, str] = os.environ) -> None:
    """Set the grading settings on nbgrader's config object ``c``."""
    limits = GradingLimits.from_env(env)
    # Under autograde every training cell shrinks to its smoke budget (gan_lab.budget), so no
    # cell needs long; the limit catches infinite loops in student code.
    c.Execute.timeout = limits.cell_timeout_s
    c.Execute.interrupt_on_timeout = True
    # Once the last cell has run, the kernel is killed, not asked to exit: its outputs are all
    # in, and a polite shutdown waits about 1.5 s per submission for torch to wind down (or for
    # as long as an exit hook in student code likes).
    c.Execute.shutdown_kernel = "immediate"
    # Student code runs in a bubblewrap sandbox (gan_lab.course.sandbox): no network, writes only
    # to its own submission folder, cannot see other submissions, the gradebook or the
    # solutions, and has the memory, CPU-time, file-size and output caps of ``limits``. A
    # missing bubblewrap is an error, not a silent fallback; GAN_LAB_SANDBOX=off grades without
    # the sandbox, for trusted notebooks only.
    c.CrashTolerantExecute.sandboxed = sandbox_enabled(env)
    # Before any cell runs, the kernel prints Python's warnings on stdout as labelled notes,
    # so that a warning shows in the feedback without zeroing its cell (gan_lab.graded_warnings),
    # and records the genuine grading code (gan_lab.grading.seal): every check then refuses to
    # pass in a kernel where it, a builtin or torch was patched.
    c.Execute.extra_arguments = [warnings_line(), arm_line()]
    # A kernel that dies costs only the cells from the crash on, and a cell copied in Jupyter
    # (two cells with one grade_id) no longer fails the submission (nbgrader_ext says why).
    c.Autograde.sanitize_preprocessors = [
        "nbgrader.preprocessors.ClearOutput", f"{_EXT}.DeduplicateIds",
        "nbgrader.preprocessors.OverwriteKernelspec", "nbgrader.preprocessors.OverwriteCells",
        "nbgrader.preprocessors.CheckCellMetadata"]
    c.Autograde.autograde_preprocessors = [
        f"{_EXT}.CrashTolerantExecute", "nbgrader.preprocessors.IgnorePattern",
        "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
        "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
        "nbgrader.preprocessors.CheckCellMetadata"]
    # Feedback shows each check's result and message, never the hidden tests themselves.
    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades", "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
        f"{_EXT}.HideHiddenTests"]
    # LimitOutput keeps the feedback readable when a cell prints without end.
    c.LimitOutput.max_lines = 200
    c.LimitOutput.max_traceback = 50
    # An LMS download (nbgrader zip_collect): the file names of the LMS that GAN_LAB_LMS names
    # (gan_lab.course.lms); an entry that fits neither them nor the lab's notebook name is
    # reported by name and skipped.
    c.FileNameCollectorPlugin.named_regexp = lms_pattern(env)
    c.ZipCollectApp.strict = True
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
