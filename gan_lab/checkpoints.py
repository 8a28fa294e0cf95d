"""Checkpoints of a training run: save, load, resume, and the generator weights to sample from.

A checkpoint holds everything a resumed run needs to continue exactly: both networks, both
optimizers, G's weight average where the recipe keeps one, the random number generators (CPU and
GPU, through ``gan_lab.device``), the loader's shuffling state, the loss history and the run's
options.
"""
from __future__ import annotations

from pathlib import Path

import torch

from gan_lab.device import rng_state, set_rng_state
from gan_lab.errors import UsageError
from gan_lab.recipes import KINDS, Recipe, build_recipe
from gan_lab.training import History

CHECKPOINT_FORMAT = 1


class CheckpointError(UsageError):
    """A checkpoint the user named is missing, unreadable, or does not fit what was asked."""


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
        "rng": rng_state(),
        "loader_rng": loader.get_state() if hasattr(loader, "get_state") else None,
        "history": dict(history),
        "options": options,
    }
    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)  # a crash mid-save never leaves a half-written checkpoint


def find_checkpoint(run: str | Path) -> Path:
    """A run folder's ``checkpoints/last.pt``, or the checkpoint file itself."""
    run = Path(run)
    if run.is_file():
        return run
    last = run / "checkpoints" / "last.pt"
    if not last.is_file():
        raise CheckpointError(f"{run}: no checkpoints/last.pt (expected a run folder written by gan-lab train)")
    return last


def load_checkpoint(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises several types for a damaged file
        raise CheckpointError(f"{path}: not a readable gan-lab checkpoint ({type(exc).__name__}: {exc})") from exc
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT \
            or payload.get("kind") not in KINDS:
        raise CheckpointError(f"{path}: not a gan-lab checkpoint (format {CHECKPOINT_FORMAT} expected)")
    return payload


def resume(path: str | Path, recipe: Recipe, loader, average, epochs: int) -> tuple[dict, int]:
    """Load a checkpoint of ``recipe``'s kind into the run's parts; (its history, the epoch to
    start from). Refuses another kind's checkpoint and a run already ``epochs`` long."""
    state = load_checkpoint(path)
    if state["kind"] != recipe.kind:
        raise CheckpointError(f"{path}: checkpoint is for {state['kind']!r}, not {recipe.kind!r}")
    recipe.generator.load_state_dict(state["generator"])
    recipe.discriminator.load_state_dict(state["discriminator"])
    recipe.g_optimizer.load_state_dict(state["g_optimizer"])
    recipe.d_optimizer.load_state_dict(state["d_optimizer"])
    if average is not None:
        if state.get("generator_average") is None:
            raise CheckpointError(f"{path}: checkpoint has no weight average, which the {recipe.kind} "
                                  "recipe keeps; it was written by an older gan-lab, so start afresh")
        average.load_state_dict(state["generator_average"])
    set_rng_state(state["rng"])
    if state["loader_rng"] is not None:
        loader.set_state(state["loader_rng"])
    start_epoch = state["epoch"] + 1
    if start_epoch >= epochs:
        raise CheckpointError(f"{path}: run already finished epoch {state['epoch'] + 1} of "
                              f"{epochs}; ask for more --epochs to continue")
    return {key: list(values) for key, values in state["history"].items()}, start_epoch


def sampling_weights(state: dict) -> dict:
    """The generator weights a checkpoint's samples come from: its weight average, if kept."""
    average = state.get("generator_average")
    if average is None:
        return state["generator"]
    prefix = "module."
    return {key[len(prefix):]: value for key, value in average.items() if key.startswith(prefix)}


def sampling_recipe(state: dict, device: torch.device) -> Recipe:
    """The checkpoint's recipe on ``device``, its G holding the weights to sample from, in eval mode."""
    recipe = build_recipe(state["kind"], device)
    recipe.generator.load_state_dict(sampling_weights(state))
    recipe.generator.eval()
    return recipe
