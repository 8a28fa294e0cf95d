"""Matplotlib figures for the labs: image grids, loss curves, 1-D densities, per-epoch strips.

Every plotting function returns its ``Figure``: a notebook shows it as the cell's value and a
test can inspect it. Nothing here calls ``plt.show()`` or picks a backend; that is the
caller's business (notebooks use the inline backend, tests use Agg).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Optional, Sequence

import numpy as np
import torch

from gan_lab.imaging import ValueRange, to_image_batch

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LOSS_PANELS = (
    ("d_loss_real", "D loss on real images"),
    ("d_loss_fake", "D loss on fake images"),
    ("d_loss", "D total loss"),
    ("g_loss", "G loss"),
)


def _new_axes(ax: Optional[Axes], figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """Draw into ``ax`` when given (a panel of the caller's figure), else a fresh figure."""
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)


def _imshow_grid(ax: Axes, grid: torch.Tensor) -> None:
    """Show a (C, H, W) grid in [0, 1], C being 1 or 3, without axis ticks."""
    if grid.dim() != 3 or grid.shape[0] not in (1, 3):
        raise ValueError(
            f"expected a (C, H, W) grid with C = 1 or 3, found shape {tuple(grid.shape)}"
        )
    grid = grid.detach().to(device="cpu", dtype=torch.float32)
    low, high = grid.min().item(), grid.max().item()
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"expected grid values in [0, 1], found [{low:.3g}, {high:.3g}]; "
            "map images with gan_lab.imaging.to_image_batch before making the grid"
        )
    if grid.shape[0] == 1:
        ax.imshow(grid[0].numpy(), cmap="gray", vmin=0.0, vmax=1.0)
    else:
        ax.imshow(grid.permute(1, 2, 0).numpy())  # (C, H, W) -> (H, W, C), as imshow wants
    ax.set_axis_off()


def show_images(
    images: torch.Tensor,
    *,
    nrow: int = 8,
    value_range: ValueRange = (-1.0, 1.0),
    title: Optional[str] = None,
    ax: Optional[Axes] = None,
) -> Figure:
    """Show a batch as one grid.

    Args:
        images: (B, C, H, W), or (B, H*W) flat vectors of square single-channel images.
        nrow: images per row.
        value_range: the range the images should be in, mapped to black..white as is (a
            generator stuck in the wrong range shows up washed out, not silently fixed).
        title: optional axes title.
        ax: axes to draw into; a new figure when omitted.
    """
    from torchvision.utils import make_grid

    grid = make_grid(to_image_batch(images, value_range), nrow=nrow)  # (3, H_grid, W_grid)
    # About 40 grid pixels per inch: an 8 x 8 grid of MNIST digits comes out ~6 inches wide.
    height, width = grid.shape[1] / 40, grid.shape[2] / 40
    fig, ax = _new_axes(ax, figsize=(max(width, 2.0), max(height, 2.0)))
    _imshow_grid(ax, grid)
    if title is not None:
        ax.set_title(title)
    return fig


def _short_run_marker(values) -> Optional[str]:
    """A dot per step for a run of a few steps (a graded or smoke run): a line through one
    point draws nothing."""
    return "o" if len(values) < 20 else None


def plot_losses(history: Mapping[str, Sequence[float]]) -> Figure:
    """The four training curves on a 2 x 2 grid: D on real, D on fake, D total, G.

    Args:
        history: per-step values under ``d_loss_real``, ``d_loss_fake``, ``d_loss`` and
            ``g_loss`` (a ``gan_lab.training.History`` qualifies); other keys are ignored.
    """
    missing = [key for key, _ in LOSS_PANELS if key not in history]
    if missing:
        raise ValueError(
            f"history is missing {missing}; expected all of {[key for key, _ in LOSS_PANELS]}, "
            f"found {sorted(history)}"
        )
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
    for ax, (key, title) in zip(axes.flat, LOSS_PANELS):
        # float() also accepts 0-d tensors, for histories that kept them.
        values = [float(value) for value in history[key]]
        ax.plot(values, linewidth=0.8, marker=_short_run_marker(values))
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
    fig.tight_layout()
    return fig


def plot_d_and_g_losses(history: Mapping[str, Sequence[float]], *, window: Optional[int] = None) -> Figure:
    """D's and G's loss per step side by side, each with its moving average.

    For loops that record only ``d_loss`` and ``g_loss`` (the MLP lab, CS231n's ``run_a_gan``).
    A long run's per-step losses are a noisy band; the moving average over ``window`` steps
    (default: a 50th of the run) shows the trend.
    """
    missing = [key for key in ("d_loss", "g_loss") if key not in history]
    if missing:
        raise ValueError(f"history is missing {missing}; expected 'd_loss' and 'g_loss', found {sorted(history)}")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), sharex=True)
    for ax, key, title in zip(axes, ("d_loss", "g_loss"), ("D loss", "G loss")):
        values = np.array([float(value) for value in history[key]], dtype=float)
        marker = _short_run_marker(values)
        ax.plot(values, linewidth=0.5, alpha=1.0 if marker else 0.4, marker=marker, label="per step")
        size = window or max(1, len(values) // 50)
        if 1 < size <= len(values):
            smooth = np.convolve(values, np.ones(size) / size, mode="valid")
            ax.plot(np.arange(size - 1, len(values)), smooth, linewidth=1.5, label=f"mean of {size} steps")
            ax.legend()
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
    fig.tight_layout()
    return fig


def normal_pdf(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    """The N(mean, std^2) density at ``x``."""
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2.0 * math.pi))


def plot_density(
    samples: torch.Tensor | np.ndarray,
    *,
    mean: float = 4.0,
    std: float = 1.25,
    bins: int = 50,
    ax: Optional[Axes] = None,
) -> Figure:
    """Histogram of 1-D generated samples over the target N(mean, std^2) density.

    Args:
        samples: (N,) or (N, 1) values, e.g. a 1-D generator's output.
        mean, std: the target normal distribution.
        bins: histogram bins.
        ax: axes to draw into; a new figure when omitted.
    """
    if std <= 0:
        raise ValueError(f"std must be positive, found {std}")
    if isinstance(samples, torch.Tensor):
        samples = samples.detach().cpu().numpy()
    values = np.asarray(samples, dtype=np.float64)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]  # (N, 1) -> (N,)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            f"expected a non-empty (N,) or (N, 1) array of samples, found shape {values.shape}"
        )

    fig, ax = _new_axes(ax, figsize=(7, 4))
    sample_mean, sample_std = values.mean(), values.std()
    ax.hist(values, bins=bins, density=True, alpha=0.5,
            label=f"generated: mean {sample_mean:.2f}, std {sample_std:.2f}")
    # Reach 5 std either side so the curve carries (almost) all of the target's mass.
    lo = min(values.min(), mean - 5.0 * std)
    hi = max(values.max(), mean + 5.0 * std)
    x = np.linspace(lo, hi, 500)
    ax.plot(x, normal_pdf(x, mean, std), color="black",
            label=f"target: mean {mean:.2f}, std {std:.2f}")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.legend()
    return fig


def plot_epoch_strip(
    grids: Sequence[torch.Tensor], *, epochs: Optional[Sequence[int]] = None
) -> Figure:
    """Per-epoch image grids side by side, to watch the samples improve.

    Args:
        grids: one (C, H, W) grid in [0, 1] per epoch, such as ``make_grid`` output.
        epochs: the epoch number to title each grid with; 1, 2, ... when omitted.
    """
    if len(grids) == 0:
        raise ValueError("expected at least one grid, found none")
    epochs = list(range(1, len(grids) + 1)) if epochs is None else list(epochs)
    if len(epochs) != len(grids):
        raise ValueError(f"expected one epoch per grid ({len(grids)}), found {len(epochs)}")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(grids), figsize=(3 * len(grids), 3.3), squeeze=False)
    for ax, grid, epoch in zip(axes[0], grids, epochs):
        _imshow_grid(ax, grid)
        ax.set_title(f"epoch {epoch}")
    fig.tight_layout()
    return fig


def save_image_grid(
    images: torch.Tensor,
    path: str | Path,
    *,
    nrow: int = 8,
    value_range: ValueRange = (-1.0, 1.0),
) -> Path:
    """Write a batch as one PNG grid, mapped from its known ``value_range``; returns the path."""
    from torchvision.utils import save_image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(to_image_batch(images, value_range), path, nrow=nrow)
    return path
