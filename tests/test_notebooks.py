"""Every lab, solved, runs top to bottom in a real Jupyter kernel in smoke mode (nbclient)."""
import nbformat
import pytest
from nbclient import NotebookClient

from gan_lab.course.nbgrader_run import REPO, labs, solution_submission


@pytest.mark.parametrize("lab", labs())
def test_solved_lab_runs_in_a_kernel_without_errors_or_stderr(lab, tmp_path, small_mnist, monkeypatch):
    """Does the solved notebook execute cleanly, with nothing on stderr, in smoke mode?"""
    monkeypatch.setenv("GAN_LAB_SMOKE", "1")  # the student's own run, shrunk: not autograde
    monkeypatch.setenv("GAN_LAB_OFFLINE", "1")
    monkeypatch.setenv("GAN_LAB_MNIST_DIR", str(small_mnist / "MNIST" / "raw"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    path = tmp_path / f"{lab}.ipynb"
    solution_submission(REPO / "solutions" / lab / f"{lab}.ipynb", path)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", (index, output.get("ename"), output.get("evalue"))
            assert not (output.output_type == "stream" and output.name == "stderr"), (index, output.text)
