"""Objectives: which losses a GAN trains with, split into the terms the course plots.

The training loop does not care whether D ends in a Sigmoid (the MLP lab, the DCGAN notes) or
returns logits (CS231n), nor whether the losses are BCE or least squares; an ``Objective``
answers those questions once.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


@dataclasses.dataclass(frozen=True)
class Objective:
    """D's loss as a real term and a fake term, G's loss, and how to read D's output."""

    name: str
    real_term: Callable[[Tensor], Tensor]  # D's loss on real samples (target: real)
    fake_term: Callable[[Tensor], Tensor]  # D's loss on generated samples (target: fake)
    generator_loss: Callable[[Tensor], Tensor]  # G's loss on D's output for its samples
    to_probability: Callable[[Tensor], Tensor]  # D's output -> estimated P(real), for logging


def _bce_real(probs: Tensor) -> Tensor:
    return F.binary_cross_entropy(probs, torch.ones_like(probs))


def _bce_fake(probs: Tensor) -> Tensor:
    return F.binary_cross_entropy(probs, torch.zeros_like(probs))


def _logit_real(logits: Tensor) -> Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))


def _logit_fake(logits: Tensor) -> Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))


def _ls_real(scores: Tensor) -> Tensor:
    return 0.5 * (scores - 1).pow(2).mean()


def _ls_fake(scores: Tensor) -> Tensor:
    return 0.5 * scores.pow(2).mean()


# D ends in a Sigmoid: the MLP lab, the DCGAN notes, the 1-D toy.
BCE = Objective("bce", _bce_real, _bce_fake, _bce_real, lambda probs: probs)
# D returns logits: CS231n's vanilla GAN and small DCGAN.
BCE_WITH_LOGITS = Objective("bce_with_logits", _logit_real, _logit_fake, _logit_real, torch.sigmoid)
# LSGAN: D returns unbounded scores; 1 means real. Its "probability" is the score itself.
LEAST_SQUARES = Objective("least_squares", _ls_real, _ls_fake, _ls_real, lambda scores: scores)

OBJECTIVES = {o.name: o for o in (BCE, BCE_WITH_LOGITS, LEAST_SQUARES)}
