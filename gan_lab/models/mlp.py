"""Fully connected GANs on flattened 28x28 digits.

Two pairs live here:

- ``MLPGenerator`` / ``MLPDiscriminator``: the MLP lab's models. D ends in a Sigmoid, so it
  pairs with the probability losses (``bce_discriminator_loss``).
- ``vanilla_generator`` / ``vanilla_discriminator``: CS231n's vanilla GAN. D returns logits, so
  it pairs with ``discriminator_loss`` (BCE with logits), which is numerically safer than
  Sigmoid followed by a log.
"""
from __future__ import annotations

import torch
from torch import nn

from gan_lab.models._checks import check_size

Tensor = torch.Tensor


class MLPGenerator(nn.Module):
    """Noise ``z`` -> a flat image in [-1, 1] (Tanh, to match images scaled to [-1, 1]).

    Shape:
        z: (B, latent_dim) -> (B, output_dim)
    """

    def __init__(self, latent_dim: int = 100, hidden_dim: int = 256, output_dim: int = 784) -> None:
        super().__init__()
        self.latent_dim = check_size("latent_dim", latent_dim)
        self.hidden_dim = check_size("hidden_dim", hidden_dim)
        self.output_dim = check_size("output_dim", output_dim)
        self.model = nn.Sequential(
            nn.Linear(self.latent_dim, self.hidden_dim),
            nn.ReLU(),
            nn.Linear(self.hidden_dim, self.hidden_dim),
            nn.ReLU(),
            nn.Linear(self.hidden_dim, self.output_dim),
            nn.Tanh(),
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.model(z)


class MLPDiscriminator(nn.Module):
    """An image -> the probability that it is real (Sigmoid output).

    Shape:
        x: (B, input_dim) or (B, C, H, W) with C * H * W == input_dim -> (B, 1)
    """

    def __init__(self, input_dim: int = 784, hidden_dim: int = 256) -> None:
        super().__init__()
        self.input_dim = check_size("input_dim", input_dim)
        self.hidden_dim = check_size("hidden_dim", hidden_dim)
        # LeakyReLU keeps a gradient for negative pre-activations, so G still learns from a D
        # that confidently rejects its samples.
        self.model = nn.Sequential(
            nn.Linear(self.input_dim, self.hidden_dim),
            nn.LeakyReLU(0.1),
            nn.Linear(self.hidden_dim, self.hidden_dim),
            nn.LeakyReLU(0.1),
            nn.Linear(self.hidden_dim, 1),
            nn.Sigmoid(),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = x.flatten(1)  # (B, 1, 28, 28) -> (B, 784); a flat (B, 784) passes unchanged
        if x.size(1) != self.input_dim:
            raise ValueError(
                f"MLPDiscriminator expected {self.input_dim} values per sample, "
                f"got {x.size(1)} (input shape {tuple(x.shape)} after flattening)"
            )
        return self.model(x)


def vanilla_discriminator() -> nn.Sequential:
    """CS231n's vanilla GAN discriminator: (B, 1, 28, 28) or (B, 784) -> (B, 1) logits.

    No Sigmoid at the end: the loss applies it inside ``binary_cross_entropy_with_logits``.
    """
    return nn.Sequential(
        nn.Flatten(),  # (B, 1, 28, 28) -> (B, 784); a flat (B, 784) passes unchanged
        nn.Linear(784, 256),
        nn.LeakyReLU(0.01),
        nn.Linear(256, 256),
        nn.LeakyReLU(0.01),
        nn.Linear(256, 1),
    )


def vanilla_generator(latent_dim: int = 96) -> nn.Sequential:
    """CS231n's vanilla GAN generator: (B, latent_dim) -> (B, 784) flat images in [-1, 1].

    CS231n calls the noise size ``noise_dim``; the package calls it ``latent_dim`` throughout.
    """
    latent_dim = check_size("latent_dim", latent_dim)
    return nn.Sequential(
        nn.Linear(latent_dim, 1024),
        nn.ReLU(),
        nn.Linear(1024, 1024),
        nn.ReLU(),
        nn.Linear(1024, 784),
        nn.Tanh(),
    )
