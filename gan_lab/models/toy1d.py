"""The 1-D Gaussian toy GAN ("GAN in 50 lines"): G learns to turn uniform noise into N(mu, sigma).

The discriminator does not judge one number at a time. It sees a whole minibatch as one row,
optionally followed by each sample's squared distance from the batch mean, so it can reject a
generator whose samples are all alike (a collapsed spread) even when each value looks
plausible on its own.
"""
from __future__ import annotations

import torch
from torch import nn

from gan_lab.models._checks import check_size

Tensor = torch.Tensor


class ToyGenerator(nn.Module):
    """Noise samples -> generated samples, one per row.

    The order of the nonlinearities (ELU after the first layer, Sigmoid after the second, none
    on the output so samples can take any value) is the original's.

    The original calls the noise size ``g_input_size``; the package calls it ``latent_dim``.

    Shape:
        z: (n, latent_dim) -> (n, output_size)
    """

    def __init__(self, latent_dim: int = 1, hidden_size: int = 50, output_size: int = 1) -> None:
        super().__init__()
        self.latent_dim = check_size("latent_dim", latent_dim)
        self.hidden_size = check_size("hidden_size", hidden_size)
        self.output_size = check_size("output_size", output_size)
        self.model = nn.Sequential(
            nn.Linear(self.latent_dim, self.hidden_size),
            nn.ELU(),
            nn.Linear(self.hidden_size, self.hidden_size),
            nn.Sigmoid(),
            nn.Linear(self.hidden_size, self.output_size),
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.model(z)


class ToyDiscriminator(nn.Module):
    """A minibatch row (see ``minibatch_features``) -> probability that the batch is real.

    The default ``input_size`` is ``discriminator_input_size(100, decorate=True)``.

    Shape:
        x: (1, input_size) -> (1, output_size)
    """

    def __init__(self, input_size: int = 200, hidden_size: int = 50, output_size: int = 1) -> None:
        super().__init__()
        self.input_size = check_size("input_size", input_size)
        self.hidden_size = check_size("hidden_size", hidden_size)
        self.output_size = check_size("output_size", output_size)
        self.model = nn.Sequential(
            nn.Linear(self.input_size, self.hidden_size),
            nn.ELU(),
            nn.Linear(self.hidden_size, self.hidden_size),
            nn.ELU(),
            nn.Linear(self.hidden_size, self.output_size),
            nn.Sigmoid(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)


def decorate_with_diffs(data: Tensor, exponent: float = 2.0) -> Tensor:
    """Append each value's distance from its row mean, raised to ``exponent``.

    With the default exponent these are squared deviations: D sees the batch's spread, not
    only its values. A non-integer exponent gives NaN for values below the mean.

    Shape:
        data: (1, n) -> (1, 2n); each row of a (R, n) input is decorated on its own.
    """
    if data.dim() != 2:
        raise ValueError(
            f"decorate_with_diffs expected a (1, n) row of samples, got shape {tuple(data.shape)}"
        )
    diffs = (data - data.mean(dim=1, keepdim=True)) ** exponent  # (1, n)
    return torch.cat([data, diffs], dim=1)  # (1, 2n)


def minibatch_features(samples: Tensor, decorate: bool = True) -> Tensor:
    """One minibatch of scalar samples -> the discriminator's input row.

    Shape:
        samples: (n, 1) -> (1, 2n) with ``decorate``, else (1, n)
    """
    if samples.dim() != 2 or samples.size(1) != 1:
        raise ValueError(
            f"minibatch_features expected (n, 1) samples, got shape {tuple(samples.shape)}"
        )
    row = samples.t()  # (n, 1) -> (1, n): the whole batch is one input to D
    return decorate_with_diffs(row) if decorate else row


def discriminator_input_size(batch_size: int, decorate: bool) -> int:
    """The ``input_size`` a ``ToyDiscriminator`` needs for ``minibatch_features`` rows."""
    batch_size = check_size("batch_size", batch_size)
    return 2 * batch_size if decorate else batch_size
