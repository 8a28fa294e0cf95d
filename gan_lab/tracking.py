"""TensorBoard logging for GAN training: loss curves, per-epoch image grids, the model graph.

``Tracker`` wraps ``torch.utils.tensorboard.SummaryWriter`` with the few calls a training loop
needs. A tracker made with ``logdir=None`` or ``enabled=False`` does nothing at all, so a loop
can call it unconditionally and smoke tests leave no files behind.

Typical use::

    z_grid = fixed_noise(64, latent_dim, device=device)
    with Tracker("runs/mlp_gan") as tracker:
        tracker.log_gan_graph(generator, discriminator, z_grid)
        for epoch in range(num_epochs):
            ...
            tracker.log_scalars(step, d_loss=d_loss, g_loss=g_loss, d_real=d_real, d_fake=d_fake)
            ...
            tracker.log_image_grid("samples", generator(z_grid), epoch)
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import torch
from torch import nn

from gan_lab.imaging import ValueRange, to_image_batch

_LOSS_PREFIXES = ("d_loss", "g_loss")
# What a training history may record per step, in the order ``log_history`` writes it.
HISTORY_KEYS = ("d_loss", "d_loss_real", "d_loss_fake", "g_loss", "d_real", "d_fake")
_DISCRIMINATOR_PREFIX = "d_"


def scalar_tag(name: str) -> str:
    """The TensorBoard tag for a value passed to ``Tracker.log_scalars``.

    The rule, checked in this order:

    - a name starting with ``d_loss`` or ``g_loss`` is a loss: ``loss/<name>``
      (``d_loss``, ``d_loss_real``, ``d_loss_fake``, ``g_loss``);
    - any other name starting with ``d_`` is a mean discriminator output: ``D/<name>``
      (``d_real`` = mean D(x), ``d_fake`` = mean D(G(z)));
    - anything else keeps its name as the tag (``fake_mean`` -> ``fake_mean``).

    The two groups put the losses side by side in one TensorBoard section, and D's
    outputs, which live in [0, 1] and drift towards 0.5 at equilibrium, in another.
    """
    if name.startswith(_LOSS_PREFIXES):
        return f"loss/{name}"
    if name.startswith(_DISCRIMINATOR_PREFIX):
        return f"D/{name}"
    return name


def _as_float(name: str, value: Any) -> float:
    """A python float from a float or a one-element tensor; ``float()`` syncs with the GPU."""
    if isinstance(value, torch.Tensor) and value.numel() != 1:
        raise ValueError(
            f"scalar {name!r} must be a float or a 0-d tensor; "
            f"found a tensor of shape {tuple(value.shape)}"
        )
    return float(value)


class GanGraph(nn.Module):
    """G and D chained as one module, z -> D(G(z)), so one graph shows both networks.

    A TensorBoard run holds a single graph; logging G and D separately would keep only one.
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.discriminator(self.generator(z))


class Tracker:
    """Scalars, image grids and a graph written to one TensorBoard run directory.

    Args:
        logdir: the run directory; ``None`` disables the tracker.
        enabled: ``False`` also disables it, whatever ``logdir`` is. A disabled tracker
            creates no files, does not import TensorBoard, and ignores every call.
    """

    def __init__(self, logdir: str | Path | None, *, enabled: bool = True):
        self._logdir = Path(logdir) if enabled and logdir is not None else None
        self._writer = None
        self._closed = False
        self._graph_logged = False
        if self._logdir is not None:
            # Imported here: a disabled tracker should cost nothing, not even the import.
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(self._logdir))

    @property
    def logdir(self) -> Optional[Path]:
        """Where events are written, or ``None`` for a disabled tracker."""
        return self._logdir

    @property
    def enabled(self) -> bool:
        return self._logdir is not None

    def _active_writer(self):
        """The writer, ``None`` when disabled; logging after ``close()`` is a bug, so it raises."""
        if self._closed:
            raise RuntimeError(
                f"this Tracker for {self._logdir} is closed; make a new one to log more"
            )
        return self._writer

    def log_scalars(self, step: int, **values: float | torch.Tensor) -> None:
        """One scalar per keyword, tagged by ``scalar_tag`` (e.g. ``d_loss`` -> ``loss/d_loss``)."""
        writer = self._active_writer()
        if writer is None:
            return
        # Convert everything before writing, so a bad value cannot leave a half-logged step.
        tagged = {scalar_tag(name): _as_float(name, value) for name, value in values.items()}
        for tag, value in tagged.items():
            writer.add_scalar(tag, value, global_step=step)

    def log_history(self, history: Mapping[str, Sequence[float]], start: int) -> None:
        """Every step's values from global step ``start`` to the end of ``history``.

        ``history`` maps each of ``HISTORY_KEYS`` it records to one value per step so far (a
        ``gan_lab.training.History``, or the dcgan lab's dict of lists); an epoch's end logs
        its own steps with ``start`` = the step it began at.
        """
        keys = [key for key in HISTORY_KEYS if history.get(key)]
        if self._active_writer() is None or not keys:
            return
        for step in range(start, len(history[keys[0]])):
            self.log_scalars(step, **{key: history[key][step] for key in keys})

    def log_image_grid(
        self,
        tag: str,
        images: torch.Tensor,
        epoch: int,
        *,
        value_range: ValueRange = (-1.0, 1.0),
        nrow: int = 8,
    ) -> None:
        """Log a batch as one grid image at step ``epoch``.

        Args:
            images: (B, C, H, W), or (B, H*W) flat vectors of square single-channel images.
            value_range: the range the images should be in; mapped to [0, 1] as is, not
                stretched to the batch's min and max (see ``gan_lab.imaging``).
            nrow: images per row of the grid.
        """
        writer = self._active_writer()
        if writer is None:
            return
        from torchvision.utils import make_grid

        grid = make_grid(to_image_batch(images, value_range), nrow=nrow)  # (3, H_grid, W_grid)
        writer.add_image(tag, grid, global_step=epoch)

    def log_graph(self, model: nn.Module, example_input: torch.Tensor) -> None:
        """Trace ``model`` on ``example_input`` and store its graph; once per run.

        ``add_graph`` traces in eval mode and restores the training flags afterwards, so
        BatchNorm statistics are left as they were.
        """
        writer = self._active_writer()
        if writer is None:
            return
        if self._graph_logged:
            raise RuntimeError(
                "this run already has a graph and TensorBoard shows only one per run; "
                "to see G and D together, log them once with log_gan_graph"
            )
        with warnings.catch_warnings():
            # The tracer warns when Python code reads tensor values (shape checks, asserts):
            # the trace might not generalise to other inputs. It is only drawn, never rerun.
            warnings.simplefilter("ignore", category=torch.jit.TracerWarning)
            # add_graph is built on torch.jit.trace, which torch now marks deprecated; the
            # notice is aimed at torch's own code and a student can do nothing about it.
            warnings.filterwarnings(
                "ignore", message=r"`torch\.jit\.trace", category=FutureWarning
            )
            writer.add_graph(model, example_input)
        self._graph_logged = True

    def log_gan_graph(
        self, generator: nn.Module, discriminator: nn.Module, z: torch.Tensor
    ) -> None:
        """Log G and D as one graph, z -> G -> D, through ``GanGraph``."""
        self.log_graph(GanGraph(generator, discriminator), z)

    def flush(self) -> None:
        """Write pending events to disk, e.g. before reading them back in a notebook."""
        writer = self._active_writer()
        if writer is not None:
            writer.flush()

    def close(self) -> None:
        """Flush and close the event file; closing twice is harmless."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._closed = True

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def fixed_noise(
    n: int, latent_dim: int, *, seed: int = 0, device: str | torch.device = "cpu"
) -> torch.Tensor:
    """The same (n, latent_dim) standard normal batch on every call with the same seed.

    Sampling the grid from one fixed z each epoch means the grids differ only because G
    changed. The numbers are drawn on the CPU and then moved, so they do not depend on
    the device's random number generator.
    """
    if n < 1 or latent_dim < 1:
        raise ValueError(f"n and latent_dim must be positive; found n={n}, latent_dim={latent_dim}")
    rng = torch.Generator(device="cpu").manual_seed(seed)
    return torch.randn(n, latent_dim, generator=rng).to(device)


def read_events(logdir: str | Path) -> dict[str, Any]:
    """Read a run back: every scalar, the steps of each image tag, whether it has a graph.

    Returns:
        ``{"scalars": {tag: [(step, value), ...]}, "images": {tag: [step, ...]}, "graph": bool}``
    """
    path = Path(logdir)
    if not path.is_dir():
        raise FileNotFoundError(f"expected a TensorBoard run directory, found nothing at {path}")
    from tensorboard.backend.event_processing import event_accumulator as ea

    # Size 0 keeps every event; the default keeps only 4 images per tag, silently.
    accumulator = ea.EventAccumulator(str(path), size_guidance={ea.SCALARS: 0, ea.IMAGES: 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    return {
        "scalars": {
            tag: [(event.step, event.value) for event in accumulator.Scalars(tag)]
            for tag in tags["scalars"]
        },
        "images": {
            tag: [event.step for event in accumulator.Images(tag)] for tag in tags["images"]
        },
        "graph": bool(tags["graph"]),
    }
