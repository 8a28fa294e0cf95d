"""Switches that make training faster, each one explicit and each refused where it cannot work.

    FastPath.parse("graph")                  the MLP GAN on a GPU
    FastPath.parse("bf16,channels_last")     the DCGAN on a GPU
    FastPath.parse("none")                   plain eager float32 (the default everywhere)

- ``graph``: one whole GAN step (the D update, then the G update, optimizer steps and the noise
  included) is captured once as a CUDA graph and replayed for every batch, so a step costs one
  launch instead of a few hundred. Small models (the MLP GAN) are launch-bound on a GPU, which
  is where this pays. A last batch shorter than the others is left out, as ``drop_last`` does:
  a graph replays fixed shapes.
- ``bf16``: G's and D's forward passes run under bfloat16 autocast; the losses are computed in
  float32 from their outputs. Halves the memory traffic of convolutions on a GPU.
- ``channels_last``: convolution weights and image batches in NHWC layout, which the GPU's
  tensor-core kernels read without a transpose. Only for models with convolutions.
- ``compile``: ``torch.compile`` on G and D (kernels fused by Inductor). The first steps pay
  the compilation, so it helps long runs only. With ``graph``, the warm-up steps before the
  capture compile, and the graph then replays Inductor's fused kernels.

A switch that cannot work where training runs (a CUDA graph on a CPU, bf16 on a GPU without
it, channels_last on a model without convolutions) raises ``FastPathError`` saying why; it is
never silently ignored. ``fastest(kind, device)`` is what ``gan-lab train`` uses by default:
the switches measured fastest for each model on that kind of device (benchmarks/RESULTS.md).
"""
from __future__ import annotations

import contextlib
import dataclasses
import shutil
from typing import Optional

import torch
from torch import nn

from gan_lab.errors import UsageError

SWITCHES = ("graph", "bf16", "channels_last", "compile")


class FastPathError(UsageError):
    """A fast-path switch was asked for that cannot work here; the message says why."""


@dataclasses.dataclass(frozen=True)
class FastPath:
    """Which speed-ups ``gan_lab.training.train`` applies (all off by default)."""

    graph: bool = False
    bf16: bool = False
    channels_last: bool = False
    compile: bool = False

    @classmethod
    def parse(cls, text: str) -> "FastPath":
        """``"none"`` or a comma-separated list of switches, e.g. ``"bf16,channels_last"``."""
        if not isinstance(text, str):
            raise FastPathError(f"fast path: expected 'none' or a comma-separated list of "
                                f"{', '.join(SWITCHES)}; got {text!r}")
        words = [word.strip() for word in text.split(",") if word.strip()]
        if words == ["none"]:
            return cls()
        unknown = [word for word in words if word not in SWITCHES]
        if unknown or not words:
            raise FastPathError(f"fast path: unknown switch {', '.join(map(repr, unknown)) or repr(text)}; "
                                f"expected 'none' or a comma-separated list of {', '.join(SWITCHES)}")
        return cls(**{word: True for word in words})

    def __str__(self) -> str:
        on = [name for name in SWITCHES if getattr(self, name)]
        return ",".join(on) if on else "none"

    @property
    def autocast_dtype(self) -> Optional[torch.dtype]:
        return torch.bfloat16 if self.bf16 else None

    def check(self, device: torch.device, generator: nn.Module, discriminator: nn.Module) -> None:
        """Raise ``FastPathError`` for any switch that cannot work on ``device`` with these models."""
        from gan_lab.device import supports_bf16

        if self.graph and device.type != "cuda":
            raise FastPathError(f"graph: CUDA graphs record and replay GPU work, but training runs "
                                f"on {device}; drop 'graph' or train on a GPU")
        if self.bf16 and not supports_bf16(device):
            raise FastPathError(f"bf16: {device} has no native bfloat16 (GPUs have it from Ampere, "
                                "compute capability 8.0, on); drop 'bf16'")
        if self.channels_last:
            for name, model in (("generator", generator), ("discriminator", discriminator)):
                if not has_convolutions(model):
                    raise FastPathError(f"channels_last: the {name} ({type(model).__name__}) has no "
                                        "convolution, so the memory layout would change nothing; "
                                        "drop 'channels_last'")
        if self.compile and device.type == "cpu" and compiler_missing():
            raise FastPathError("compile: torch.compile builds C++ kernels on the CPU and no C++ "
                                "compiler (g++, c++ or clang++) is on PATH; install one or drop 'compile'")

    def prepare(self, generator: nn.Module, discriminator: nn.Module) -> tuple[nn.Module, nn.Module]:
        """Models to call while training: laid out channels-last (in place) and/or compiled.

        The compiled wrappers share their parameters with the originals, so optimizers,
        checkpoints and weight averages keep using ``generator`` and ``discriminator``.
        """
        if self.channels_last:
            generator.to(memory_format=torch.channels_last)
            discriminator.to(memory_format=torch.channels_last)
        if self.compile:
            return torch.compile(generator), torch.compile(discriminator)
        return generator, discriminator

    def layout(self, batch: torch.Tensor) -> torch.Tensor:
        """An image batch in the layout the models expect."""
        if self.channels_last and batch.dim() == 4:
            return batch.contiguous(memory_format=torch.channels_last)
        return batch


def has_convolutions(model: nn.Module) -> bool:
    return any(isinstance(module, nn.modules.conv._ConvNd) for module in model.modules())


def compiler_missing() -> bool:
    return not any(shutil.which(name) for name in ("g++", "c++", "clang++"))


def autocast(device: torch.device, dtype: Optional[torch.dtype]):
    """bfloat16 autocast on ``device`` when ``dtype`` is given, else nothing.

    The autocast cache stays off: it would keep weight copies across a CUDA graph capture.
    """
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype, cache_enabled=False)


class InBFloat16(nn.Module):
    """``module`` run under bfloat16 autocast, its output handed back in float32.

    For training code written without autocast in mind (a lab's own training step): wrap G and
    D, and their forward passes run in bfloat16 while every loss computed from their outputs
    stays float32 (CUDA autocast refuses ``binary_cross_entropy`` on half-precision inputs).
    The parameters are ``module``'s own, so optimizers built on ``module`` keep working.
    """

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with autocast(x.device, torch.bfloat16):
            out = self.module(x)
        return out.float()


# What the GPU check measured fastest per model on an H200 (benchmarks/RESULTS.md, "GPU"):
# the MLP GAN 0.18 s per 60,000-image epoch with a graph (1.5 s eager), the DCGAN 1.7 s with
# graph, bf16 and channels_last (6.3 s eager, 2.4 s with a graph alone). torch.compile lost on
# both, its compilation included. On a CPU every switch is off: graphs need a GPU, and
# compiling costs more time than a lab's run saves.
_FASTEST_ON_CUDA = {
    "mlp": FastPath(graph=True),
    "dcgan": FastPath(graph=True, bf16=True, channels_last=True),
}


def fastest(kind: str, device: torch.device) -> FastPath:
    """The fastest measured switches for recipe ``kind`` on ``device`` (none on a CPU)."""
    if device.type != "cuda":
        return FastPath()
    return _FASTEST_ON_CUDA.get(kind, FastPath())
