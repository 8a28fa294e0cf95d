"""GAN losses: BCE on probabilities, BCE on logits, and least squares (LSGAN).

Which pair to use follows from the discriminator's last layer:

- D ends in a Sigmoid (the MLP lab, the DCGAN notes, the 1-D toy): ``bce_discriminator_loss``
  and ``bce_generator_loss``.
- D returns logits (CS231n): ``discriminator_loss`` and ``generator_loss``. Folding the
  Sigmoid into the loss avoids log(0) when D is confident.
- LSGAN (CS231n): ``ls_discriminator_loss`` and ``ls_generator_loss`` on raw scores.

Every discriminator loss is a sum of two means, one over real and one over fake samples, so
the two batches may differ in size and each counts equally. The generator losses are the
non-saturating kind: G maximises log D(G(z)) rather than minimising log(1 - D(G(z))), whose
gradient vanishes early in training when D rejects every sample.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def _check_scores(name: str, scores: Tensor) -> None:
    """Fail loudly on what would otherwise surface as a cryptic dtype error or a NaN loss."""
    if not torch.is_tensor(scores):
        raise TypeError(f"{name}: expected a float tensor, got {type(scores).__name__}")
    if not scores.is_floating_point():
        raise TypeError(f"{name}: expected a float tensor, got dtype {scores.dtype}")
    if scores.numel() == 0:
        raise ValueError(f"{name}: expected at least one score, got an empty tensor")


def bce_real_loss(probs: Tensor, name: str = "probs") -> Tensor:
    """-mean(log p): BCE against the label "real" (D on real samples, and G's loss on fakes)."""
    _check_scores(name, probs)
    return F.binary_cross_entropy(probs, torch.ones_like(probs))


def bce_fake_loss(probs: Tensor, name: str = "probs") -> Tensor:
    """-mean(log(1 - p)): BCE against the label "fake" (D on generated samples)."""
    _check_scores(name, probs)
    return F.binary_cross_entropy(probs, torch.zeros_like(probs))


def logit_real_loss(logits: Tensor, name: str = "logits") -> Tensor:
    """-mean(log s(logits)), s the sigmoid, computed stably from logits."""
    _check_scores(name, logits)
    logits = logits.reshape(-1)  # (N, 1) -> (N,)
    return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))


def logit_fake_loss(logits: Tensor, name: str = "logits") -> Tensor:
    """-mean(log(1 - s(logits))), computed stably from logits."""
    _check_scores(name, logits)
    logits = logits.reshape(-1)  # (N, 1) -> (N,)
    return F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))


def ls_real_loss(scores: Tensor, name: str = "scores") -> Tensor:
    """0.5 * mean((scores - 1)^2): least squares pulling scores to 1 ("real")."""
    _check_scores(name, scores)
    return 0.5 * (scores - 1).pow(2).mean()


def ls_fake_loss(scores: Tensor, name: str = "scores") -> Tensor:
    """0.5 * mean(scores^2): least squares pulling scores to 0 ("fake")."""
    _check_scores(name, scores)
    return 0.5 * scores.pow(2).mean()


def bce_discriminator_loss(real_probs: Tensor, fake_probs: Tensor) -> Tensor:
    """D's BCE loss on probabilities: the handout's ``loss_D = real_loss + fake_loss``.

    loss_D = -mean(log D(x)) - mean(log(1 - D(G(z))))

    Args:
        real_probs: D's probabilities that real samples are real, any shape, in [0, 1].
        fake_probs: D's probabilities that generated samples are real, any shape, in [0, 1].
    Returns:
        A scalar tensor.
    """
    return bce_real_loss(real_probs, "real_probs") + bce_fake_loss(fake_probs, "fake_probs")


def bce_generator_loss(fake_probs: Tensor) -> Tensor:
    """G's non-saturating BCE loss on probabilities: generated samples labelled real.

    loss_G = -mean(log D(G(z)))
    """
    return bce_real_loss(fake_probs, "fake_probs")


def discriminator_loss(logits_real: Tensor, logits_fake: Tensor) -> Tensor:
    """D's BCE loss on logits (CS231n), with s the sigmoid:

    loss_D = -mean(log s(logits_real)) - mean(log(1 - s(logits_fake)))

    Args:
        logits_real: (N,) or (N, 1) scores for real samples.
        logits_fake: (M,) or (M, 1) scores for generated samples; M may differ from N.
    Returns:
        A scalar tensor.
    """
    return logit_real_loss(logits_real, "logits_real") + logit_fake_loss(logits_fake, "logits_fake")


def generator_loss(logits_fake: Tensor) -> Tensor:
    """G's non-saturating BCE loss on logits (CS231n): loss_G = -mean(log s(logits_fake))."""
    return logit_real_loss(logits_fake, "logits_fake")


def ls_discriminator_loss(scores_real: Tensor, scores_fake: Tensor) -> Tensor:
    """D's least-squares loss (LSGAN): pull real scores to 1 and fake scores to 0.

    loss_D = 0.5 * mean((scores_real - 1)^2) + 0.5 * mean(scores_fake^2)
    """
    return ls_real_loss(scores_real, "scores_real") + ls_fake_loss(scores_fake, "scores_fake")


def ls_generator_loss(scores_fake: Tensor) -> Tensor:
    """G's least-squares loss (LSGAN): loss_G = 0.5 * mean((scores_fake - 1)^2)."""
    return ls_real_loss(scores_fake, "scores_fake")
