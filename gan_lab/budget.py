"""Training budgets: a full run on a GPU, a smaller one on a CPU, a smoke run under autograde.

Under autograde (``gan_lab.limits.under_autograde``) a whole class is graded on a CPU, so
training cells stop after a handful of steps (the grading limits' ``smoke_steps``, unless a lab
asks for its own). ``GAN_LAB_SMOKE=1`` asks for the same smoke budget by hand (the notebook
tests use it). A student's own run is never shrunk.

The sources count epochs of MNIST's 60,000 training images. A course machine may hold fewer
(the offline fallbacks give 8,000 or 4,000), and then an epoch is fewer updates: 30 epochs of
8,000 images are an eighth of the handout's run, too little for an MLP GAN to learn digits.
Given ``dataset_size``, ``training_budget`` counts the sources' epochs in updates instead.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Optional

from gan_lab.limits import GradingLimits, under_autograde

SMOKE_ENV = "GAN_LAB_SMOKE"
SOURCE_IMAGES = 60_000  # MNIST's training set: what the sources' epochs are epochs of


@dataclasses.dataclass(frozen=True)
class Budget:
    """How long a training cell runs, and why."""

    num_epochs: int
    max_steps: Optional[int]  # None: every batch of every epoch
    reason: str

    def __str__(self) -> str:
        steps = "" if self.max_steps is None else f", at most {self.max_steps} steps"
        return f"{self.num_epochs} epoch(s){steps} ({self.reason})"


def smoke_mode() -> bool:
    """True under nbgrader autograde/validate, or when GAN_LAB_SMOKE=1."""
    return under_autograde() or os.environ.get(SMOKE_ENV) == "1"


def training_budget(full_epochs: int, cpu_epochs: int, *, smoke_steps: Optional[int] = None,
                    on_gpu: Optional[bool] = None, dataset_size: Optional[int] = None) -> Budget:
    """The budget for a lab's training cell.

    Args:
        full_epochs: the handout's run, used on a GPU.
        cpu_epochs: what a CPU finishes in minutes.
        smoke_steps: steps under autograde or GAN_LAB_SMOKE=1 (default: the grading limits').
        on_gpu: whether training runs on a GPU (default: ask gan_lab.device).
        dataset_size: the training images at hand. Given, both epoch counts are read as
            epochs of the sources' 60,000 images and turned into as many updates over
            ``dataset_size`` images (30 epochs become 225 epochs of 8,000).
    """
    if smoke_steps is None:
        smoke_steps = GradingLimits.from_env().smoke_steps
    for name, value in (("full_epochs", full_epochs), ("cpu_epochs", cpu_epochs), ("smoke_steps", smoke_steps)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if dataset_size is not None and (not isinstance(dataset_size, int) or dataset_size < 1):
        raise ValueError(f"dataset_size must be a positive integer or None, got {dataset_size!r}")
    if smoke_mode():
        return Budget(1, smoke_steps, "smoke run: autograde or GAN_LAB_SMOKE=1")
    if on_gpu is None:
        from gan_lab.device import get_device

        on_gpu = get_device("auto").type == "cuda"
    epochs = full_epochs if on_gpu else min(cpu_epochs, full_epochs)
    reason = "full run on the GPU" if on_gpu else (
        "CPU: the handout's run" if epochs == full_epochs else "CPU: a shorter run than the handout's")
    if dataset_size is None or dataset_size == SOURCE_IMAGES:
        return Budget(epochs, None, reason)
    scaled = max(1, round(epochs * SOURCE_IMAGES / dataset_size))
    return Budget(scaled, None, f"{reason}; the source's {epochs} epoch(s) of {SOURCE_IMAGES:,} images "
                                f"as updates over your {dataset_size:,}")
