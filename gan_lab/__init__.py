"""gan-lab: the package every lab notebook imports.

The public API, re-exported here and imported on first use, so that tools which need only a
small part (nbgrader's configuration, the grading sandbox, ``gan-lab --help``) do not pay for
torch; each module's docstring says more.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "gan_lab.budget": ("Budget", "smoke_mode", "training_budget"),
    "gan_lab.data": ("DeviceLoader", "gaussian_samples", "latent_noise", "load_mnist",
                     "mnist_tensors", "tanh_range_transform", "uniform_noise"),
    "gan_lab.device": ("DeviceError", "device_report", "format_report", "get_device"),
    "gan_lab.mnist": ("MnistError", "prepare_mnist"),
    "gan_lab.objectives": ("BCE", "BCE_WITH_LOGITS", "LEAST_SQUARES", "Objective"),
    "gan_lab.training": ("History", "TrainConfig", "discriminator_step", "generator_step", "train"),
}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'gan_lab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
