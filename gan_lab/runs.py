"""Training runs: the four recipes (mlp, dcgan, lsgan, toy1d), checkpoints, resume, samples.

A recipe gathers what one lab trains with: models, optimizers, noise, loss, batch size and
data. ``run()`` trains one with TensorBoard logs and a checkpoint per epoch; ``gan-lab train``
and ``gan-lab sample`` are thin wrappers over ``run()`` and ``sample_from_checkpoint()``.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import time
from pathlib import Path
from typing import Callable, Optional

import torch
from torch import nn

from gan_lab import data as gan_data
from gan_lab.objectives import BCE, LEAST_SQUARES, Objective
from gan_lab.tracking import Tracker, fixed_noise
from gan_lab.training import History, TrainConfig, identity, train, weight_average

CHECKPOINT_FORMAT = 1


@dataclasses.dataclass
class Recipe:
    """Everything one kind of GAN needs apart from the run's own options."""

    kind: str
    generator: nn.Module
    discriminator: nn.Module
    d_optimizer: torch.optim.Optimizer
    g_optimizer: torch.optim.Optimizer
    noise: Callable[..., torch.Tensor]  # noise(n, generator=None) on the device
    latent_dim: int
    objective: Objective
    batch_size: int
    num_epochs: int  # the full run's length
    image_shape: Optional[tuple[int, int, int]]  # (C, H, W) for image GANs, None for the toy
    prepare: Callable[[torch.Tensor], torch.Tensor] = identity
    # lr_schedule(epoch, num_epochs): both optimizers' lr in that epoch, as a fraction of the
    # recipe's lr; None keeps the lr constant.
    lr_schedule: Optional[Callable[[int, int], float]] = None
    # Samples come from an exponential moving average of G's weights with this decay
    # (``training.weight_average``); None samples from G's last weights.
    average_decay: Optional[float] = None
    # CPU threads while training on the CPU; None keeps torch's default (one per core). Tiny
    # models run fastest on one: splitting a 100 x 50 matmul costs more than it saves.
    cpu_threads: Optional[int] = None


def cosine_decay(final_fraction: float) -> Callable[[int, int], float]:
    """An lr schedule falling from 1 along half a cosine towards ``final_fraction``, per epoch.

    The same curve as ``torch.optim.lr_scheduler.CosineAnnealingLR(T_max=num_epochs,
    eta_min=final_fraction * lr)`` stepped once per epoch.
    """
    def schedule(epoch: int, num_epochs: int) -> float:
        return final_fraction + (1 - final_fraction) * (1 + math.cos(math.pi * epoch / num_epochs)) / 2

    return schedule


def sorted_minibatch(samples: torch.Tensor) -> torch.Tensor:
    """The toy recipe's D input: the minibatch as one row in ascending order, undecorated.

    Sorted, position i always holds the i-th smallest value, so D can compare the batch's
    shape (its tails) with the target's; unsorted, each position holds a random draw and D
    sees little beyond the mean and spread. The squared deviations are left out because with
    sorted rows D rejects the first, nearly constant G outright and G never recovers.

    Shape:
        samples: (n, 1) -> (1, n)
    """
    from gan_lab.models import minibatch_features

    return minibatch_features(torch.sort(samples, dim=0).values, decorate=False)


def _adam(model: nn.Module, lr: float, betas=(0.9, 0.999)) -> torch.optim.Adam:
    # fused: the whole update of every parameter in one kernel (CPU and CUDA alike).
    return torch.optim.Adam(model.parameters(), lr=lr, betas=betas, fused=True)


def build_recipe(kind: str, device: torch.device) -> Recipe:
    """The lab's reference setup for ``kind`` on ``device``."""
    from gan_lab import models

    def gaussian(latent_dim):
        return lambda n, generator=None: gan_data.latent_noise(n, latent_dim, device, generator)

    def signed_uniform(latent_dim):  # CS231n's noise: uniform in (-1, 1)
        return lambda n, generator=None: 2 * torch.rand(n, latent_dim, device=device, generator=generator) - 1

    if kind == "mlp":
        g, d = models.MLPGenerator(100, 256, 784), models.MLPDiscriminator(784, 256)
        g, d = g.to(device), d.to(device)
        # Samples from G's weight average over roughly its last 1,000 steps cover all 10 digits
        # at 28,000 steps on 3 seeds of 3, the last weights on 1; the rarest digit still sits
        # near the 1% line and the Fréchet distance is unchanged (benchmarks/RESULTS.md).
        return Recipe(kind, g, d, _adam(d, 2e-4), _adam(g, 2e-4), gaussian(100), 100, BCE,
                      batch_size=128, num_epochs=30, image_shape=(1, 28, 28), average_decay=0.999)
    if kind == "dcgan":
        g, d = models.DCGANGenerator(100, 32, 1).to(device), models.DCGANDiscriminator(32, 1).to(device)
        # The weight average's Fréchet distance kept falling where the last weights' stalled
        # (19.0 against 27.2 after 6,500 steps; benchmarks/RESULTS.md).
        return Recipe(kind, g, d, _adam(d, 2e-4, (0.5, 0.999)), _adam(g, 2e-4, (0.5, 0.999)),
                      gaussian(100), 100, BCE, batch_size=64, num_epochs=20, image_shape=(1, 32, 32),
                      average_decay=0.999)
    if kind == "lsgan":
        g, d = models.vanilla_generator(96).to(device), models.vanilla_discriminator().to(device)
        return Recipe(kind, g, d, _adam(d, 1e-3, (0.5, 0.999)), _adam(g, 1e-3, (0.5, 0.999)),
                      signed_uniform(96), 96, LEAST_SQUARES, batch_size=128, num_epochs=10,
                      image_shape=(1, 28, 28))
    if kind == "toy1d":
        batch = 100
        g = models.ToyGenerator(1, 50, 1).to(device)
        d = models.ToyDiscriminator(models.discriminator_input_size(batch, False), 100, 1).to(device)

        def uniform(n, generator=None):
            return gan_data.uniform_noise(n, 1, device, generator)

        # Measured (benchmarks/RESULTS.md, "1-D toy"): with the lab's unsorted, decorated rows
        # the mean and spread come right but not the shape (W1 and KS 20-30x their floors
        # after 6,000 steps, 6-30x after 20,000 with lr decay). Sorted rows, a wider D with a
        # lower lr than G's (a D at G's lr died on 1 seed in 6) and a cosine decay to 1% of
        # the lr over 20,000 steps reach 2-5x, within 2x on 2 seeds in 6. Sampling from an
        # average of G's weights over roughly its last 2,000 steps brings the mean ratio over
        # 6 seeds from 3.0x to 2.0x (W1) and from 2.9x to 2.2x (KS).
        betas = (0.5, 0.999)
        return Recipe(kind, g, d, _adam(d, 2e-4, betas), _adam(g, 5e-4, betas), uniform, 1, BCE,
                      batch_size=batch, num_epochs=40, image_shape=None,
                      prepare=sorted_minibatch, lr_schedule=cosine_decay(0.01), average_decay=0.9995,
                      cpu_threads=1)
    raise ValueError(f"unknown GAN kind {kind!r}; expected one of {', '.join(KINDS)}")


KINDS = ("mlp", "dcgan", "lsgan", "toy1d")
TOY_STEPS_PER_EPOCH = 500


class ToyBatches:
    """An 'epoch' of the 1-D toy: a fixed number of fresh N(4, 1.25^2) batches."""

    def __init__(self, batch_size: int, steps: int, device: torch.device):
        self.batch_size, self.steps, self.device = batch_size, steps, device

    def __len__(self) -> int:
        return self.steps

    def __iter__(self):
        for _ in range(self.steps):
            yield gan_data.gaussian_samples(self.batch_size, 4.0, 1.25, self.device)


def make_batches(recipe: Recipe, device: torch.device, data_root: str | Path, batch_size: int,
                 seed: int):
    if recipe.image_shape is None:
        return ToyBatches(batch_size, TOY_STEPS_PER_EPOCH, device)
    images, labels = gan_data.mnist_tensors(data_root, train=True, image_size=recipe.image_shape[-1],
                                            device=device)
    return gan_data.DeviceLoader(images, labels, batch_size=batch_size, seed=seed)


# --------------------------------------------------------------------------- checkpoints
def _rng_state() -> dict:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: Path, recipe: Recipe, epoch: int, history: History, loader,
                    options: dict, average=None) -> None:
    """Everything a resumed run needs to continue exactly: weights, optimizers, RNGs, history."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "kind": recipe.kind,
        "epoch": epoch,
        "generator": recipe.generator.state_dict(),
        "generator_average": average.state_dict() if average is not None else None,
        "discriminator": recipe.discriminator.state_dict(),
        "g_optimizer": recipe.g_optimizer.state_dict(),
        "d_optimizer": recipe.d_optimizer.state_dict(),
        "rng": _rng_state(),
        "loader_rng": loader.get_state() if hasattr(loader, "get_state") else None,
        "history": dict(history),
        "options": options,
    }
    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)  # a crash mid-save never leaves a half-written checkpoint


def load_checkpoint(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises several types for a damaged file
        raise ValueError(f"{path}: not a readable gan-lab checkpoint ({type(exc).__name__}: {exc})") from exc
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a gan-lab checkpoint (format {CHECKPOINT_FORMAT} expected)")
    return payload


def sampling_weights(state: dict) -> dict:
    """The generator weights a checkpoint's samples come from: its weight average, if kept."""
    average = state.get("generator_average")
    if average is None:
        return state["generator"]
    prefix = "module."
    return {key[len(prefix):]: value for key, value in average.items() if key.startswith(prefix)}


# --------------------------------------------------------------------------- run
@dataclasses.dataclass
class RunResult:
    history: History
    logdir: Path
    last_checkpoint: Path
    samples_path: Path
    seconds: float
    fast: str = "none"  # the fast-path switches the run trained with


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
    loader = make_batches(recipe, torch_device, data_root, options["batch_size"], seed)
    average = None if recipe.average_decay is None else weight_average(recipe.generator, recipe.average_decay)
    sampler = recipe.generator if average is None else average.module

    history, start_epoch = History(), 0
    if resume is not None:
        state = load_checkpoint(resume)
        if state["kind"] != kind:
            raise ValueError(f"{resume}: checkpoint is for {state['kind']!r}, not {kind!r}")
        recipe.generator.load_state_dict(state["generator"])
        recipe.discriminator.load_state_dict(state["discriminator"])
        recipe.g_optimizer.load_state_dict(state["g_optimizer"])
        recipe.d_optimizer.load_state_dict(state["d_optimizer"])
        if average is not None:
            if state.get("generator_average") is None:
                raise ValueError(f"{resume}: checkpoint has no weight average, which the {kind} "
                                 "recipe keeps; it was written by an older gan-lab, so start afresh")
            average.load_state_dict(state["generator_average"])
        _set_rng_state(state["rng"])
        if state["loader_rng"] is not None:
            loader.set_state(state["loader_rng"])
        history.update({key: list(values) for key, values in state["history"].items()})
        start_epoch = state["epoch"] + 1
        if start_epoch >= options["epochs"]:
            raise ValueError(f"{resume}: run already finished epoch {state['epoch'] + 1} of "
                             f"{options['epochs']}; ask for more --epochs to continue")

    def set_lr(epoch: int) -> None:
        """The recipe's lr for ``epoch``, so a resumed run continues on the same schedule."""
        if recipe.lr_schedule is None:
            return
        for optimizer in (recipe.d_optimizer, recipe.g_optimizer):
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])  # saved with the optimizer's state
                group["lr"] = group["initial_lr"] * recipe.lr_schedule(epoch, options["epochs"])

    set_lr(start_epoch)
    z_fixed = fixed_noise(64, recipe.latent_dim, seed=seed, device=torch_device)
    if kind == "toy1d":  # the toy's noise is uniform, not Gaussian
        z_fixed = recipe.noise(1000, torch.Generator(torch_device).manual_seed(seed))
    tracker = Tracker(logdir)
    if log_graph and start_epoch == 0 and recipe.image_shape is not None:
        tracker.log_gan_graph(recipe.generator, recipe.discriminator, z_fixed[:2])
    last = checkpoints / "last.pt"
    saved = [time.monotonic()]  # when last.pt was written

    def on_epoch_end(epoch: int, hist: History) -> None:
        first = hist["epoch_ends"][-2] if len(hist["epoch_ends"]) > 1 else 0
        for step in range(first, hist.steps):
            tracker.log_scalars(step, **{key: hist[key][step] for key in
                                         ("d_loss", "d_loss_real", "d_loss_fake", "g_loss", "d_real", "d_fake")})
        with torch.no_grad():
            sampler.eval()
            fake = sampler(z_fixed)
            sampler.train()
        if recipe.image_shape is not None:
            tracker.log_image_grid("samples", fake.reshape(-1, *recipe.image_shape), epoch)
        else:
            tracker.log_scalars(hist.steps, fake_mean=fake.mean(), fake_std=fake.std())
        tracker.flush()
        set_lr(epoch + 1)  # before saving, so the checkpoint holds the next epoch's lr
        # A numbered checkpoint for at most ten epochs of the run and for its last, so that a
        # long run on a small data set (hundreds of short epochs) does not fill the disk or
        # spend its time writing; last.pt with each of those, and at least once a minute.
        final = epoch + 1 == options["epochs"] or (max_steps is not None and hist.steps >= max_steps)
        keep = final or (epoch + 1) % max(1, options["epochs"] // 10) == 0
        if keep or time.monotonic() - saved[0] >= 60:
            for path in ((checkpoints / f"epoch_{epoch + 1:03d}.pt",) if keep else ()) + (last,):
                save_checkpoint(path, recipe, epoch, hist, loader, options, average)
            saved[0] = time.monotonic()

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
    return RunResult(history, logdir, last, samples_path, seconds, str(fast_path))


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
    if recipe.image_shape is None:
        import matplotlib

        matplotlib.use("Agg")
        figure = plot_density(fake.flatten().cpu().numpy())
        figure.savefig(path, dpi=100)
        import matplotlib.pyplot as plt

        plt.close(figure)
    else:
        save_image_grid(fake.reshape(-1, *recipe.image_shape).cpu(), path)
    return path


def sample_from_checkpoint(checkpoint: str | Path, out: str | Path, *, n: int = 64, seed: int = 0,
                           device: str = "auto") -> Path:
    """Rebuild G from a checkpoint and write ``n`` samples as a grid PNG."""
    from gan_lab.device import get_device

    state = load_checkpoint(checkpoint)
    torch_device = get_device(device)
    recipe = build_recipe(state["kind"], torch_device)
    recipe.generator.load_state_dict(sampling_weights(state))
    z = recipe.noise(n, torch.Generator(torch_device).manual_seed(seed))
    return write_samples(recipe, z, Path(out))


# --------------------------------------------------------------------------- CLI
def add_commands(commands, positive_int) -> None:
    train_cmd = commands.add_parser(
        "train", help="train a GAN with TensorBoard logs and per-epoch checkpoints",
        description="Train one of the course's GANs. Logs go to LOGDIR (open them with "
                    "`tensorboard --logdir runs`), checkpoints to LOGDIR/checkpoints, and a "
                    "final sample grid to LOGDIR/samples.png.")
    train_cmd.add_argument("kind", choices=KINDS, help="which GAN to train")
    train_cmd.add_argument("--epochs", type=positive_int, help="epochs (default: the lab's full run)")
    train_cmd.add_argument("--batch-size", type=positive_int, help="batch size (default: the lab's)")
    train_cmd.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    train_cmd.add_argument("--logdir", help="run folder (default: runs/KIND)")
    train_cmd.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    train_cmd.add_argument("--max-steps", type=positive_int, help="stop after this many steps in total")
    train_cmd.add_argument("--resume", metavar="CHECKPOINT", help="continue from a checkpoint")
    train_cmd.add_argument("--data-root", default="data", help="MNIST folder (default: data)")
    train_cmd.add_argument("--fast", metavar="SWITCHES",
                           help="speed-ups: 'none' or a comma list of graph, bf16, channels_last, "
                                "compile (default: the fastest measured for KIND on the device; "
                                "none on a CPU)")
    train_cmd.set_defaults(func=_cmd_train)

    sample_cmd = commands.add_parser(
        "sample", help="write a sample grid from a checkpoint",
        description="Load the generator from CHECKPOINT and write N samples as a PNG grid.")
    sample_cmd.add_argument("checkpoint", help="a .pt file written by gan-lab train")
    sample_cmd.add_argument("--out", default="samples.png", help="PNG to write (default: samples.png)")
    sample_cmd.add_argument("--n", type=positive_int, default=64, help="number of samples (default: 64)")
    sample_cmd.add_argument("--seed", type=int, default=0, help="noise seed (default: 0)")
    sample_cmd.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    sample_cmd.set_defaults(func=_cmd_sample)


def _cmd_train(args: argparse.Namespace) -> int:
    logdir = args.logdir or f"runs/{args.kind}"
    result = run(args.kind, logdir=logdir, epochs=args.epochs, batch_size=args.batch_size,
                 device=args.device, seed=args.seed, max_steps=args.max_steps, resume=args.resume,
                 data_root=args.data_root, fast=args.fast)
    h = result.history
    print(f"trained {args.kind}: {h.steps} steps in {result.seconds:.1f} s (fast path: "
          f"{result.fast}); last d_loss "
          f"{h.last('d_loss', 20):.4f}, g_loss {h.last('g_loss', 20):.4f}")
    print(f"TensorBoard logs: {result.logdir}   (tensorboard --logdir {result.logdir})")
    print(f"checkpoint: {result.last_checkpoint}")
    print(f"samples: {result.samples_path}")
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    path = sample_from_checkpoint(args.checkpoint, args.out, n=args.n, seed=args.seed, device=args.device)
    print(f"samples: {path}")
    return 0
