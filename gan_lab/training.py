"""Training: one discriminator step, one generator step, and the loop around them.

The loop works for every model in ``gan_lab.models``: what differs between them (the loss, how
noise is drawn, how D reads a batch) arrives as arguments. Losses stay on the device while an
epoch runs and are read back once at its end, so a GPU is never stalled waiting for the host.
"""
from __future__ import annotations

import dataclasses
import os
import sys
from typing import Callable, Iterable, Optional

import torch
from torch import nn

from gan_lab.fastpath import FastPath, autocast
from gan_lab.limits import under_autograde
from gan_lab.objectives import BCE, Objective

Tensor = torch.Tensor
HISTORY_KEYS = ("d_loss", "d_loss_real", "d_loss_fake", "g_loss", "d_real", "d_fake")


class History(dict):
    """Per-step training records: ``history["g_loss"][step]`` and so on.

    Keys: d_loss (= d_loss_real + d_loss_fake), d_loss_real, d_loss_fake, g_loss, d_real
    (mean D(x), as a probability), d_fake (mean D(G(z)) seen by the D step), and ``epoch_ends``
    (the number of steps done when each epoch finished).
    """

    def __init__(self):
        super().__init__({key: [] for key in HISTORY_KEYS})
        self["epoch_ends"] = []

    @property
    def steps(self) -> int:
        return len(self["g_loss"])

    def extend(self, records: dict[str, list[float]]) -> None:
        for key in HISTORY_KEYS:
            self[key].extend(records[key])
        self["epoch_ends"].append(self.steps)

    def last(self, key: str, n: int = 1) -> float:
        """Mean of the last ``n`` values of ``key``."""
        values = self[key][-n:]
        if not values:
            raise ValueError(f"history has no {key!r} values yet")
        return sum(values) / len(values)


@dataclasses.dataclass
class StepStats:
    """What one D step measured; tensors stay on the device until the epoch ends."""

    d_loss: Tensor
    d_loss_real: Tensor
    d_loss_fake: Tensor
    d_real: Tensor
    d_fake: Tensor
    fake: Tensor  # G(z), still attached to G's graph, so the G step may reuse it


def identity(x: Tensor) -> Tensor:
    return x


def discriminator_step(
    generator: nn.Module,
    discriminator: nn.Module,
    optimizer: torch.optim.Optimizer,
    real: Tensor,
    z: Tensor,
    objective: Objective = BCE,
    prepare: Callable[[Tensor], Tensor] = identity,
    *,
    autocast_dtype: Optional[torch.dtype] = None,
) -> StepStats:
    """(1) Update D: maximise log D(x) + log(1 - D(G(z))), i.e. minimise the real + fake terms.

    Args:
        real: a batch of real samples.
        z: generator input for the fake batch.
        prepare: maps a batch to D's input (the 1-D toy turns a batch into one feature row).
        autocast_dtype: run both networks under autocast to this dtype (the ``bf16`` fast
            path); the losses are computed in float32 from their outputs either way.
    """
    with autocast(real.device, autocast_dtype):
        fake = generator(z)
        real_out = discriminator(prepare(real))
        # detach(): D's loss must not send gradients into G; this step only updates D, and
        # without it G's .grad would fill up with gradients pointing the wrong way.
        fake_out = discriminator(prepare(fake.detach()))
    real_out, fake_out = real_out.float(), fake_out.float()
    d_loss_real = objective.real_term(real_out)
    d_loss_fake = objective.fake_term(fake_out)
    d_loss = d_loss_real + d_loss_fake
    optimizer.zero_grad(set_to_none=True)
    d_loss.backward()
    optimizer.step()
    with torch.no_grad():
        d_real = objective.to_probability(real_out).mean()
        d_fake = objective.to_probability(fake_out).mean()
    return StepStats(d_loss.detach(), d_loss_real.detach(), d_loss_fake.detach(), d_real, d_fake, fake)


def generator_step(
    generator: nn.Module,
    discriminator: nn.Module,
    optimizer: torch.optim.Optimizer,
    z: Optional[Tensor] = None,
    objective: Objective = BCE,
    prepare: Callable[[Tensor], Tensor] = identity,
    *,
    fake: Optional[Tensor] = None,
    autocast_dtype: Optional[torch.dtype] = None,
) -> Tensor:
    """(2) Update G: maximise log D(G(z)) (the non-saturating loss), D's weights untouched.

    Args:
        z: fresh generator input, or
        fake: G's output from the D step, still attached to G's graph (saves one forward
            pass of G; the PyTorch DCGAN example trains this way).
        autocast_dtype: as in ``discriminator_step``.
    """
    if (z is None) == (fake is None):
        raise ValueError("generator_step needs exactly one of z and fake")
    device = (z if fake is None else fake).device
    if fake is None:
        with autocast(device, autocast_dtype):
            fake = generator(z)
    # Gradients flow through D to reach G, but D's own weight gradients are never used here:
    # freezing D skips computing them and leaves D's .grad as the D step left it.
    frozen = [p for p in discriminator.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    try:
        with autocast(device, autocast_dtype):
            fake_out = discriminator(prepare(fake))
        g_loss = objective.generator_loss(fake_out.float())
        optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
    finally:
        for p in frozen:
            p.requires_grad_(True)
    optimizer.step()
    return g_loss.detach()


def progress_enabled() -> bool:
    """Show a progress bar only to a person: never under nbgrader, never into a log file.

    nbgrader scores a test cell zero when it writes to stderr, which is where tqdm draws.
    """
    if under_autograde() or os.environ.get("GAN_LAB_NO_PROGRESS"):
        return False
    if "ipykernel" in sys.modules:  # a notebook: tqdm.auto draws a widget, not stderr text
        try:
            import ipywidgets  # noqa: F401  (without it tqdm.auto falls back to stderr text)
        except ImportError:
            return False
        return True
    return sys.stderr.isatty()


def progress_bar(total: int, desc: Optional[str] = None):
    """A progress bar over ``total`` steps with the time left, shown only where
    ``progress_enabled()`` (never under autograde); use as ``with progress_bar(n) as bar:``
    and call ``bar.update()`` per step. Its labels speak the course's language (``gan_lab.i18n``)."""
    from tqdm.auto import tqdm

    from gan_lab.i18n import _

    return tqdm(total=total, desc=desc or _("training"), disable=not progress_enabled(), file=sys.stderr,
                unit=_("step"), leave=False)


@dataclasses.dataclass
class TrainConfig:
    """How long and how to train; models, optimizers and data arrive separately."""

    num_epochs: int = 1
    max_steps: Optional[int] = None  # stop after this many steps in total (smoke runs, tests)
    d_steps: int = 1  # D updates per G update ("k" in the GAN paper)
    g_steps: int = 1
    reuse_fakes: bool = True  # the first G step reuses the D step's G(z) instead of a new z
    objective: Objective = BCE
    seed: Optional[int] = 0
    progress: Optional[bool] = None  # None: progress_enabled()
    fast: FastPath = FastPath()  # speed-ups (gan_lab.fastpath); refused where they cannot work

    def __post_init__(self):
        for name in ("num_epochs", "d_steps", "g_steps"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.max_steps is not None and (not isinstance(self.max_steps, int) or self.max_steps < 1):
            raise ValueError(f"max_steps must be a positive integer or None, got {self.max_steps!r}")
        if not isinstance(self.fast, FastPath):
            raise ValueError(f"fast must be a gan_lab.fastpath.FastPath, got {self.fast!r}")
        if self.fast.graph and (self.d_steps, self.g_steps, self.reuse_fakes) != (1, 1, True):
            raise ValueError("fast path 'graph' captures one D step and one G step that reuses "
                             "its G(z); it needs d_steps=1, g_steps=1 and reuse_fakes=True")


EpochCallback = Callable[[int, History], None]


def weight_average(generator: nn.Module, decay: float) -> torch.optim.swa_utils.AveragedModel:
    """An exponential moving average of ``generator``'s weights, for ``train(..., average=)``.

    After each G update the average moves ``1 - d`` of the way to the new weights, so it spans
    roughly the last ``1 / (1 - d)`` steps. Samples from it are steadier than from the last
    weights, which still wobble with every step's gradient noise. BatchNorm's running
    statistics are averaged the same way.

    The decay warms up: after n updates ``d = min(decay, (1 + n) / (10 + n))`` (as TensorFlow's
    ExponentialMovingAverage with ``num_updates``). A plain 0.999 average still holds 55% of
    the random initial weights after 600 steps, so a short run's samples would look far worse
    than its last weights'; warmed up, the average never spans more than about a tenth of the
    steps taken (measured in benchmarks/RESULTS.md).
    """
    if not isinstance(decay, float) or not 0.0 < decay < 1.0:
        raise ValueError(f"decay must be a float strictly between 0 and 1, got {decay!r}")
    from torch.optim.swa_utils import AveragedModel

    return AveragedModel(generator, multi_avg_fn=_warm_ema(decay), use_buffers=True)


def _warm_ema(decay: float):
    """The update of ``weight_average``: computed on the device, no host sync per step."""

    @torch.no_grad()
    def update(averages: list[Tensor], current: list[Tensor], n_averaged: Tensor) -> None:
        if not torch.is_floating_point(averages[0]):  # BatchNorm's batch counter: no average
            for average, value in zip(averages, current):
                average.copy_(value)
            return
        n = n_averaged.to(averages[0].dtype)
        d = torch.clamp((1 + n) / (10 + n), max=decay)
        torch._foreach_mul_(averages, d)
        torch._foreach_add_(averages, torch._foreach_mul(current, 1 - d))

    return update


def train(
    generator: nn.Module,
    discriminator: nn.Module,
    d_optimizer: torch.optim.Optimizer,
    g_optimizer: torch.optim.Optimizer,
    batches: Iterable,
    noise: Callable[[int], Tensor],
    config: TrainConfig = TrainConfig(),
    *,
    prepare: Callable[[Tensor], Tensor] = identity,
    on_epoch_end: Optional[EpochCallback] = None,
    start_epoch: int = 0,
    history: Optional[History] = None,
    average: Optional[torch.optim.swa_utils.AveragedModel] = None,
) -> History:
    """Alternate D and G updates over ``batches`` for ``config.num_epochs`` epochs.

    Args:
        batches: re-iterable each epoch; yields real batches, or (real, label) tuples whose
            labels are ignored (a DataLoader over torchvision MNIST works as is).
        noise: ``noise(n)`` returns generator input for n samples, on the training device.
        prepare: maps a batch to D's input (identity except for the 1-D toy).
        on_epoch_end: called as ``on_epoch_end(epoch, history)`` (logging, checkpoints).
        start_epoch: first epoch number (a resumed run continues its count).
        history: records to append to (a resumed run keeps its earlier steps).
        average: a ``weight_average(generator, decay)`` updated after every G update.

    Returns:
        The history, one entry per G step.
    """
    from tqdm.auto import tqdm

    from gan_lab import i18n  # i18n._, not _: the loop below uses _ as a throw-away name
    from gan_lab.cuda_graph import STAT_KEYS, GraphedStep

    fast = config.fast
    fast.check(next(generator.parameters()).device, generator, discriminator)
    run_g, run_d = fast.prepare(generator, discriminator)
    dtype = fast.autocast_dtype
    if config.seed is not None and start_epoch == 0:
        torch.manual_seed(config.seed)
    graphed = (GraphedStep(run_g, run_d, d_optimizer, g_optimizer, noise, config.objective, prepare, dtype)
               if fast.graph else None)
    graph_shape = None  # a CUDA graph replays one batch shape: the first batch's
    history = history if history is not None else History()
    show = progress_enabled() if config.progress is None else config.progress
    steps_done = history.steps
    for epoch in range(start_epoch, config.num_epochs):
        records: dict[str, list[Tensor]] = {key: [] for key in HISTORY_KEYS}
        bar = tqdm(batches, desc=i18n._("epoch {epoch}/{epochs}").format(epoch=epoch + 1, epochs=config.num_epochs),
                   disable=not show, leave=False, file=sys.stderr)
        for batch in bar:
            real = fast.layout(batch[0] if isinstance(batch, (tuple, list)) else batch)
            if graphed is not None:
                graph_shape = graph_shape or real.shape
                if real.shape != graph_shape:
                    continue  # the last, shorter batch: a graph replays fixed shapes
                values = graphed.step(real)
                for index, key in enumerate(STAT_KEYS):
                    records[key].append(values[index])
            else:
                stats = None
                for _ in range(config.d_steps):
                    stats = discriminator_step(run_g, run_d, d_optimizer, real, noise(len(real)),
                                               config.objective, prepare, autocast_dtype=dtype)
                for g_index in range(config.g_steps):
                    if g_index == 0 and config.reuse_fakes:
                        g_loss = generator_step(run_g, run_d, g_optimizer, None, config.objective,
                                                prepare, fake=stats.fake, autocast_dtype=dtype)
                    else:
                        g_loss = generator_step(run_g, run_d, g_optimizer, noise(len(real)),
                                                config.objective, prepare, autocast_dtype=dtype)
                for key in ("d_loss", "d_loss_real", "d_loss_fake", "d_real", "d_fake"):
                    records[key].append(getattr(stats, key))
                records["g_loss"].append(g_loss)
            if average is not None:
                average.update_parameters(generator)
            steps_done += 1
            if config.max_steps is not None and steps_done >= config.max_steps:
                break
        bar.close()
        # One device-to-host copy per epoch instead of one per step.
        history.extend({key: torch.stack(values).tolist() if values else []
                        for key, values in records.items()})
        if show and history.steps:
            print(i18n._("epoch {epoch}/{epochs}").format(epoch=epoch + 1, epochs=config.num_epochs)
                  + f": d_loss {history.last('d_loss', 50):.4f}  g_loss {history.last('g_loss', 50):.4f}"
                  f"  D(x) {history.last('d_real', 50):.3f}  D(G(z)) {history.last('d_fake', 50):.3f}")
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
        if config.max_steps is not None and steps_done >= config.max_steps:
            break
    return history
