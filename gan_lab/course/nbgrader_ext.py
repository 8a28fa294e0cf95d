"""nbgrader preprocessors: one broken submission costs no more than it should, and feedback
shows results, not the hidden tests.

``gan_lab.course.config.configure`` puts them in place of nbgrader's own:

- ``CrashTolerantExecute``: runs every kernel in the grading sandbox when ``sandboxed`` is
  set (``gan_lab.course.kernel``), and merges a cell's printed chunks into one output per
  stream. The kernel sends what a cell prints in as many chunks as it happened to flush, which
  varies with load, so without the merge the same notebook graded twice can get different
  feedback pages. nbclient's ``coalesce_streams`` does the merge, but its handling of ``\r``
  is quadratic in a line's length (a regular expression that backtracks): one 512 kB line
  printed without a newline, which the output cap lets through, took 137 s to merge (a line
  half as long, a quarter of that). So nbclient's merge stays off and ``merge_streams`` does
  the same in linear time.
  With nbgrader's Execute, a kernel that dies (``os._exit``, a segmentation fault, the
  sandbox's memory cap) aborts the whole submission: nbgrader deletes what it graded and
  records nothing. Here the cell that killed the kernel gets an error saying
  so, every later cell is marked as not run, and the grades are saved: points earned before the
  crash stay, and the feedback says what happened.
- ``DeduplicateIds``: a cell copied in Jupyter keeps its nbgrader metadata, so two cells share a
  grade_id. nbgrader's preprocessor empties the copy's metadata to ``{}``, which its own
  metadata check then rejects as an old format, failing the submission. This one removes the
  metadata instead, so the copy is an ordinary cell; as in nbgrader, the last copy is graded.
- ``HideHiddenTests`` (feedback): nbgrader's feedback page prints each test cell as graded,
  hidden tests included (``### BEGIN HIDDEN TESTS ... check_generator(Generator)``), and the
  traceback of a failed check repeats those lines. This removes the hidden region from the
  source and shortens each error in such a cell to its message, which says what was expected
  and what was found.
"""
from __future__ import annotations

from nbformat.notebooknode import NotebookNode
from traitlets import Bool
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, Execute, NbGraderPreprocessor

from gan_lab.grading.mistakes import MIME as MISTAKES_MIME


def _error(ename: str, text: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=text, traceback=[f"{ename}: {text}"])


class CrashTolerantExecute(Execute):
    """nbgrader's Execute, except that a dead kernel ends the run without losing the grades,
    and kernels start in the grading sandbox when ``sandboxed`` is set."""

    sandboxed = Bool(False, help="Start every kernel in the gan-lab grading sandbox "
                                 "(gan_lab.course.kernel.SandboxKernelManager).").tag(config=True)
    merge_streams = Bool(True, help="Merge a cell's stream outputs into one per stream name, "
                                    "so that feedback does not depend on flush timing.").tag(config=True)
    coalesce_streams = Bool(False)  # nbclient's own merge: quadratic on long lines (merge_streams instead)
    _died_at = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.sandboxed:  # set here: nbgrader's Execute passes its own class as a keyword
            from gan_lab.course.kernel import SandboxKernelManager

            self.kernel_manager_class = SandboxKernelManager

    def preprocess_cell(self, cell, resources, index):
        from nbclient.exceptions import DeadKernelError

        if self._died_at is not None:
            if cell.cell_type == "code":
                cell.outputs = [_error("KernelNotRunning", f"not run: the kernel died in cell "
                                       f"{self._died_at} (see that cell)")]
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
            if self.merge_streams and cell.cell_type == "code":
                cell.outputs = merge_streams(cell.outputs)
            return cell, resources
        except DeadKernelError:
            self._died_at = index
            self.log.warning("The kernel died in cell %s; the remaining cells are marked as not run",
                             index)
            cell.outputs.append(_error(
                "DeadKernelError", "the kernel died while running this cell (the process exited, "
                "crashed, or went over the grader's memory cap); nothing after it could run"))
            return cell, resources

    def preprocess(self, nb, resources=None, km=None):
        self._died_at = None
        return super().preprocess(nb, resources, km)


def _apply_carriage_returns(text: str) -> str:
    """``text`` with each line cut after its last carriage return that has something after it
    on the line, as a terminal shows a redrawn progress line: what nbclient's expression
    ``.*\\r(?=[^\\n])`` leaves, in linear time. (nbclient's backspace handling never runs: its
    loop condition is false on entry, so backspaces stay, as there.)"""
    if "\r" not in text:
        return text
    lines = text.split("\n")
    for number, line in enumerate(lines):
        cut = line.rfind("\r", 0, len(line) - 1)
        if cut >= 0:
            lines[number] = line[cut + 1:]
    return "\n".join(lines)


def merge_streams(outputs: list) -> list:
    """A cell's outputs with its stream chunks merged into one output per stream name (in the
    place of that stream's first chunk), carriage returns applied, and a stderr output
    directly followed by stdout put after it: what nbclient's ``coalesce_streams`` gives."""
    merged, parts = [], {}
    for output in outputs:
        if output["output_type"] != "stream":
            merged.append(output)
        elif output["name"] in parts:
            parts[output["name"]][1].append(output["text"])
        else:
            merged.append(output)
            parts[output["name"]] = (output, [output["text"]])
    for output, texts in parts.values():
        output["text"] = _apply_carriage_returns("".join(texts))
    for index, output in enumerate(merged):
        if (output["output_type"] == "stream" and output["name"] == "stderr" and index + 1 < len(merged)
                and merged[index + 1]["output_type"] == "stream" and merged[index + 1]["name"] == "stdout"):
            merged.insert(index, merged.pop(index + 1))
    return merged


class DeduplicateIds(NbGraderPreprocessor):
    """Keep the last cell of each grade_id; the earlier copies become ordinary cells."""

    def preprocess(self, nb, resources):
        seen = set()
        for cell in reversed(nb.cells):
            if not (utils.is_grade(cell) or utils.is_solution(cell) or utils.is_locked(cell)):
                continue
            grade_id = cell.metadata.nbgrader["grade_id"]
            if grade_id in seen:
                self.log.warning("Cell with id '%s' exists more than once; grading the last one",
                                 grade_id)
                del cell.metadata["nbgrader"]
            else:
                seen.add(grade_id)
        return nb, resources


class HideHiddenTests(ClearHiddenTests):
    """For feedback: hidden tests out of the source, and their tracebacks cut to the message."""

    # A student may type the delimiter into any cell; that must not stop the feedback.
    enforce_metadata = Bool(False).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or self.begin_test_delimeter not in cell.source:
            return cell, resources
        cell, resources = super().preprocess_cell(cell, resources, index)
        # The checks' record of named mistakes is for the class report, not the student.
        cell.outputs = [output for output in cell.get("outputs", [])
                        if MISTAKES_MIME not in output.get("data", {})]
        for output in cell.outputs:
            if output.get("output_type") == "error":
                output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources
