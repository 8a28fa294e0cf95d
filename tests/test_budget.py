"""Tests for gan_lab.budget and the course's one MNIST folder (gan_lab.mnist.course_data_root)."""
import pytest

from gan_lab.budget import training_budget
from gan_lab.mnist import course_data_root


@pytest.fixture(autouse=True)
def student_run(monkeypatch):
    """A student's own run: not under autograde, not smoke."""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("GAN_LAB_SMOKE", raising=False)
    monkeypatch.delenv("GAN_LAB_DATA", raising=False)


def test_gpu_runs_the_full_budget_and_cpu_the_shorter_one():
    assert training_budget(30, 3, on_gpu=True).num_epochs == 30
    cpu = training_budget(30, 3, on_gpu=False)
    assert (cpu.num_epochs, cpu.max_steps) == (3, None) and "shorter" in cpu.reason


def test_epochs_of_a_smaller_dataset_are_counted_as_the_sources_updates():
    """30 epochs of 60,000 images are 225 epochs of 8,000 and 450 of 4,000."""
    assert training_budget(30, 30, on_gpu=True, dataset_size=8000).num_epochs == 225
    budget = training_budget(30, 30, on_gpu=False, dataset_size=4000)
    assert budget.num_epochs == 450
    assert "30 epoch(s) of 60,000 images as updates over your 4,000" in str(budget)
    assert training_budget(30, 30, on_gpu=True, dataset_size=60000).num_epochs == 30


def test_smoke_mode_ignores_the_dataset_size(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    budget = training_budget(30, 30, smoke_steps=4, dataset_size=8000)
    assert (budget.num_epochs, budget.max_steps) == (1, 4)


@pytest.mark.parametrize("bad", [0, -5, 2.5, "8000"])
def test_a_bad_dataset_size_is_refused(bad):
    with pytest.raises(ValueError, match="dataset_size must be a positive integer"):
        training_budget(30, 3, on_gpu=False, dataset_size=bad)


def test_every_lab_folder_finds_the_course_data_folder(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("")
    lab = tmp_path / "notebooks" / "mlp_gan"
    lab.mkdir(parents=True)
    assert course_data_root(lab) == tmp_path / "data"
    assert course_data_root(tmp_path) == tmp_path / "data"


def test_a_notebook_outside_any_course_uses_its_own_folder_and_says_so(tmp_path):
    said = []
    assert str(course_data_root(tmp_path, announce=said.append)) == "data"
    assert len(said) == 1 and "No course folder" in said[0] and "GAN_LAB_DATA" in said[0]


def test_the_environment_and_autograde_override_the_search(tmp_path, monkeypatch):
    (tmp_path / "nbgrader_config.py").write_text("")
    monkeypatch.setenv("GAN_LAB_DATA", str(tmp_path / "shared"))
    assert course_data_root(tmp_path) == tmp_path / "shared"
    monkeypatch.delenv("GAN_LAB_DATA")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # the sandbox writes only beside the notebook
    assert str(course_data_root(tmp_path)) == "data"
