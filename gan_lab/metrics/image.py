"""Sample quality of generated digits, each number beside what real digits alone would score.

All measures read generated images through the small MNIST classifier (``classifier.py``):

- ``frechet_distance``: FID's formula on the classifier's 128-wide penultimate features,
  ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)). Lower is better; it sees both
  quality (features off the real manifold) and diversity (a collapsed covariance).
- ``classifier_score``: the Inception Score with the MNIST classifier,
  exp(E_x KL(p(y|x) || p(y))), between 1 and 10. Higher is better: confident *and* varied.
- ``class_coverage``: how many digits hold at least ``min_share`` of the predicted labels.
  Mode collapse shows up here first.
- ``kl_to_uniform``: KL(predicted label histogram || uniform); 0 for balanced labels.

A finite sample never scores perfectly: two sets of *real* digits already sit a Fréchet
distance apart. ``evaluate_images`` therefore splits the reference digits into two halves A
and B, scores the generated images against B, and reports the same numbers for A against B as
the *floor*: what sampling noise alone produces at that sample size. A generator is as good
as this measure can tell when its values sit at the floor. The floor matches exactly when the
generated set is as large as half the reference set (pass twice as many reference images).
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

NUM_CLASSES = 10


# --------------------------------------------------------------------------- input checks
def _as_array(values, name: str, *, ndim: int) -> np.ndarray:
    """``values`` (numpy or torch) as float64, checked for shape, emptiness and NaN."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1 and ndim == 2:
        array = array[:, None]  # (N,) -> (N, 1): one feature per sample
    if array.ndim != ndim:
        expected = "(N, D)" if ndim == 2 else f"{ndim} dimensions"
        raise ValueError(f"{name}: expected an array of shape {expected}, found shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one sample, found an empty array of shape {array.shape}")
    bad = int((~np.isfinite(array)).sum())
    if bad:
        raise ValueError(f"{name}: expected finite values, found {bad} NaN or infinite entries")
    return array


def _check_probs(probs, name: str = "probs") -> np.ndarray:
    probs = _as_array(probs, name, ndim=2)
    if probs.min() < 0 or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError(f"{name}: expected rows of class probabilities (non-negative, summing to 1), "
                         f"found row sums from {probs.sum(axis=1).min():.4g} to {probs.sum(axis=1).max():.4g} "
                         f"and a minimum entry of {probs.min():.4g}")
    return probs


def as_mnist_images(images, name: str = "images") -> torch.Tensor:
    """Generator output as (N, 1, 28, 28) float32 CPU images in [-1, 1].

    Accepts (N, 784) flat vectors (the MLP GANs), (N, 1, 28, 28), and (N, 1, 32, 32) DCGAN
    images, which are resized to 28 x 28 (bilinear, antialiased: the inverse of how the DCGAN
    lab enlarged MNIST) because the classifier was trained on 28 x 28 digits.
    """
    if not isinstance(images, torch.Tensor):
        images = torch.as_tensor(np.asarray(images))
    images = images.detach().to(device="cpu", dtype=torch.float32)
    shape = tuple(images.shape)
    accepted = "(N, 784), (N, 1, 28, 28) or (N, 1, 32, 32)"
    if images.dim() == 2 and shape[1] == 784:
        images = images.reshape(-1, 1, 28, 28)  # (N, 784) -> (N, 1, 28, 28)
    elif not (images.dim() == 4 and shape[1] == 1 and shape[2:] in ((28, 28), (32, 32))):
        raise ValueError(f"{name}: expected images of shape {accepted}, found shape {shape}")
    if shape[0] == 0:
        raise ValueError(f"{name}: expected at least one image, found an empty batch of shape {shape}")
    bad = int((~torch.isfinite(images)).sum())
    if bad:
        raise ValueError(f"{name}: expected finite pixel values, found {bad} NaN or infinite pixels")
    low, high = float(images.min()), float(images.max())
    if low < -1.001 or high > 1.001:
        raise ValueError(f"{name}: expected pixels in [-1, 1] (the Tanh range), found values from "
                         f"{low:.4g} to {high:.4g}")
    if images.shape[-1] == 32:
        images = F.interpolate(images, size=(28, 28), mode="bilinear", align_corners=False,
                               antialias=True).clamp_(-1.0, 1.0)
    return images


# --------------------------------------------------------------------------- measures
def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a positive semi-definite matrix; round-off negatives -> 0."""
    eigenvalues, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ vectors.T


def frechet_distance(features_a, features_b) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets, (N, D) and (M, D).

    Tr((S_a S_b)^(1/2)) is computed as Tr((S_a^(1/2) S_b S_a^(1/2))^(1/2)): the same
    eigenvalues, but of a symmetric matrix, so no complex round-off appears (scipy's
    ``sqrtm(S_a @ S_b)`` returns tiny imaginary parts that must be dropped by hand).
    """
    a = _as_array(features_a, "features_a", ndim=2)
    b = _as_array(features_b, "features_b", ndim=2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"features_a and features_b: expected the same feature size, "
                         f"found {a.shape[1]} and {b.shape[1]}")
    for name, x in (("features_a", a), ("features_b", b)):
        if len(x) < 2:
            raise ValueError(f"{name}: expected at least 2 samples to estimate a covariance, found {len(x)}")
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root_a = _sqrt_psd(cov_a)
    middle = root_a @ cov_b @ root_a
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)).sum()
    distance = float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)
    return max(distance, 0.0)  # identical sets give ~-1e-12 from round-off


def classifier_score(probs) -> float:
    """exp(E_x KL(p(y|x) || p(y))) for (N, K) class probabilities: 1 (useless) to K (ideal)."""
    probs = _check_probs(probs)
    marginal = probs.mean(axis=0, keepdims=True)  # p(y), (1, K)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(probs > 0, probs * (np.log(probs) - np.log(marginal)), 0.0)
    return float(math.exp(terms.sum(axis=1).mean()))


def label_histogram(probs) -> np.ndarray:
    """Share of samples whose most likely class is each digit, (K,)."""
    probs = _check_probs(probs)
    counts = np.bincount(probs.argmax(axis=1), minlength=probs.shape[1])
    return counts / counts.sum()


def class_coverage(probs, min_share: float = 0.01) -> int:
    """How many classes hold at least ``min_share`` of the predicted labels."""
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share: expected a share in (0, 1], found {min_share!r}")
    return int((label_histogram(probs) >= min_share).sum())


def kl_to_uniform(probs) -> float:
    """KL(predicted label histogram || uniform) in nats: 0 when balanced, log K for one class."""
    share = label_histogram(probs)
    used = share[share > 0]
    return float((used * np.log(used * len(share))).sum())


# --------------------------------------------------------------------------- evaluation
def classify(images, classifier=None, *, batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate features (N, D) and class probabilities (N, 10) for generator output."""
    from gan_lab.metrics.classifier import load_classifier

    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size: expected a positive integer, found {batch_size!r}")
    images = as_mnist_images(images)
    classifier = classifier if classifier is not None else load_classifier()
    device = next(classifier.parameters()).device
    features, probs = [], []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            batch = images[start:start + batch_size].to(device)
            if hasattr(classifier, "features_and_logits"):
                batch_features, logits = classifier.features_and_logits(batch)
            else:  # any model with features() and forward() will do
                batch_features, logits = classifier.features(batch), classifier(batch)
            features.append(batch_features.double().cpu())
            probs.append(torch.softmax(logits.double(), dim=1).cpu())
    return torch.cat(features).numpy(), torch.cat(probs).numpy()


def _scores(features, probs, reference_features) -> dict:
    return {
        "frechet_distance": frechet_distance(features, reference_features),
        "classifier_score": classifier_score(probs),
        "class_coverage": class_coverage(probs),
        "kl_to_uniform": kl_to_uniform(probs),
    }


LOWER_IS_BETTER = {"frechet_distance": True, "classifier_score": False, "class_coverage": False,
                   "kl_to_uniform": True}


def evaluate_images(images, reference_images, *, classifier=None, batch_size: int = 500,
                    seed: int = 0) -> dict:
    """All image measures for ``images``, each beside its real-vs-real floor.

    The reference digits are shuffled (``seed``) and halved into A and B. Values compare
    ``images`` with B; floors compare A with B, i.e. they are what two samples of real digits
    score from sampling noise alone. Per-set measures (classifier score, coverage, KL) are
    reported for ``images`` and, as the floor, for A.

    Args:
        images: generated images, (N, 784), (N, 1, 28, 28) or (N, 1, 32, 32) in [-1, 1].
            32 x 32 DCGAN images are resized to 28 x 28 for the classifier.
        reference_images: real digits at the same size as ``images``, at least 4 (ideally
            2N); 32 x 32 ones go through the same resize, so the softening it causes cancels.
        classifier: an ``MnistClassifier`` (default: the shipped one).

    Returns:
        ``{metric: {"value": float, "floor": float, "lower_is_better": bool}}`` for
        frechet_distance, classifier_score, class_coverage and kl_to_uniform.
    """
    # (N, 1, H, W) -> (H, W); flat (N, 784) vectors are 28 x 28. Bad shapes fail in classify().
    sizes = {name: tuple(np.shape(x)[-2:]) if len(np.shape(x)) == 4 else (28, 28)
             for name, x in (("images", images), ("reference_images", reference_images))}
    if sizes["images"] != sizes["reference_images"]:
        # Resizing softens digits; only sets resized the same way can be compared fairly.
        raise ValueError(
            f"images and reference_images: expected the same image size, found {sizes['images']} and "
            f"{sizes['reference_images']}; for 32 x 32 DCGAN samples pass real digits prepared at 32 x 32 "
            "(gan_lab.mnist_tensors(image_size=32)) so both sets go through the same resize")
    features, probs = classify(images, classifier, batch_size=batch_size)
    ref_features, ref_probs = classify(reference_images, classifier, batch_size=batch_size)
    if len(ref_features) < 4:
        raise ValueError(f"reference_images: expected at least 4 images (two halves of 2 or more), "
                         f"found {len(ref_features)}")
    order = np.random.default_rng(seed).permutation(len(ref_features))
    half_a, half_b = order[:len(order) // 2], order[len(order) // 2:]
    values = _scores(features, probs, ref_features[half_b])
    floors = _scores(ref_features[half_a], ref_probs[half_a], ref_features[half_b])
    return {name: {"value": values[name], "floor": floors[name], "lower_is_better": LOWER_IS_BETTER[name]}
            for name in values}
