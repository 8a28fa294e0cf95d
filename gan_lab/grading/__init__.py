"""Checks that the hidden tests call, one module per lab; instructor-only.

A hidden test is one line, e.g. ``mlp_gan.check_generator(Generator)`` after
``from gan_lab.grading import mlp_gan``. See ``core`` for what every check guarantees, and
``seal`` for how a kernel proves its checks were not replaced. Nothing is imported here until
used, so ``nbgrader_config.py`` can read ``seal`` without loading torch.
"""
from __future__ import annotations

__all__ = ["GradingFailure"]


def __getattr__(name: str):
    if name == "GradingFailure":
        from gan_lab.grading.core import GradingFailure

        return GradingFailure
    raise AttributeError(f"module 'gan_lab.grading' has no attribute {name!r}")
