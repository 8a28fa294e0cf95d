"""Quality of a trained run: sample its generator, measure against real data and floors."""
from __future__ import annotations

from pathlib import Path

import torch

from gan_lab.checkpoints import find_checkpoint, load_checkpoint, sampling_recipe
from gan_lab.metrics.image import evaluate_images
from gan_lab.metrics.toy import evaluate_toy


def evaluate_run(run: str | Path, *, data_root: str | Path = "data", n: int | None = None,
                 seed: int = 0, device: str = "auto") -> tuple[str, dict, str]:
    """(kind, results, which weights) for the run's last checkpoint.

    Samples come from the generator's weight average where the run kept one ("weight
    average"), else from its last weights ("last weights").

    Image GANs: ``n`` samples (default: half the real test split, so the floor compares two
    real halves of the same size) against the real test digits at the generator's resolution.
    The 1-D toy: ``n`` samples (default 10,000) against N(4, 1.25^2).
    """
    from gan_lab.data import mnist_tensors
    from gan_lab.device import get_device

    state = load_checkpoint(find_checkpoint(run))
    torch_device = get_device(device)
    recipe = sampling_recipe(state, torch_device)
    weights = "last weights" if state.get("generator_average") is None else "weight average"
    generator = torch.Generator(torch_device).manual_seed(seed)
    if not recipe.makes_images:
        with torch.no_grad():
            samples = recipe.generator(recipe.noise(n or 10_000, generator))
        return state["kind"], evaluate_toy(samples.flatten().cpu().numpy(), seed=seed), weights
    real, _ = mnist_tensors(data_root, train=False, image_size=recipe.image_shape[-1])
    count = n or len(real) // 2
    fakes = []
    with torch.no_grad():
        for start in range(0, count, 500):
            z = recipe.noise(min(500, count - start), generator)
            fakes.append(recipe.generator(z).reshape(-1, *recipe.image_shape).cpu())
    return state["kind"], evaluate_images(torch.cat(fakes), real, seed=seed), weights
