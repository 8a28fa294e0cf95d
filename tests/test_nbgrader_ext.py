"""The replacement for nbgrader's DeduplicateIds keeps a copied cell from failing a submission;
a cell's printed chunks merge into one output per stream, as nbclient merges them."""
import random
import re

import nbformat

from gan_lab.course.nbgrader_ext import DeduplicateIds, merge_streams


def test_copies_of_a_graded_cell_become_ordinary_cells_and_the_last_is_graded():
    def cell(source):
        made = nbformat.v4.new_code_cell(source)
        made.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False,
                                     "grade_id": "generator", "schema_version": 3}
        return made

    notebook = nbformat.v4.new_notebook(cells=[cell("first"), cell("second")])
    notebook, _ = DeduplicateIds().preprocess(notebook, {})
    assert "nbgrader" not in notebook.cells[0].metadata  # not {}: nbgrader rejects empty metadata
    assert notebook.cells[1].metadata["nbgrader"]["grade_id"] == "generator"


def test_what_a_cell_prints_in_several_flushes_becomes_one_output(tmp_path):
    """The same notebook must grade to the same feedback however the kernel's flushes fall: a
    cell printing on both sides of a pause longer than the kernel's flush interval (0.2 s) is
    sent as two stream messages, and the grader merges them."""
    from traitlets.config import Config

    from gan_lab.course.config import configure
    from gan_lab.course.nbgrader_ext import CrashTolerantExecute

    c = Config()
    configure(c, env={"GAN_LAB_SANDBOX": "off"})
    c.Execute.extra_arguments = []  # a plain kernel: this checks the merge, not the seal
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys, time\nprint('first')\nsys.stdout.flush()\ntime.sleep(0.6)\nprint('second')\n1.0")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    executor = CrashTolerantExecute(config=c)
    assert executor.merge_streams is True
    executor.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["stream", "execute_result"]
    assert outputs[0].text == "first\nsecond\n"


def _nbclient_carriage_returns(text: str) -> str:
    """nbclient's own treatment of carriage returns (its regular expression)."""
    from nbclient.client import _RGX_CARRIAGERETURN

    return _RGX_CARRIAGERETURN.sub("", text)


def test_merged_streams_read_as_nbclient_merges_them():
    """Progress bars redraw lines with \\r: the merge must leave what nbclient's would, for any
    mix of carriage returns, newlines and backspaces (random texts), with one output per stream
    and stdout before stderr."""
    rng = random.Random(0)
    for _ in range(2000):
        text = "".join(rng.choice("ab\r\b\n") for _ in range(rng.randint(0, 12)))
        cut = rng.randint(0, len(text))
        outputs = [nbformat.v4.new_output("stream", name="stdout", text=text[:cut]),
                   nbformat.v4.new_output("stream", name="stdout", text=text[cut:])]
        merged = merge_streams(outputs)
        assert len(merged) == 1 and merged[0].text == _nbclient_carriage_returns(text), repr(text)
    chunks = [("stderr", "warn\n"), ("stdout", "10%\r"), ("stdout", "100%\n"), ("stderr", "done\n")]
    merged = merge_streams([nbformat.v4.new_output("stream", name=n, text=t) for n, t in chunks])
    assert [(o.name, o.text) for o in merged] == [("stdout", "100%\n"), ("stderr", "warn\ndone\n")]


def test_a_long_line_without_a_newline_merges_as_printed():
    """The output cap lets 512 kB through in one line; nbclient's expression backtracks over
    it for minutes. The merge keeps the line whole, with what follows its last \\r."""
    line = "x" * 524_288
    merged = merge_streams([nbformat.v4.new_output("stream", name="stdout", text="old\r" + line)])
    assert merged[0].text == line
    assert re.fullmatch("x+", merged[0].text)
