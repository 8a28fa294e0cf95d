"""Every lab, solved, runs top to bottom in a real Jupyter kernel in smoke mode (nbclient).

The runs happen in ``tests/conftest.py`` (``run_solved_labs``), in the background beside the
other tests. Lab 2 (dcgan) runs the same way, in a kernel of its student wheel's fresh
environment, in ``tests/test_student_build.py``, and lab 1 (mlp_gan) in JupyterLab's Run All,
in its Chinese edition, in ``tests/browser/test_jupyter_pages.py``: running them here too would
pay for the same checks twice."""
import pytest

from course_helpers import SOLVED_RUN_LABS


@pytest.mark.parametrize("lab", SOLVED_RUN_LABS)
def test_solved_lab_runs_in_a_kernel_without_errors_or_stderr(lab, solved_runs):
    """Does the solved notebook execute cleanly, with nothing on stderr, in smoke mode?"""
    notebook = solved_runs[lab]
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.execution_count is not None for cell in code)
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", (index, output.get("ename"), output.get("evalue"))
            assert not (output.output_type == "stream" and output.name == "stderr"), (index, output.text)
