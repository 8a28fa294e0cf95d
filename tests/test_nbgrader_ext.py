"""The replacement for nbgrader's DeduplicateIds keeps a copied cell from failing a submission."""
import nbformat

from gan_lab.course.nbgrader_ext import DeduplicateIds


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
    assert executor.coalesce_streams is True
    executor.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["stream", "execute_result"]
    assert outputs[0].text == "first\nsecond\n"
