"""Convolutional GANs.

- ``DCGANGenerator`` / ``DCGANDiscriminator``: the DCGAN notes' models (from the PyTorch-GAN
  ``dcgan`` implementation), for square images whose side is a multiple of 16, e.g. MNIST
  resized to 32x32. D ends in a Sigmoid.
- ``build_dc_generator`` / ``build_dc_classifier``: CS231n's small DCGAN on 28x28 digits
  stored flat as (B, 784). D returns logits.
"""
from __future__ import annotations

import torch
from torch import nn

from gan_lab.models._checks import check_size

Tensor = torch.Tensor

# The discriminator halves the image four times, and its Linear layer is sized from
# img_size // 16, which only matches the real feature map when img_size is a multiple of 16.
_DOWNSAMPLE_FACTOR = 2**4


def weights_init_normal(module: nn.Module) -> None:
    """DCGAN initialisation, for ``model.apply(weights_init_normal)``.

    Conv, transposed conv and Linear weights ~ N(0, 0.02^2) with zero bias; BatchNorm scales
    ~ N(1, 0.02^2) with zero shift. The DCGAN paper reports this small, fixed spread trains
    more reliably than the fan-in based defaults.
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        if module.weight is not None:  # None when built with affine=False
            nn.init.normal_(module.weight, mean=1.0, std=0.02)
            nn.init.zeros_(module.bias)


def _check_img_size(img_size: int) -> int:
    img_size = check_size("img_size", img_size)
    if img_size % _DOWNSAMPLE_FACTOR != 0:
        raise ValueError(
            f"img_size must be a multiple of {_DOWNSAMPLE_FACTOR} (the discriminator has four "
            f"stride-2 convolutions), got {img_size}; e.g. resize 28x28 MNIST to 32"
        )
    return img_size


class DCGANGenerator(nn.Module):
    """Noise -> image in [-1, 1]: project to a small 128-channel map, then upsample twice.

    ``BatchNorm2d(c, 0.8)`` is kept from the reference on purpose: the second positional
    argument of ``BatchNorm2d`` is ``eps``, not ``momentum``, so these layers divide by
    sqrt(var + 0.8). Spotting that is one of the course's reading exercises.

    Shape:
        z: (B, latent_dim) -> (B, channels, img_size, img_size)
    """

    def __init__(
        self,
        latent_dim: int = 100,
        img_size: int = 32,
        channels: int = 1,
        *,
        init_weights: bool = True,
    ) -> None:
        super().__init__()
        self.latent_dim = check_size("latent_dim", latent_dim)
        self.img_size = _check_img_size(img_size)
        self.channels = check_size("channels", channels)
        self.init_size = self.img_size // 4  # two x2 upsamplings bring it back to img_size
        self.project = nn.Linear(self.latent_dim, 128 * self.init_size**2)
        self.conv_blocks = nn.Sequential(
            nn.BatchNorm2d(128),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(128, 128, 3, stride=1, padding=1),
            nn.BatchNorm2d(128, 0.8),  # positional 0.8 is eps, not momentum
            nn.LeakyReLU(0.2),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(128, 64, 3, stride=1, padding=1),
            nn.BatchNorm2d(64, 0.8),  # eps again
            nn.LeakyReLU(0.2),
            nn.Conv2d(64, self.channels, 3, stride=1, padding=1),
            nn.Tanh(),
        )
        if init_weights:
            self.apply(weights_init_normal)

    def forward(self, z: Tensor) -> Tensor:
        x = self.project(z)  # (B, 128 * init_size**2)
        x = x.view(-1, 128, self.init_size, self.init_size)  # (B, 128, init_size, init_size)
        return self.conv_blocks(x)  # (B, channels, img_size, img_size)


def discriminator_block(
    in_channels: int, out_channels: int, batch_norm: bool = True
) -> list[nn.Module]:
    """One discriminator stage: a stride-2 conv halves height and width.

    Returned as a list so stages can be spliced into one ``nn.Sequential``.
    """
    block: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Dropout2d(0.25),
    ]
    if batch_norm:
        block.append(nn.BatchNorm2d(out_channels, 0.8))  # positional 0.8 is eps, not momentum
    return block


class DCGANDiscriminator(nn.Module):
    """Image -> probability that it is real, through four stride-2 conv stages.

    Shape:
        img: (B, channels, img_size, img_size) -> (B, 1)
    """

    def __init__(
        self, img_size: int = 32, channels: int = 1, *, init_weights: bool = True
    ) -> None:
        super().__init__()
        self.img_size = _check_img_size(img_size)
        self.channels = check_size("channels", channels)
        self.conv_blocks = nn.Sequential(
            # DCGAN paper: no BatchNorm on the discriminator's input layer.
            *discriminator_block(self.channels, 16, batch_norm=False),
            *discriminator_block(16, 32),
            *discriminator_block(32, 64),
            *discriminator_block(64, 128),
        )
        self.final_size = self.img_size // _DOWNSAMPLE_FACTOR
        self.classifier = nn.Sequential(nn.Linear(128 * self.final_size**2, 1), nn.Sigmoid())
        if init_weights:
            self.apply(weights_init_normal)

    def forward(self, img: Tensor) -> Tensor:
        features = self.conv_blocks(img)  # (B, 128, final_size, final_size)
        features = features.flatten(1)  # (B, 128 * final_size**2)
        return self.classifier(features)  # (B, 1)


def build_dc_classifier() -> nn.Sequential:
    """CS231n's small DCGAN discriminator: (B, 784) flat digits -> (B, 1) logits."""
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),  # (B, 784) -> (B, 1, 28, 28)
        nn.Conv2d(1, 32, 5),  # -> (B, 32, 24, 24)
        nn.LeakyReLU(0.01),
        nn.MaxPool2d(2, 2),  # -> (B, 32, 12, 12)
        nn.Conv2d(32, 64, 5),  # -> (B, 64, 8, 8)
        nn.LeakyReLU(0.01),
        nn.MaxPool2d(2, 2),  # -> (B, 64, 4, 4)
        nn.Flatten(),  # -> (B, 1024)
        nn.Linear(1024, 1024),
        nn.LeakyReLU(0.01),
        nn.Linear(1024, 1),
    )


def build_dc_generator(latent_dim: int = 96) -> nn.Sequential:
    """CS231n's small DCGAN generator: (B, latent_dim) -> (B, 784) flat digits in [-1, 1]
    (CS231n's ``noise_dim``)."""
    latent_dim = check_size("latent_dim", latent_dim)
    return nn.Sequential(
        nn.Linear(latent_dim, 1024),
        nn.ReLU(),
        nn.BatchNorm1d(1024),
        nn.Linear(1024, 7 * 7 * 128),
        nn.ReLU(),
        nn.BatchNorm1d(7 * 7 * 128),
        nn.Unflatten(1, (128, 7, 7)),  # (B, 6272) -> (B, 128, 7, 7)
        nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1),  # -> (B, 64, 14, 14)
        nn.ReLU(),
        nn.BatchNorm2d(64),
        nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1),  # -> (B, 1, 28, 28)
        nn.Tanh(),
        nn.Flatten(),  # -> (B, 784)
    )
