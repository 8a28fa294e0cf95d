"""Tests for gan_lab.losses: hand-computed values, sums of means, gradients, devices, errors."""
from __future__ import annotations

import math

import pytest
import torch

from gan_lab.losses import (
    bce_discriminator_loss,
    bce_generator_loss,
    discriminator_loss,
    generator_loss,
    ls_discriminator_loss,
    ls_generator_loss,
)

LOG2 = math.log(2.0)
LN3 = math.log(3.0)  # sigmoid(ln 3) = 3/4, so BCE terms come out as logs of simple fractions


def _value(loss: torch.Tensor) -> float:
    assert loss.dim() == 0, f"a loss should be a scalar, got shape {tuple(loss.shape)}"
    return loss.item()


# --- BCE on probabilities ----------------------------------------------------------------


def test_bce_discriminator_loss_at_one_half():
    """Is D's BCE loss 2 log 2 when it says 0.5 to everything (log 2 per term)?"""
    half = torch.full((4, 1), 0.5)
    assert _value(bce_discriminator_loss(half, half)) == pytest.approx(2 * LOG2)


def test_bce_discriminator_loss_hand_computed():
    """Is D's BCE loss -log 0.8 - log(1 - 0.2) when it says 0.8 to real and 0.2 to fake?"""
    loss = bce_discriminator_loss(torch.tensor([0.8, 0.8]), torch.tensor([0.2]))
    assert _value(loss) == pytest.approx(-2 * math.log(0.8))


def test_bce_generator_loss_hand_computed():
    """Is G's BCE loss -mean(log D(G(z))): log 2 at 0.5 and log 4 at 0.25?"""
    assert _value(bce_generator_loss(torch.full((3, 1), 0.5))) == pytest.approx(LOG2)
    assert _value(bce_generator_loss(torch.tensor([0.25]))) == pytest.approx(math.log(4.0))


# --- BCE on logits (CS231n) --------------------------------------------------------------


def test_logit_losses_at_zero():
    """Do zero logits give log 2 per term: 2 log 2 for D and log 2 for G?"""
    zeros = torch.zeros(5)
    assert _value(discriminator_loss(zeros, zeros)) == pytest.approx(2 * LOG2)
    assert _value(generator_loss(zeros)) == pytest.approx(LOG2)


def test_logit_losses_hand_computed():
    """At logit ln 3 (D(x) = 3/4), is D's loss log(4/3) + log 4 and G's loss log(4/3)?"""
    logits = torch.tensor([LN3, LN3])
    assert _value(discriminator_loss(logits, logits)) == pytest.approx(math.log(4 / 3) + math.log(4))
    assert _value(generator_loss(logits)) == pytest.approx(math.log(4 / 3))


def test_logit_losses_accept_column_shapes():
    """Do (N, 1) logits give the same losses as (N,) logits?"""
    torch.manual_seed(0)
    real, fake = torch.randn(6), torch.randn(6)
    torch.testing.assert_close(discriminator_loss(real[:, None], fake[:, None]), discriminator_loss(real, fake))
    torch.testing.assert_close(generator_loss(fake[:, None]), generator_loss(fake))


def test_discriminator_loss_is_a_sum_of_two_means():
    """With 1 real and 3 fake logits, is D's loss mean(real) + mean(fake), not a pooled mean?"""
    logits_real = torch.tensor([0.0])  # real term: log 2
    logits_fake = torch.full((3,), LN3)  # fake term: -log(1 - 3/4) = 2 log 2 each
    loss = _value(discriminator_loss(logits_real, logits_fake))
    assert loss == pytest.approx(LOG2 + 2 * LOG2)
    pooled = 2 * (LOG2 + 3 * 2 * LOG2) / 4  # twice the mean over all four terms
    assert loss != pytest.approx(pooled)


# --- least squares (LSGAN) ---------------------------------------------------------------


@pytest.mark.parametrize(
    "real, fake, expected",
    [
        ([1.0, 1.0], [0.0, 0.0], 0.0),  # a perfect D
        ([0.0], [1.0], 1.0),  # 0.5 * 1 + 0.5 * 1
        ([3.0], [2.0], 4.0),  # 0.5 * 4 + 0.5 * 4
        ([1.0], [2.0, 0.0, 0.0, 0.0], 0.5),  # fake mean of squares is 1: sizes may differ
    ],
)
def test_ls_discriminator_loss(real, fake, expected):
    """Is D's LSGAN loss 0.5 * mean((real - 1)^2) + 0.5 * mean(fake^2)?"""
    assert _value(ls_discriminator_loss(torch.tensor(real), torch.tensor(fake))) == pytest.approx(expected)


@pytest.mark.parametrize("fake, expected", [([1.0, 1.0], 0.0), ([0.0, 2.0], 0.5), ([3.0], 2.0)])
def test_ls_generator_loss(fake, expected):
    """Is G's LSGAN loss 0.5 * mean((fake - 1)^2)?"""
    assert _value(ls_generator_loss(torch.tensor(fake))) == pytest.approx(expected)


# --- gradients ---------------------------------------------------------------------------


def test_logit_loss_gradients_match_hand_computation():
    """At zero logits, is dD_loss/dlogit -0.5/N for real and +0.5/M for fake, and dG_loss -0.5/M?"""
    real = torch.zeros(2, requires_grad=True)
    fake = torch.zeros(4, requires_grad=True)
    discriminator_loss(real, fake).backward()
    torch.testing.assert_close(real.grad, torch.full((2,), -0.5 / 2))
    torch.testing.assert_close(fake.grad, torch.full((4,), 0.5 / 4))
    fake.grad = None
    generator_loss(fake).backward()
    torch.testing.assert_close(fake.grad, torch.full((4,), -0.5 / 4))


def test_probability_and_ls_gradients_match_hand_computation():
    """Is dG_BCE/dp = -1/(p M) and dG_LS/ds = (s - 1)/M?"""
    probs = torch.full((4,), 0.5, requires_grad=True)
    bce_generator_loss(probs).backward()
    torch.testing.assert_close(probs.grad, torch.full((4,), -1 / (0.5 * 4)))
    scores = torch.tensor([0.0, 3.0], requires_grad=True)
    ls_generator_loss(scores).backward()
    torch.testing.assert_close(scores.grad, torch.tensor([-0.5, 1.0]))


@pytest.mark.parametrize(
    "loss_fn, arity",
    [
        (bce_discriminator_loss, 2),
        (bce_generator_loss, 1),
        (discriminator_loss, 2),
        (generator_loss, 1),
        (ls_discriminator_loss, 2),
        (ls_generator_loss, 1),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_every_loss_sends_gradients_to_every_input(loss_fn, arity):
    """Does each loss give every input score a finite, nonzero gradient?"""
    scores = [torch.tensor([[0.3], [0.6]], requires_grad=True) for _ in range(arity)]
    loss_fn(*scores).backward()
    for s in scores:
        assert torch.isfinite(s.grad).all() and (s.grad != 0).all()


# --- devices and dtypes ------------------------------------------------------------------


@pytest.mark.parametrize(
    "loss_fn, arity",
    [
        (bce_discriminator_loss, 2),
        (bce_generator_loss, 1),
        (discriminator_loss, 2),
        (generator_loss, 1),
        (ls_discriminator_loss, 2),
        (ls_generator_loss, 1),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_losses_follow_device_and_dtype(loss_fn, arity, device):
    """Do the labels follow the scores' device and dtype, so a float64 loss stays on its device?"""
    scores = [torch.full((3, 1), 0.5, dtype=torch.float64).to(device) for _ in range(arity)]
    loss = loss_fn(*scores)
    assert loss.device.type == device.type
    assert loss.dtype == torch.float64


# --- errors ------------------------------------------------------------------------------

INTS = torch.ones(3, dtype=torch.int64)
FLOATS = torch.full((3,), 0.5)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: bce_discriminator_loss(INTS, FLOATS), "real_probs"),
        (lambda: bce_discriminator_loss(FLOATS, INTS), "fake_probs"),
        (lambda: bce_generator_loss(INTS), "fake_probs"),
        (lambda: discriminator_loss(FLOATS, INTS), "logits_fake"),
        (lambda: generator_loss(INTS), "logits_fake"),
        (lambda: ls_discriminator_loss(INTS, FLOATS), "scores_real"),
        (lambda: ls_generator_loss(INTS), "scores_fake"),
    ],
)
def test_integer_scores_raise_type_error(call, name):
    """Does an integer tensor raise a TypeError naming the argument and its dtype?"""
    with pytest.raises(TypeError, match=f"{name}: expected a float tensor, got dtype torch.int64"):
        call()


def test_non_tensor_scores_raise_type_error():
    """Does a plain list raise a TypeError rather than an AttributeError deep inside torch?"""
    with pytest.raises(TypeError, match="logits_fake: expected a float tensor, got list"):
        generator_loss([0.0, 1.0])


def test_empty_scores_raise_value_error():
    """Does an empty batch raise instead of returning a NaN loss?"""
    with pytest.raises(ValueError, match="scores_fake: expected at least one score"):
        ls_discriminator_loss(FLOATS, torch.empty(0))
