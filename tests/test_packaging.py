"""Tests for the project's packaging: pyproject.toml and environment.yml agree."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _normalise(requirement: str) -> str:
    return re.sub(r"\s+", "", requirement).lower()


def test_environment_yml_and_pyproject_name_the_same_dependencies():
    """Does a conda user get exactly the dependencies a pip user gets?"""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted.update(extra)
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("  - pip:") + 1
    pip_lines = [line.strip()[2:] for line in lines[start:] if line.strip().startswith("- ")]
    conda = {req for req in pip_lines if req != "-e ."}
    assert {_normalise(r) for r in conda} == {_normalise(r) for r in wanted}
    assert "-e ." in pip_lines, "environment.yml must install the gan_lab package itself"


def test_torch_and_torchvision_are_pinned_exactly():
    """Are torch and torchvision pinned (a range downloads gigabytes of CUDA wheels)?"""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "torch==2.14.1" in deps and "torchvision==0.29.1" in deps


def test_gitignore_keeps_generated_and_private_files_out():
    """Are data, the gradebook and grading outputs kept out of git?"""
    ignored = (ROOT / ".gitignore").read_text().split()
    for pattern in ("data/*", "gradebook.db", "runs/", "submitted/", "autograded/", "feedback/", ".venv/"):
        assert pattern in ignored
