"""One whole GAN step as a CUDA graph: captured once, replayed for every batch.

The step is the same code the eager loop runs (``training.discriminator_step`` then
``training.generator_step`` reusing the D step's G(z)); capturing it records every kernel it
launches, the noise draws and both optimizer updates included, and ``replay()`` relaunches them
all at once. What may change between replays lives in fixed buffers: the real batch is copied
into one before each replay and the losses are read from another.

As ``torch.cuda.graphs`` requires, a few eager steps on a side stream warm up the allocator
and the optimizers' state before the capture, and the optimizers are switched to their
capturable form (their step counts live on the GPU). Those warm-up steps are real training
steps on real batches. Autocast runs with its cache off inside the capture.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import nn

from gan_lab.objectives import Objective

Tensor = torch.Tensor
# Order of the values in the tensor ``GraphedStep.step`` returns.
STAT_KEYS = ("d_loss", "d_loss_real", "d_loss_fake", "g_loss", "d_real", "d_fake")


class GraphedCall:
    """``call(real)`` runs ``body(real)`` (one training step that returns a tensor) as a CUDA graph.

    ``body`` must keep every value on the GPU: a ``.item()`` or a ``print`` of a tensor inside
    it reads back to the CPU, which a capture forbids; the capture then fails with an error
    that says so. Its optimizers must have a ``capturable`` option (Adam, AdamW), which is
    switched on. Returns the body's tensor (a copy), or None for a batch whose shape differs
    from the captured one (it is skipped: a graph replays fixed shapes).
    """

    WARMUP_STEPS = 3

    def __init__(self, body: Callable[[Tensor], Tensor], optimizers: tuple[torch.optim.Optimizer, ...]):
        self.body = body
        for optimizer in optimizers:
            for group in optimizer.param_groups:
                if "capturable" not in group:
                    raise ValueError(f"graph: {type(optimizer).__name__} cannot be captured in a CUDA "
                                     "graph (it has no 'capturable' option); use Adam or AdamW")
                group["capturable"] = True
        self._warm = 0
        self._side = torch.cuda.Stream()
        self._graph: Optional[torch.cuda.CUDAGraph] = None
        self._real: Optional[Tensor] = None
        self._out: Optional[Tensor] = None

    @property
    def batch_shape(self) -> Optional[torch.Size]:
        """The captured batch shape (None before the capture)."""
        return None if self._real is None else self._real.shape

    def __call__(self, real: Tensor) -> Optional[Tensor]:
        if self._graph is None:
            if self._warm < self.WARMUP_STEPS:
                self._side.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(self._side):
                    out = self.body(real)
                torch.cuda.current_stream().wait_stream(self._side)
                self._warm += 1
                return out
            self._real = real.clone()
            graph = torch.cuda.CUDAGraph()
            try:
                with torch.cuda.graph(graph):
                    self._out = self.body(self._real)
            except RuntimeError as error:
                if "capturing" not in str(error) and "capture" not in str(error):
                    raise
                raise RuntimeError(
                    "graph: the training step could not be captured as a CUDA graph; it reads a "
                    "value back to the CPU (.item(), float(), print of a tensor, or an `if` on "
                    "a tensor). Keep the step's losses as tensors, or train without the graph. "
                    f"CUDA said: {error}") from error
            self._graph = graph  # capture records the work; the replay below does it
        if real.shape != self._real.shape:
            return None
        self._real.copy_(real)
        self._graph.replay()
        return self._out.clone()  # the next replay overwrites the static output


class GraphedStep(GraphedCall):
    """``step(real)`` runs one D update and one G update and returns their six statistics."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module,
                 d_optimizer: torch.optim.Optimizer, g_optimizer: torch.optim.Optimizer,
                 noise: Callable[[int], Tensor], objective: Objective,
                 prepare: Callable[[Tensor], Tensor], autocast_dtype: Optional[torch.dtype] = None):
        self.models = (generator, discriminator)
        self.optimizers = (d_optimizer, g_optimizer)
        self.noise, self.objective, self.prepare = noise, objective, prepare
        self.autocast_dtype = autocast_dtype
        super().__init__(self._body, self.optimizers)

    def _body(self, real: Tensor) -> Tensor:
        from gan_lab.training import discriminator_step, generator_step

        generator, discriminator = self.models
        d_optimizer, g_optimizer = self.optimizers
        stats = discriminator_step(generator, discriminator, d_optimizer, real, self.noise(len(real)),
                                   self.objective, self.prepare, autocast_dtype=self.autocast_dtype)
        g_loss = generator_step(generator, discriminator, g_optimizer, None, self.objective,
                                self.prepare, fake=stats.fake, autocast_dtype=self.autocast_dtype)
        return torch.stack([stats.d_loss, stats.d_loss_real, stats.d_loss_fake, g_loss,
                            stats.d_real, stats.d_fake])

    def step(self, real: Tensor) -> Optional[Tensor]:
        """Train on ``real``; returns the step's statistics (``STAT_KEYS`` order), or None
        for a batch whose shape differs from the captured one (it is skipped)."""
        return self(real)
