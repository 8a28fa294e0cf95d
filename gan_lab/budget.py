"""Training budgets: a full run on a GPU, a smaller one on a CPU, a smoke run under autograde.

nbgrader sets ``NBGRADER_EXECUTION`` while it runs a submission; a whole class is graded on a
CPU, so training cells then stop after a handful of steps. ``GAN_LAB_SMOKE=1`` asks for the same
smoke budget by hand (the notebook tests use it). A student's own run is never shrunk.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Optional

SMOKE_ENV = "GAN_LAB_SMOKE"


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
    return bool(os.environ.get("NBGRADER_EXECUTION")) or os.environ.get(SMOKE_ENV) == "1"


def training_budget(full_epochs: int, cpu_epochs: int, *, smoke_steps: int = 10,
                    on_gpu: Optional[bool] = None) -> Budget:
    """The budget for a lab's training cell.

    Args:
        full_epochs: the handout's run, used on a GPU.
        cpu_epochs: what a CPU finishes in minutes.
        smoke_steps: steps under autograde or GAN_LAB_SMOKE=1.
        on_gpu: whether training runs on a GPU (default: ask gan_lab.device).
    """
    for name, value in (("full_epochs", full_epochs), ("cpu_epochs", cpu_epochs), ("smoke_steps", smoke_steps)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if smoke_mode():
        return Budget(1, smoke_steps, "smoke run: autograde or GAN_LAB_SMOKE=1")
    if on_gpu is None:
        from gan_lab.device import get_device

        on_gpu = get_device("auto").type == "cuda"
    if on_gpu:
        return Budget(full_epochs, None, "full run on the GPU")
    return Budget(min(cpu_epochs, full_epochs), None, "CPU: a shorter run than the handout's")
