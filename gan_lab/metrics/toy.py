"""How close the 1-D toy generator's samples are to its target N(4, 1.25^2).

Each statistic is reported beside its *floor*: the same statistic for a sample of the same
size drawn from the target itself. Even a perfect generator scores its floor, not zero, so
"W1 = 0.05" means little alone and a great deal beside "floor 0.04".
"""
from __future__ import annotations

import numpy as np
import torch

FLOOR_DRAWS = 10  # floors average this many target draws, so one lucky draw cannot set them


def _as_samples(values, name: str) -> np.ndarray:
    """1-D samples, (N,) or (N, 1), numpy or torch, as a checked float64 (N,) array."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]  # (N, 1) -> (N,)
    if array.ndim != 1:
        raise ValueError(f"{name}: expected 1-D samples of shape (N,) or (N, 1), found shape {array.shape}")
    if len(array) == 0:
        raise ValueError(f"{name}: expected at least one sample, found an empty array")
    bad = int((~np.isfinite(array)).sum())
    if bad:
        raise ValueError(f"{name}: expected finite values, found {bad} NaN or infinite entries")
    return array


def _empirical_cdfs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both empirical CDFs evaluated at every sample point (sorted), and those points."""
    a, b = np.sort(a), np.sort(b)
    points = np.sort(np.concatenate([a, b]))
    cdf_a = np.searchsorted(a, points, side="right") / len(a)
    cdf_b = np.searchsorted(b, points, side="right") / len(b)
    return points, cdf_a, cdf_b


def wasserstein1(a, b) -> float:
    """Earth mover's distance between two 1-D samples: the area between their CDFs.

    For equal sizes this is the mean gap between the sorted samples, mean |a_(i) - b_(i)|.
    """
    points, cdf_a, cdf_b = _empirical_cdfs(_as_samples(a, "a"), _as_samples(b, "b"))
    # Both CDFs are constant between consecutive points, so the integral is a sum of rectangles.
    return float((np.abs(cdf_a - cdf_b)[:-1] * np.diff(points)).sum())


def ks_statistic(a, b) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs."""
    _, cdf_a, cdf_b = _empirical_cdfs(_as_samples(a, "a"), _as_samples(b, "b"))
    return float(np.abs(cdf_a - cdf_b).max())


def _statistics(samples: np.ndarray, reference: np.ndarray, mean: float, std: float) -> dict:
    return {
        "wasserstein1": wasserstein1(samples, reference),
        "ks_statistic": ks_statistic(samples, reference),
        "mean_error": abs(samples.mean() - mean),
        "std_error": abs(samples.std(ddof=1) - std),
    }


def evaluate_toy(samples, *, mean: float = 4.0, std: float = 1.25, seed: int = 0) -> dict:
    """W1, KS, and mean/std errors of ``samples`` against N(mean, std^2), with floors.

    Values compare ``samples`` with one target draw of the same size (W1, KS) or with the
    target's parameters (mean, std errors). Floors are the same statistics for target draws
    of that size in place of ``samples``, averaged over ``FLOOR_DRAWS`` draws (``seed``).

    Returns:
        ``{metric: {"value": float, "floor": float, "lower_is_better": True}}`` for
        wasserstein1, ks_statistic, mean_error and std_error.
    """
    samples = _as_samples(samples, "samples")
    if len(samples) < 2:
        raise ValueError(f"samples: expected at least 2 samples (a standard deviation needs them), found {len(samples)}")
    if not std > 0:
        raise ValueError(f"std: expected a positive standard deviation, found {std!r}")
    rng = np.random.default_rng(seed)
    n = len(samples)
    reference = rng.normal(mean, std, n)
    values = _statistics(samples, reference, mean, std)
    draws = [_statistics(rng.normal(mean, std, n), reference, mean, std) for _ in range(FLOOR_DRAWS)]
    return {name: {"value": float(values[name]),
                   "floor": float(np.mean([draw[name] for draw in draws])),
                   "lower_is_better": True}
            for name in values}
