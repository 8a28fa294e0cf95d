"""Data for the labs: MNIST in the Tanh range, device-resident batches, and noise samplers.

Generators end in Tanh, so real images must live in [-1, 1] too. The handout's bare
``ToTensor()`` gives [0, 1]: the discriminator then tells real from fake by range alone (no
real pixel is ever negative) and the generator wastes half its output range.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

import torch
import torch.nn.functional as F

from gan_lab.mnist import prepare_mnist

# torchvision is imported where MNIST is read, not here: importing it loads torch._dynamo
# (about 1.8 s of CPU), which the toy lab, its grading and the CLI's start never need.
if TYPE_CHECKING:
    from torchvision import datasets, transforms


def tanh_range_transform(image_size: int = 28) -> transforms.Compose:
    """PIL digit -> (1, image_size, image_size) tensor in [-1, 1]."""
    from torchvision import transforms

    steps = [] if image_size == 28 else [transforms.Resize(image_size)]
    # ToTensor gives [0, 1]; (x - 0.5) / 0.5 maps that onto Tanh's [-1, 1].
    return transforms.Compose([*steps, transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])


def load_mnist(
    root: str | Path = "data",
    train: bool = True,
    image_size: int = 28,
    transform=None,
) -> datasets.MNIST:
    """``torchvision.datasets.MNIST`` in the Tanh range, preparing the files offline first."""
    from torchvision import datasets

    prepare_mnist(root)
    return datasets.MNIST(
        root=str(root), train=train, download=True,
        transform=transform if transform is not None else tanh_range_transform(image_size),
    )


def mnist_tensors(
    root: str | Path = "data",
    train: bool = True,
    image_size: int = 28,
    device: str | torch.device = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """The whole split as two tensors on ``device``.

    Returns:
        images: (N, 1, image_size, image_size) float32 in [-1, 1]
        labels: (N,) int64
    """
    from torchvision import datasets

    prepare_mnist(root)
    dataset = datasets.MNIST(root=str(root), train=train, download=True)
    images = dataset.data.to(device=device, dtype=torch.float32).unsqueeze(1)  # (N, 28, 28) -> (N, 1, 28, 28)
    images = images / 127.5 - 1.0  # [0, 255] -> [-1, 1], as ToTensor + Normalize(0.5, 0.5)
    if image_size != 28:
        images = F.interpolate(images, size=(image_size, image_size), mode="bilinear",
                               align_corners=False, antialias=True).clamp_(-1.0, 1.0)
    return images, dataset.targets.to(device)


class DeviceLoader:
    """Shuffled minibatches from tensors that already sit on the training device.

    One indexing op per batch replaces a DataLoader's per-image PIL decode, transform and
    host-to-device copy. The last, shorter batch is kept unless ``drop_last`` is set.
    """

    def __init__(
        self,
        *tensors: torch.Tensor,
        batch_size: int,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: Optional[int] = None,
    ):
        if not tensors:
            raise ValueError("DeviceLoader needs at least one tensor")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        n = len(tensors[0])
        for t in tensors:
            if len(t) != n or t.device != tensors[0].device:
                raise ValueError(
                    "DeviceLoader tensors must share length and device; got "
                    + ", ".join(f"{len(t)} on {t.device}" for t in tensors)
                )
        if n == 0:
            raise ValueError("DeviceLoader got an empty dataset")
        self.tensors = tensors
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.device = tensors[0].device
        # The permutation is drawn on the CPU so a seed gives the same order on every device.
        self._generator = torch.Generator()
        self._generator.manual_seed(seed if seed is not None else torch.initial_seed())

    def __len__(self) -> int:
        n = len(self.tensors[0])
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        n = len(self.tensors[0])
        order = torch.randperm(n, generator=self._generator) if self.shuffle else torch.arange(n)
        order = order.to(self.device)
        for batch in range(len(self)):
            index = order[batch * self.batch_size: (batch + 1) * self.batch_size]
            yield tuple(t[index] for t in self.tensors)

    def get_state(self) -> torch.Tensor:
        """The shuffling RNG state, for checkpoints that resume exactly."""
        return self._generator.get_state()

    def set_state(self, state: torch.Tensor) -> None:
        self._generator.set_state(state)


# --------------------------------------------------------------------------- noise and toy data
def _check_count(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def latent_noise(
    batch_size: int,
    latent_dim: int,
    device: str | torch.device = "cpu",
    generator: Optional[torch.Generator] = None,
) -> torch.Tensor:
    """z ~ N(0, I), shape (batch_size, latent_dim), drawn directly on ``device``."""
    _check_count("batch_size", batch_size)
    _check_count("latent_dim", latent_dim)
    return torch.randn(batch_size, latent_dim, device=device, generator=generator)


def gaussian_samples(
    n: int,
    mean: float = 4.0,
    std: float = 1.25,
    device: str | torch.device = "cpu",
    generator: Optional[torch.Generator] = None,
) -> torch.Tensor:
    """The 1-D toy's real data: n draws from N(mean, std^2), shape (n, 1)."""
    _check_count("n", n)
    if not std > 0:
        raise ValueError(f"std must be positive, got {std!r}")
    return mean + std * torch.randn(n, 1, device=device, generator=generator)


def uniform_noise(
    n: int,
    dim: int = 1,
    device: str | torch.device = "cpu",
    generator: Optional[torch.Generator] = None,
) -> torch.Tensor:
    """The 1-D toy's generator input: U[0, 1), shape (n, dim).

    Uniform rather than Gaussian on purpose: G cannot just shift and scale its input into the
    target, it has to bend it non-linearly.
    """
    _check_count("n", n)
    _check_count("dim", dim)
    return torch.rand(n, dim, device=device, generator=generator)
