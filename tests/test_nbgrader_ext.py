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
