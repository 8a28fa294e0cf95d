"""Checks that the hidden tests call, one module per lab; instructor-only.

A hidden test is one line, e.g. ``mlp_gan.check_generator(Generator)`` after
``from gan_lab.grading import mlp_gan``. See ``core`` for what every check guarantees.
"""
from gan_lab.grading.core import GradingFailure

__all__ = ["GradingFailure"]
