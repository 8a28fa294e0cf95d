"""One line after a lab's training cell that says how good the samples are, and what to try.

    report_image_quality(G, lambda n: torch.randn(n, 100, device=device))
    -> Sample quality: coverage 9/10 digits, Fréchet 41.2 (real-vs-real floor 8.9)

    report_toy_quality(samples)
    -> Sample quality: W1 1.6x floor, KS 1.8x floor (mean 4.02, std 1.23)

Each line starts with exactly ``Sample quality:`` (``benchmarks/bench_labs.py`` reads it). The
measures are ``gan_lab.metrics``': image samples against held-out real digits through the
shipped classifier, toy samples against N(4, 1.25^2). When the result is poor, one more
sentence says so and what to try.

Under autograde nothing is measured: a graded run trains a few steps, so its score would only
tell a student with a correct solution that their GAN collapsed, in the feedback, and scoring
2,000 DCGAN samples costs about 10 CPU-seconds per submission.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import torch

from gan_lab.limits import under_autograde

PREFIX = "Sample quality:"  # in English; each line starts with it in the course's language


def _prefix() -> str:
    from gan_lab.i18n import _

    return _("Sample quality:")


def not_measured() -> str:
    from gan_lab.i18n import _

    return _prefix() + " " + _("not measured in a graded run (a few training steps say nothing "
                               "about your GAN); your own run of the notebook measures it")


# Below these the samples count as poor: fewer than 8 digits is a (partial) mode collapse,
# and a Fréchet distance over 15x the floor means shapes far from real digits.
MIN_COVERAGE = 8
MAX_FRECHET_RATIO = 15.0
MAX_TOY_RATIO = 3.0


def image_quality_line(results: dict) -> str:
    """The ``Sample quality:`` line, plus advice when poor, for ``evaluate_images`` results."""
    from gan_lab.i18n import _

    coverage = int(results["class_coverage"]["value"])
    frechet = results["frechet_distance"]["value"]
    floor = results["frechet_distance"]["floor"]
    line = _prefix() + " " + _("coverage {coverage}/10 digits, Fréchet {frechet} (real-vs-real floor {floor})").format(
        coverage=coverage, frechet=f"{frechet:.1f}", floor=f"{floor:.1f}")
    if coverage < MIN_COVERAGE:
        line += "\n" + _("Only {coverage} of 10 digits appear: G has collapsed onto a few modes. Train "
                         "longer, or restart with another seed; if it persists, check that D is not "
                         "winning outright (D(G(z)) near 0 in the loss plot).").format(coverage=coverage)
    elif frechet > MAX_FRECHET_RATIO * floor:
        line += "\n" + _("The samples are still far from real digits ({ratio}x the floor): train "
                         "longer, or look at the loss curves for a D that wins outright.").format(
                             ratio=f"{frechet / floor:.0f}")
    return line


TOY_STD = 1.25  # the target N(4, 1.25^2)'s spread


def toy_quality_line(results: dict, mean: float, std: float) -> str:
    """The ``Sample quality:`` line, plus advice when poor, for ``evaluate_toy`` results of
    samples with this ``mean`` and ``std``."""
    from gan_lab.i18n import _

    w1 = results["wasserstein1"]["value"] / results["wasserstein1"]["floor"]
    ks = results["ks_statistic"]["value"] / results["ks_statistic"]["floor"]
    line = _prefix() + " " + _("W1 {w1}x floor, KS {ks}x floor (mean {mean}, std {std})").format(
        w1=f"{w1:.1f}", ks=f"{ks:.1f}", mean=f"{mean:.2f}", std=f"{std:.2f}")
    if std < 0.25 * TOY_STD:
        line += "\n" + _("G has collapsed to (nearly) one value: D wins too easily. Try another seed, "
                         "a lower learning rate for D, or more training.")
    elif max(w1, ks) > MAX_TOY_RATIO:
        line += "\n" + _("The mean and spread may be close, but the shape is not the target's bell: "
                         "compare the histogram with the target's curve, and try more steps or another seed.")
    return line


def _held_out_digits(data_root: str | Path, image_size: int) -> torch.Tensor:
    from gan_lab.data import mnist_tensors

    real, _ = mnist_tensors(data_root, train=False, image_size=image_size)
    return real


def report_image_quality(generator: torch.nn.Module, noise: Callable[[int], torch.Tensor], *,
                         data_root: str | Path = "data", n: int = 2000, image_size: int = 28,
                         batch_size: int = 500, show: Callable[[str], None] = print) -> dict:
    """Score ``n`` samples of ``generator`` against the held-out real digits and say it.

    Args:
        noise: ``noise(k)`` gives the generator's input for k samples, on its device.
        image_size: 28, or 32 for the DCGAN notes' generator.
    Returns:
        ``evaluate_images``' results ({} under autograde, which measures nothing).
    """
    from gan_lab.metrics.image import evaluate_images

    if not isinstance(n, int) or n < 1000:
        raise ValueError(f"n: expected at least 1,000 samples for a stable score, found {n!r}")
    if under_autograde():
        show(not_measured())
        return {}
    was_training = generator.training
    generator.eval()
    samples = []
    try:
        with torch.no_grad():
            for start in range(0, n, batch_size):
                out = generator(noise(min(batch_size, n - start)))
                samples.append(out.float().reshape(-1, 1, image_size, image_size).cpu())
    finally:
        generator.train(was_training)
    results = evaluate_images(torch.cat(samples), _held_out_digits(data_root, image_size))
    show(image_quality_line(results))
    return results


def report_toy_quality(samples, *, show: Callable[[str], None] = print,
                       seed: Optional[int] = 0) -> dict:
    """Score the 1-D toy's samples (at least 1,000) against N(4, 1.25^2) and say it
    (nothing is scored under autograde: the results are then {})."""
    from gan_lab.metrics.toy import evaluate_toy

    import numpy as np

    if torch.is_tensor(samples):
        samples = samples.detach().float().flatten().cpu().numpy()
    samples = np.asarray(samples, dtype=np.float64).ravel()
    if len(samples) < 1000:
        raise ValueError(f"samples: expected at least 1,000 for a stable score, found {len(samples)}")
    if under_autograde():
        show(not_measured())
        return {}
    results = evaluate_toy(samples, seed=seed)
    show(toy_quality_line(results, float(samples.mean()), float(samples.std(ddof=1))))
    return results
