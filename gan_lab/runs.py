"""Training runs: one recipe trained with TensorBoard logs, checkpoints and a sample grid.

``run()`` trains a recipe (``gan_lab.recipes``) with a checkpoint per epoch
(``gan_lab.checkpoints``), resuming from one when asked; ``sample_from_checkpoint()`` writes
samples of a trained run. ``gan-lab train`` and ``gan-lab sample`` (``gan_lab.cli``) are thin
wrappers over the two.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Optional

import torch
from torch import nn

from gan_lab.checkpoints import load_checkpoint, resume as resume_run, sampling_recipe, save_checkpoint
from gan_lab.recipes import Recipe, build_recipe, make_batches
from gan_lab.tracking import Tracker
from gan_lab.training import History, TrainConfig, train, weight_average


@dataclasses.dataclass
class RunResult:
    history: History
    logdir: Path
    last_checkpoint: Path
    samples_path: Path
    seconds: float
    fast: str = "none"  # the fast-path switches the run trained with


def _set_lr(recipe: Recipe, epoch: int, num_epochs: int) -> None:
    """G's lr for ``epoch``, so a resumed run continues on the same schedule (D's stays)."""
    if recipe.g_lr_schedule is None:
        return
    for group in recipe.g_optimizer.param_groups:
        group.setdefault("initial_lr", group["lr"])  # saved with the optimizer's state
        group["lr"] = group["initial_lr"] * recipe.g_lr_schedule(epoch, num_epochs)


class _EpochEnd:
    """What a run does after each epoch: log it, move the lr on, and save checkpoints.

    A numbered checkpoint for at most ten epochs of the run and for its last, so that a long
    run on a small data set (hundreds of short epochs) does not fill the disk or spend its time
    writing; ``last.pt`` with each of those, and at least once a minute.
    """

    def __init__(self, recipe, tracker, sampler, z_fixed, checkpoints: Path, loader, options, average):
        self.recipe, self.tracker, self.sampler, self.z_fixed = recipe, tracker, sampler, z_fixed
        self.checkpoints, self.loader, self.options, self.average = checkpoints, loader, options, average
        self.last = checkpoints / "last.pt"
        self.saved = time.monotonic()

    def __call__(self, epoch: int, history: History) -> None:
        ends = history["epoch_ends"]
        self.tracker.log_history(history, start=ends[-2] if len(ends) > 1 else 0)
        with torch.no_grad():
            self.sampler.eval()
            fake = self.sampler(self.z_fixed)
            self.sampler.train()
        if self.recipe.makes_images:
            self.tracker.log_image_grid("samples", fake.reshape(-1, *self.recipe.image_shape), epoch)
        else:
            self.tracker.log_scalars(history.steps, fake_mean=fake.mean(), fake_std=fake.std())
        self.tracker.flush()
        epochs, max_steps = self.options["epochs"], self.options["max_steps"]
        _set_lr(self.recipe, epoch + 1, epochs)  # before saving: the checkpoint holds the next lr
        final = epoch + 1 == epochs or (max_steps is not None and history.steps >= max_steps)
        keep = final or (epoch + 1) % max(1, epochs // 10) == 0
        if keep or time.monotonic() - self.saved >= 60:
            for path in ((self.checkpoints / f"epoch_{epoch + 1:03d}.pt",) if keep else ()) + (self.last,):
                save_checkpoint(path, self.recipe, epoch, history, self.loader, self.options, self.average)
            self.saved = time.monotonic()


def run(
    kind: str,
    *,
    logdir: str | Path,
    epochs: Optional[int] = None,
    batch_size: Optional[int] = None,
    device: str = "auto",
    seed: int = 0,
    max_steps: Optional[int] = None,
    resume: Optional[str | Path] = None,
    data_root: str | Path = "data",
    progress: Optional[bool] = None,
    log_graph: bool = True,
    fast: Optional[str] = None,
) -> RunResult:
    """Train ``kind`` with TensorBoard logs, a checkpoint per epoch and a final sample grid.

    ``fast``: fast-path switches (``gan_lab.fastpath``), e.g. "graph" or "bf16,channels_last";
    None picks the fastest measured for ``kind`` on the device, "none" turns them all off.
    """
    from gan_lab.device import get_device
    from gan_lab.fastpath import FastPath, fastest

    torch_device = get_device(device)
    fast_path = fastest(kind, torch_device) if fast is None else FastPath.parse(fast)
    torch.manual_seed(seed)  # model initialisation is part of the seeded run
    recipe = build_recipe(kind, torch_device)
    options = {"epochs": epochs or recipe.num_epochs, "batch_size": batch_size or recipe.batch_size,
               "seed": seed, "max_steps": max_steps, "data_root": str(data_root), "fast": str(fast_path)}
    logdir = Path(logdir)
    checkpoints = logdir / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    loader = make_batches(recipe, data_root, options["batch_size"], seed)
    average = None if recipe.average_decay is None else weight_average(recipe.generator, recipe.average_decay)
    sampler = recipe.generator if average is None else average.module

    history, start_epoch = History(), 0
    if resume is not None:
        recorded, start_epoch = resume_run(resume, recipe, loader, average, options["epochs"])
        history.update(recorded)
    _set_lr(recipe, start_epoch, options["epochs"])
    z_fixed = recipe.fixed_noise(seed)
    tracker = Tracker(logdir)
    if log_graph and start_epoch == 0 and recipe.makes_images:
        tracker.log_gan_graph(recipe.generator, recipe.discriminator, z_fixed[:2])
    on_epoch_end = _EpochEnd(recipe, tracker, sampler, z_fixed, checkpoints, loader, options, average)

    config = TrainConfig(num_epochs=options["epochs"], max_steps=max_steps,
                         objective=recipe.objective, seed=None, progress=progress, fast=fast_path)
    started = time.perf_counter()
    threads = torch.get_num_threads()
    if recipe.cpu_threads is not None and torch_device.type == "cpu":
        torch.set_num_threads(recipe.cpu_threads)
    try:
        with tracker:
            history = train(recipe.generator, recipe.discriminator, recipe.d_optimizer,
                            recipe.g_optimizer, loader, recipe.noise, config, prepare=recipe.prepare,
                            on_epoch_end=on_epoch_end, start_epoch=start_epoch, history=history,
                            average=average)
    finally:
        torch.set_num_threads(threads)
    seconds = time.perf_counter() - started
    samples_path = write_samples(recipe, z_fixed, logdir / "samples.png", sampler)
    return RunResult(history, logdir, on_epoch_end.last, samples_path, seconds, str(fast_path))


def write_samples(recipe: Recipe, z: torch.Tensor, path: Path, generator: Optional[nn.Module] = None) -> Path:
    """A sample grid PNG (or, for the 1-D toy, the density against its target).

    ``generator`` defaults to the recipe's; a run passes its weight average where it keeps one.
    """
    from gan_lab.plotting import plot_density, save_image_grid

    generator = recipe.generator if generator is None else generator
    with torch.no_grad():
        generator.eval()
        fake = generator(z)
        generator.train()
    path.parent.mkdir(parents=True, exist_ok=True)
    if recipe.makes_images:
        save_image_grid(fake.reshape(-1, *recipe.image_shape).cpu(), path)
        return path
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plot_density(fake.flatten().cpu().numpy())
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def sample_from_checkpoint(checkpoint: str | Path, out: str | Path, *, n: int = 64, seed: int = 0,
                           device: str = "auto") -> Path:
    """Rebuild G from a checkpoint and write ``n`` samples as a grid PNG."""
    from gan_lab.device import get_device

    torch_device = get_device(device)
    recipe = sampling_recipe(load_checkpoint(checkpoint), torch_device)
    z = recipe.noise(n, torch.Generator(torch_device).manual_seed(seed))
    return write_samples(recipe, z, Path(out))
