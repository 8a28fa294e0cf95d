"""Grading limits: what grading one submission may use, read once, with one set of defaults.

Every limit has an environment variable; an instructor sets it where nbgrader or ``gan-lab
autograde`` runs (and the sandbox hands the kernel-side ones on). Unset, the default applies:

    GAN_LAB_CELL_TIMEOUT            60    seconds one notebook cell may run under autograde
    GAN_LAB_SANDBOX_CPU_SECONDS     900   CPU seconds for the whole graded notebook
    GAN_LAB_SANDBOX_MEMORY_MB       6144  address space of the kernel (torch alone maps ~1.5 GiB)
    GAN_LAB_SANDBOX_FILE_MB         256   the largest file the kernel may write
    GAN_LAB_SANDBOX_OUTPUT_KB       256   printed output kept per cell and stream
    GAN_LAB_SMOKE_STEPS             10    training steps of a training cell under autograde

nbgrader sets ``NBGRADER_EXECUTION`` while it runs a submission (``under_autograde``); a whole
class is graded on a CPU, so training cells then stop after the smoke steps.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Mapping

from gan_lab.errors import UsageError

AUTOGRADE_ENV = "NBGRADER_EXECUTION"


class LimitsError(UsageError):
    """A grading limit's environment variable holds something other than a positive integer."""


def _limit(default: int, env: str):
    return dataclasses.field(default=default, metadata={"env": env})


@dataclasses.dataclass(frozen=True)
class GradingLimits:
    """The caps on grading one submission; ``from_env()`` reads them (see the module docstring)."""

    cell_timeout_s: int = _limit(60, "GAN_LAB_CELL_TIMEOUT")
    cpu_seconds: int = _limit(900, "GAN_LAB_SANDBOX_CPU_SECONDS")
    memory_mb: int = _limit(6144, "GAN_LAB_SANDBOX_MEMORY_MB")
    file_mb: int = _limit(256, "GAN_LAB_SANDBOX_FILE_MB")
    output_kb: int = _limit(256, "GAN_LAB_SANDBOX_OUTPUT_KB")
    smoke_steps: int = _limit(10, "GAN_LAB_SMOKE_STEPS")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "GradingLimits":
        values = {}
        for field in dataclasses.fields(cls):
            name = field.metadata["env"]
            if name in env:
                text = env[name].strip()
                if not text.isdigit() or int(text) < 1:
                    raise LimitsError(f"{name} must be a positive whole number, got {env[name]!r}")
                values[field.name] = int(text)
        return cls(**values)

    def as_env(self) -> dict[str, str]:
        """Each limit as its environment variable, for a process that reads them again."""
        return {field.metadata["env"]: str(getattr(self, field.name)) for field in dataclasses.fields(self)}


def under_autograde(env: Mapping[str, str] = os.environ) -> bool:
    """True while nbgrader runs the notebook (autograde or validate)."""
    return bool(env.get(AUTOGRADE_ENV))
