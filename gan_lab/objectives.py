"""Objectives: which losses a GAN trains with, split into the terms the course plots.

The training loop does not care whether D ends in a Sigmoid (the MLP lab, the DCGAN notes) or
returns logits (CS231n), nor whether the losses are BCE or least squares; an ``Objective``
answers those questions once. D's loss is always a real term plus a fake term, which is how
the DCGAN notes plot it (D real, D fake, D total, G).
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import torch

from gan_lab import losses

Tensor = torch.Tensor


@dataclasses.dataclass(frozen=True)
class Objective:
    """D's loss as a real term and a fake term, G's loss, and how to read D's output."""

    name: str
    real_term: Callable[[Tensor], Tensor]  # D's loss on real samples (target: real)
    fake_term: Callable[[Tensor], Tensor]  # D's loss on generated samples (target: fake)
    generator_loss: Callable[[Tensor], Tensor]  # G's loss on D's output for its samples
    to_probability: Callable[[Tensor], Tensor]  # D's output -> estimated P(real), for logging


def _identity(x: Tensor) -> Tensor:
    return x


# D ends in a Sigmoid: the MLP lab, the DCGAN notes, the 1-D toy. G's loss labels fakes real.
BCE = Objective("bce", losses.bce_real_loss, losses.bce_fake_loss, losses.bce_real_loss, _identity)
# D returns logits: CS231n's vanilla GAN and small DCGAN.
BCE_WITH_LOGITS = Objective("bce_with_logits", losses.logit_real_loss, losses.logit_fake_loss,
                            losses.logit_real_loss, torch.sigmoid)
# LSGAN: D returns unbounded scores, 1 meaning real; the score itself is logged as "D(x)".
LEAST_SQUARES = Objective("least_squares", losses.ls_real_loss, losses.ls_fake_loss,
                          losses.ls_real_loss, _identity)

OBJECTIVES = {objective.name: objective for objective in (BCE, BCE_WITH_LOGITS, LEAST_SQUARES)}
