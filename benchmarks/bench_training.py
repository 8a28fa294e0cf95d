"""Seconds per 60,000-image epoch: the handout's training loop against gan_lab's fast path.

    python benchmarks/bench_training.py [--device auto|cpu|cuda] [--steps N] [--data-root data]
    python benchmarks/bench_training.py --device cuda --json speed.json     (what gpu_check runs)
    python benchmarks/bench_training.py --device cpu --models mlp --quality-epochs 225 --seeds 3

Both loops train the same models with the same optimizer settings; only the plumbing differs.
The handout loop is the course handout's: a torchvision DataLoader (ToTensor then Normalize to [-1, 1], num_workers=0),
a host-to-device copy per batch and a ``.item()`` host sync per step. gan_lab's path keeps
the whole data set on the device, draws noise there, uses fused Adam, reuses the D step's
G(z) in the G step, skips D's weight gradients in the G step, and reads losses back once per
epoch (gan_lab.training.train). Each loop is timed over ``--steps`` steps after a warm-up,
and the time is scaled to 60,000 images (MNIST's training set).

Beside plain gan_lab, each fast-path switch set of ``--fast`` (``gan_lab.fastpath``) that can
work on the device is timed too: by default on a GPU the MLP with ``graph`` and
``graph,compile``, the DCGAN with ``bf16,channels_last``, ``graph``, ``graph,bf16`` and
``graph,bf16,channels_last``; none on a CPU. (``compile`` alone was slower than plain gan_lab
on an H200 for both models, compilation included: benchmarks/RESULTS.md.) The
fast paths run ``--fast-steps`` steps (default 1,000 on a GPU), so a graph's capture and a
compilation are paid once inside the time, as in a real run, without swamping it.

With ``--quality-epochs E`` both loops instead train E epochs of the prepared training set and
their samples are scored (Fréchet distance, class coverage); ``--seeds N`` repeats that with
seeds 0..N-1 per loop and says whether the loops differ by more than the seed-to-seed spread.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan_lab import models  # noqa: E402
from gan_lab.data import DeviceLoader, latent_noise, mnist_tensors  # noqa: E402
from gan_lab.device import get_device, synchronize  # noqa: E402
from gan_lab.fastpath import FastPath, FastPathError  # noqa: E402
from gan_lab.mnist import prepare_mnist  # noqa: E402
from gan_lab.objectives import BCE  # noqa: E402
from gan_lab.training import TrainConfig, train  # noqa: E402

EPOCH_IMAGES = 60_000


def _sync(device: torch.device) -> None:
    synchronize(device)


# Fast-path switch sets timed by default, per model, on a GPU (on a CPU: none).
DEFAULT_FAST_ON_CUDA = {"mlp": ("graph", "graph,compile"),
                       "dcgan": ("bf16,channels_last", "graph", "graph,bf16", "graph,bf16,channels_last")}


# --------------------------------------------------------------------------- the handout's loops
def handout_mlp_steps(loader, device, steps: int, seed: int = 0) -> tuple[int, nn.Module]:
    """The MLP handout's main loop body, verbatim in spirit: .item() per step, BCELoss module."""
    torch.manual_seed(seed)  # weights, noise and the DataLoader's shuffle
    generator = models.MLPGenerator(100, 256, 784).to(device)
    discriminator = models.MLPDiscriminator(784, 256).to(device)
    optim_g = torch.optim.Adam(generator.parameters(), lr=2e-4)
    optim_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4)
    loss_func = nn.BCELoss()
    done, images = 0, 0
    while done < steps:
        for real_images, _ in loader:
            real_images = real_images.view(-1, 28 * 28).to(device)
            real_output = discriminator(real_images)
            real_loss = loss_func(real_output, torch.ones_like(real_output))
            fake_output = discriminator(generator(torch.randn(128, 100, device=device)).detach())
            fake_loss = loss_func(fake_output, torch.zeros_like(fake_output))
            loss_d = real_loss + fake_loss
            optim_d.zero_grad()
            loss_d.backward()
            optim_d.step()
            loss_d.item()
            fake_output = discriminator(generator(torch.randn(128, 100, device=device)))
            loss_g = loss_func(fake_output, torch.ones_like(fake_output))
            optim_g.zero_grad()
            loss_g.backward()
            optim_g.step()
            loss_g.item()
            done += 1
            images += len(real_images)
            if done >= steps:
                break
    return images, generator


def handout_dcgan_steps(loader, device, steps: int, seed: int = 0) -> tuple[int, nn.Module]:
    """The DCGAN notes' loop: G step then D step, Tensor-typed labels, .item() per step."""
    torch.manual_seed(seed)  # weights, noise and the DataLoader's shuffle
    generator = models.DCGANGenerator(100, 32, 1).to(device)
    discriminator = models.DCGANDiscriminator(32, 1).to(device)
    optim_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optim_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loss_func = nn.BCELoss()
    done, images = 0, 0
    while done < steps:
        for imgs, _ in loader:
            valid = torch.ones(imgs.shape[0], 1, device=device)
            fake = torch.zeros(imgs.shape[0], 1, device=device)
            real_imgs = imgs.to(device)
            optim_g.zero_grad()
            gen_imgs = generator(torch.randn(imgs.shape[0], 100, device=device))
            g_loss = loss_func(discriminator(gen_imgs), valid)
            g_loss.item()
            g_loss.backward()
            optim_g.step()
            optim_d.zero_grad()
            real_loss = loss_func(discriminator(real_imgs), valid)
            fake_loss = loss_func(discriminator(gen_imgs.detach()), fake)
            d_loss = (real_loss + fake_loss) / 2
            real_loss.item(), fake_loss.item(), d_loss.item()
            d_loss.backward()
            optim_d.step()
            done += 1
            images += len(imgs)
            if done >= steps:
                break
    return images, generator


# --------------------------------------------------------------------------- gan_lab's path
def fast_steps(kind: str, images: torch.Tensor, device, steps: int, batch_size: int,
               seed: int = 0, fast: FastPath = FastPath()) -> tuple[int, nn.Module]:
    """gan_lab.training.train over device-resident data for ``steps`` steps."""
    torch.manual_seed(seed)  # weights; train() reseeds for the noise, the loader has its own
    if kind == "mlp":
        generator = models.MLPGenerator(100, 256, 784).to(device)
        discriminator = models.MLPDiscriminator(784, 256).to(device)
        betas = (0.9, 0.999)
    else:
        generator = models.DCGANGenerator(100, 32, 1).to(device)
        discriminator = models.DCGANDiscriminator(32, 1).to(device)
        betas = (0.5, 0.999)
    optim_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=betas, fused=True)
    optim_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=betas, fused=True)
    loader = DeviceLoader(images, batch_size=batch_size, seed=seed, drop_last=True)
    epochs = -(-steps // len(loader))  # ceil: enough epochs to reach ``steps``
    history = train(generator, discriminator, optim_d, optim_g, loader,
                    lambda n: latent_noise(n, 100, device), TrainConfig(
                        num_epochs=epochs, max_steps=steps, objective=BCE, seed=seed, progress=False,
                        fast=fast))
    return history.steps * batch_size, generator


def timed(fn, device, *args) -> tuple[float, int, nn.Module]:
    """(seconds, images, trained generator) for one call."""
    _sync(device)
    started = time.perf_counter()
    images, generator = fn(*args)
    _sync(device)
    return time.perf_counter() - started, images, generator


def quality(generator: nn.Module, kind: str, data_root, device) -> dict:
    """Frechet distance and class coverage of the generator's samples (gan_lab.metrics)."""
    from gan_lab.metrics import evaluate_images

    real, _ = mnist_tensors(data_root, train=False, image_size=28 if kind == "mlp" else 32)
    generator.eval()
    with torch.no_grad():
        fake = generator(latent_noise(len(real) // 2, 100, device,
                                      torch.Generator(device).manual_seed(0)))
    shape = (1, 28, 28) if kind == "mlp" else (1, 32, 32)
    return evaluate_images(fake.reshape(-1, *shape).cpu(), real)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, default=None, help="steps per measurement (default: 200 on "
                                                                 "CUDA, 60 MLP / 8 DCGAN on the CPU)")
    parser.add_argument("--data-root", default="data")
    parser.add_argument("--models", default="mlp,dcgan")
    parser.add_argument("--quality-epochs", type=int, default=0,
                        help="train both loops this many epochs and compare sample quality")
    parser.add_argument("--seeds", type=int, default=1,
                        help="with --quality-epochs: train each loop with seeds 0..N-1 (default: 1)")
    parser.add_argument("--fast", action="append", metavar="SWITCHES",
                        help="a fast-path switch set to time beside plain gan_lab, e.g. 'graph' or "
                             "'bf16,channels_last' (repeatable; default: per model on a GPU, none "
                             "on a CPU; 'none' times no switch set)")
    parser.add_argument("--fast-steps", type=int, default=None,
                        help="steps per fast-path measurement (default: 1,000 on CUDA, --steps on the CPU)")
    parser.add_argument("--json", metavar="PATH", help="also write the speed table as JSON")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds: expected a positive integer, got {args.seeds}")
    if args.seeds > 1 and not args.quality_epochs:
        parser.error("--seeds only applies with --quality-epochs (speed alone needs one seed)")
    device = get_device(args.device)
    prepare_mnist(args.data_root, announce=None)
    torch.manual_seed(0)
    qualities, speed = [], []
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"

    def save_json() -> None:  # after every row, so a run cut short still leaves its rows
        if args.json:
            import json

            Path(args.json).write_text(json.dumps({"device": name, "torch": torch.__version__,
                                                   "rows": speed}, indent=2))
    for kind in args.models.split(","):
        batch = 128 if kind == "mlp" else 64
        steps = args.steps or (200 if device.type == "cuda" else (60 if kind == "mlp" else 8))
        if kind == "mlp":
            # ToTensor as in the handout, plus the Normalize that maps it to Tanh's [-1, 1]: without
            # it the two loops would learn different data and their quality could not be compared.
            dataset = datasets.MNIST(args.data_root, train=True, download=True, transform=transforms.Compose(
                [transforms.ToTensor(), transforms.Normalize([0.5], [0.5])]))
            handout = handout_mlp_steps
        else:
            dataset = datasets.MNIST(args.data_root, train=True, download=True, transform=transforms.Compose(
                [transforms.Resize(32), transforms.ToTensor(), transforms.Normalize([0.5], [0.5])]))
            handout = handout_dcgan_steps
        loader = DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=0)
        images, _ = mnist_tensors(args.data_root, train=True, image_size=28 if kind == "mlp" else 32,
                                  device=device)
        handout(loader, device, 2)  # warm-up: kernels, allocator, lazy init
        fast_steps(kind, images, device, 2, batch)
        if args.quality_epochs:  # the same number of epochs both ways, then the same measures
            steps = args.quality_epochs * (len(images) // batch)
        slow_s = slow_n = fast_s = fast_n = 0
        for seed in range(args.seeds):  # time is summed over seeds, quality kept per seed
            seconds, count, slow_g = timed(handout, device, loader, device, steps, seed)
            slow_s, slow_n = slow_s + seconds, slow_n + count
            seconds, count, fast_g = timed(fast_steps, device, kind, images, device, steps, batch, seed)
            fast_s, fast_n = fast_s + seconds, fast_n + count
            if args.quality_epochs:
                for name, generator in (("handout", slow_g), ("gan_lab", fast_g)):
                    measured = quality(generator, kind, args.data_root, device)
                    qualities.append((kind, name, seed, measured["frechet_distance"]["value"],
                                      measured["frechet_distance"]["floor"],
                                      measured["class_coverage"]["value"]))
        slow_epoch = slow_s / slow_n * EPOCH_IMAGES
        fast_epoch = fast_s / fast_n * EPOCH_IMAGES
        speed.append({"model": kind, "loop": "handout", "batch": batch, "steps": steps,
                      "seconds_per_epoch": slow_epoch, "speedup": 1.0})
        speed.append({"model": kind, "loop": "gan_lab", "batch": batch, "steps": steps,
                      "seconds_per_epoch": fast_epoch, "speedup": slow_epoch / fast_epoch})
        save_json()
        if not args.quality_epochs:
            for switches in fast_variants(args.fast, kind, device):
                speed.append(time_fast_path(kind, images, device, batch, switches, slow_epoch,
                                            args.fast_steps or (1000 if device.type == "cuda" else steps)))
                save_json()
    print(f"device: {name}; torch {torch.__version__}")
    print(f"{'model':<6} {'batch':>5} {'loop':<28} {'steps':>5} {'s/epoch':>9} {'vs handout':>11}")
    for row in speed:
        seconds = "failed" if row["seconds_per_epoch"] is None else f"{row['seconds_per_epoch']:.3f}"
        ratio = "" if row["speedup"] is None else f"{row['speedup']:.1f}x"
        print(f"{row['model']:<6} {row['batch']:>5} {row['loop']:<28} {row['steps']:>5} {seconds:>9} {ratio:>11}")
        if row.get("error"):
            print(f"       {row['loop']}: {row['error']}")
    print("s/epoch: measured seconds per image x 60,000 (one epoch of MNIST's training set)")
    if qualities:
        print(f"\nquality after {args.quality_epochs} epoch(s) on {len(images):,} training images:")
        print(f"{'model':<6} {'loop':<8} {'seed':>4} {'Frechet':>9} {'floor':>7} {'coverage':>9}")
        for kind, name, seed, fd, floor, coverage in qualities:
            print(f"{kind:<6} {name:<8} {seed:>4} {fd:>9.1f} {floor:>7.1f} {coverage:>9g}")
        if args.seeds > 1:
            print_spread(qualities)
    return 0


def fast_variants(requested, kind: str, device: torch.device) -> list[str]:
    """The switch sets to time for ``kind``: the requested ones, else the defaults on a GPU."""
    if requested:
        return [text for text in requested if text != "none"]
    return list(DEFAULT_FAST_ON_CUDA[kind]) if device.type == "cuda" else []


def time_fast_path(kind: str, images: torch.Tensor, device: torch.device, batch: int, switches: str,
                   handout_epoch: float, steps: int) -> dict:
    """One fast-path row; a switch set that is refused or breaks is reported, not fatal."""
    row = {"model": kind, "loop": f"gan_lab+{switches}", "batch": batch, "steps": steps,
           "seconds_per_epoch": None, "speedup": None}
    try:
        fast = FastPath.parse(switches)
        seconds, count, _ = timed(fast_steps, device, kind, images, device, steps, batch, 0, fast)
    except FastPathError as exc:
        row["error"] = f"refused: {exc}"
        return row
    except Exception as exc:  # a fast path that breaks on this device is a finding, not a crash
        row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return row
    row["seconds_per_epoch"] = seconds / count * EPOCH_IMAGES
    row["speedup"] = handout_epoch / row["seconds_per_epoch"]
    return row


def print_spread(qualities: list[tuple]) -> None:
    """Mean and seed-to-seed spread per loop, and whether the loops differ by more than noise.

    The loops count as within noise when the difference of their means is at most twice its
    standard error, sqrt(s_handout^2 / n + s_gan_lab^2 / n), from the seeds' sample std s.
    """
    print(f"\n{'model':<6} {'measure':<9} {'handout mean +- std':>22} {'gan_lab mean +- std':>22} "
          f"{'difference':>11} {'2 x s.e.':>9}  verdict")
    for kind in dict.fromkeys(row[0] for row in qualities):
        for column, measure in ((3, "Frechet"), (5, "coverage")):
            per_loop = {name: [row[column] for row in qualities if row[:2] == (kind, name)]
                        for name in ("handout", "gan_lab")}
            means = {name: statistics.mean(values) for name, values in per_loop.items()}
            stds = {name: statistics.stdev(values) for name, values in per_loop.items()}
            n = len(per_loop["handout"])
            difference = means["gan_lab"] - means["handout"]
            band = 2 * (stds["handout"] ** 2 / n + stds["gan_lab"] ** 2 / n) ** 0.5
            verdict = "within noise" if abs(difference) <= band else "differs beyond noise"
            cells = [f"{means[name]:.1f} +- {stds[name]:.1f}" for name in ("handout", "gan_lab")]
            print(f"{kind:<6} {measure:<9} {cells[0]:>22} {cells[1]:>22} {difference:>+11.1f} "
                  f"{band:>9.1f}  {verdict}")


if __name__ == "__main__":
    sys.exit(main())
