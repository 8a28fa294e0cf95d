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
