"""The course's four GANs as recipes (mlp, dcgan, lsgan, toy1d): models, optimizers, noise, data.

A recipe gathers what one lab trains with; ``gan_lab.runs.run`` trains one with TensorBoard logs
and checkpoints, and ``gan_lab.checkpoints`` rebuilds one to sample from. Each recipe states its
noise size (``latent_dim``) once: the generator, the training noise and the fixed grid noise
follow from it.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Callable, Optional

import torch
from torch import nn

from gan_lab import data as gan_data
from gan_lab.kinds import KINDS
from gan_lab.objectives import BCE, LEAST_SQUARES, Objective
from gan_lab.training import identity

TOY_STEPS_PER_EPOCH = 500
GRID_SIZE = 64  # samples in an image GAN's fixed grid
TOY_SAMPLES = 1000  # samples of the toy's fixed noise, enough to draw its density


def _gaussian(n, latent_dim, device, generator):
    return gan_data.latent_noise(n, latent_dim, device, generator)


def _signed_uniform(n, latent_dim, device, generator):  # CS231n's noise: uniform in (-1, 1)
    return 2 * torch.rand(n, latent_dim, device=device, generator=generator) - 1


def _uniform(n, latent_dim, device, generator):  # the toy's noise: uniform in [0, 1)
    return gan_data.uniform_noise(n, latent_dim, device, generator)


@dataclasses.dataclass
class Recipe:
    """Everything one kind of GAN needs apart from the run's own options."""

    kind: str
    generator: nn.Module
    discriminator: nn.Module
    d_optimizer: torch.optim.Optimizer
    g_optimizer: torch.optim.Optimizer
    latent_dim: int  # the noise size: G's input
    draw_noise: Callable[..., torch.Tensor]  # draw_noise(n, latent_dim, device, generator)
    device: torch.device
    objective: Objective
    batch_size: int
    num_epochs: int  # the full run's length
    image_shape: Optional[tuple[int, int, int]]  # (C, H, W) for image GANs, None for the toy
    prepare: Callable[[torch.Tensor], torch.Tensor] = identity
    # g_lr_schedule(epoch, num_epochs): G's lr in that epoch, as a fraction of the recipe's lr;
    # None keeps it constant. D's lr always stays: a D that keeps learning while G settles keeps
    # showing G what is left to fix (two time scales).
    g_lr_schedule: Optional[Callable[[int, int], float]] = None
    # Samples come from an exponential moving average of G's weights with this decay
    # (``training.weight_average``); None samples from G's last weights.
    average_decay: Optional[float] = None
    # CPU threads while training on the CPU; None keeps torch's default (one per core). Tiny
    # models run fastest on one: splitting a 100 x 50 matmul costs more than it saves.
    cpu_threads: Optional[int] = None

    @property
    def makes_images(self) -> bool:
        """Whether G draws images (the digits) rather than 1-D samples (the toy)."""
        return self.image_shape is not None

    def noise(self, n: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """(n, latent_dim) noise on the recipe's device."""
        return self.draw_noise(n, self.latent_dim, self.device, generator)

    def fixed_noise(self, seed: int) -> torch.Tensor:
        """The same noise on every call with ``seed``: an image grid's, or the toy's density's."""
        generator = torch.Generator(self.device).manual_seed(seed)
        return self.noise(GRID_SIZE if self.makes_images else TOY_SAMPLES, generator)


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

    if kind == "mlp":
        latent_dim = 100
        g = models.MLPGenerator(latent_dim, 256, 784).to(device)
        d = models.MLPDiscriminator(784, 256).to(device)
        # Samples from G's weight average over roughly its last 1,000 steps cover all 10 digits
        # at 28,000 steps on 3 seeds of 3, the last weights on 1; the rarest digit still sits
        # near the 1% line and the Fréchet distance is unchanged (benchmarks/RESULTS.md).
        return Recipe(kind, g, d, _adam(d, 2e-4), _adam(g, 2e-4), latent_dim, _gaussian, device, BCE,
                      batch_size=128, num_epochs=30, image_shape=(1, 28, 28), average_decay=0.999)
    if kind == "dcgan":
        latent_dim = 100
        g = models.DCGANGenerator(latent_dim, 32, 1).to(device)
        d = models.DCGANDiscriminator(32, 1).to(device)
        # The weight average's Fréchet distance kept falling where the last weights' stalled
        # (19.0 against 27.2 after 6,500 steps; benchmarks/RESULTS.md).
        return Recipe(kind, g, d, _adam(d, 2e-4, (0.5, 0.999)), _adam(g, 2e-4, (0.5, 0.999)), latent_dim,
                      _gaussian, device, BCE, batch_size=64, num_epochs=20, image_shape=(1, 32, 32),
                      average_decay=0.999)
    if kind == "lsgan":
        latent_dim = 96
        g, d = models.vanilla_generator(latent_dim).to(device), models.vanilla_discriminator().to(device)
        return Recipe(kind, g, d, _adam(d, 1e-3, (0.5, 0.999)), _adam(g, 1e-3, (0.5, 0.999)), latent_dim,
                      _signed_uniform, device, LEAST_SQUARES, batch_size=128, num_epochs=10,
                      image_shape=(1, 28, 28))
    if kind == "toy1d":
        latent_dim, batch = 1, 100
        g = models.ToyGenerator(latent_dim, 50, 1).to(device)
        d = models.ToyDiscriminator(models.discriminator_input_size(batch, False), 100, 1).to(device)
        # Measured (benchmarks/RESULTS.md, "1-D toy"): with the write-up's unsorted, decorated
        # rows the mean and spread come right but not the shape (W1 and KS 20-30x their floors).
        # Sorted rows, a D 100 wide at a lower lr than G's, and G's lr falling along a cosine to
        # 0.1% while D's stays, with samples from an average of G's weights over roughly its last
        # 2,000 steps: W1 and KS within 2x of their 10,000-sample floors after 20,000 steps on
        # 4 of seeds 0-4 (seed 0: KS 2.7x); with both lrs decayed to 1%, on 2 of 5. The toy
        # lab's notebook trains the same way in its own loop (5 of 5 there).
        betas = (0.5, 0.999)
        return Recipe(kind, g, d, _adam(d, 2e-4, betas), _adam(g, 5e-4, betas), latent_dim, _uniform,
                      device, BCE, batch_size=batch, num_epochs=40, image_shape=None,
                      prepare=sorted_minibatch, g_lr_schedule=cosine_decay(0.001), average_decay=0.9995,
                      cpu_threads=1)
    raise ValueError(f"unknown GAN kind {kind!r}; expected one of {', '.join(KINDS)}")


class ToyBatches:
    """An 'epoch' of the 1-D toy: a fixed number of fresh N(4, 1.25^2) batches."""

    def __init__(self, batch_size: int, steps: int, device: torch.device):
        self.batch_size, self.steps, self.device = batch_size, steps, device

    def __len__(self) -> int:
        return self.steps

    def __iter__(self):
        for _ in range(self.steps):
            yield gan_data.gaussian_samples(self.batch_size, 4.0, 1.25, self.device)


def make_batches(recipe: Recipe, data_root: str | Path, batch_size: int, seed: int):
    """The recipe's training batches: MNIST on its device for image GANs, fresh draws for the toy."""
    if not recipe.makes_images:
        return ToyBatches(batch_size, TOY_STEPS_PER_EPOCH, recipe.device)
    images, labels = gan_data.mnist_tensors(data_root, train=True, image_size=recipe.image_shape[-1],
                                            device=recipe.device)
    return gan_data.DeviceLoader(images, labels, batch_size=batch_size, seed=seed)
