"""Turn generator output into images ready to show: the one helper plotting and tracking share.

Generators in this course emit either flat vectors (the MLP GAN: (B, 784)) or image batches
(the DCGAN: (B, C, H, W)), in the range their last activation gives (Tanh: [-1, 1]). Display
code wants (B, C, H, W) in [0, 1]. The mapping uses the range the images are *supposed* to
have, never their observed min and max: min-max rescaling stretches any output to fill
[0, 1], so a generator stuck in [0, 1] instead of [-1, 1] looks exactly like a healthy one.
With the known range, such a bug shows up as washed-out, too-bright images.
"""
from __future__ import annotations

import math

import torch

ValueRange = tuple[float, float]


def to_image_batch(images: torch.Tensor, value_range: ValueRange = (-1.0, 1.0)) -> torch.Tensor:
    """Map a batch from its known ``value_range`` to [0, 1], as (B, C, H, W) on the CPU.

    Flat vectors are taken as square single-channel images (784 -> 1 x 28 x 28). Values
    outside ``value_range`` are clamped, so they show as pure black or white.

    Args:
        images: (B, C, H, W) images, or (B, H*W) flat vectors with H == W.
        value_range: (lo, hi), the range the generator is meant to produce; lo maps to 0
            and hi to 1.

    Returns:
        A detached float32 CPU tensor of shape (B, C, H, W) with values in [0, 1].
    """
    lo, hi = (float(v) for v in value_range)
    if not hi > lo:
        raise ValueError(f"value_range must be (lo, hi) with hi > lo; found {value_range}")
    if images.numel() == 0:
        raise ValueError(f"expected at least one image, found shape {tuple(images.shape)}")
    if images.dim() == 2:
        batch, size = images.shape
        side = math.isqrt(size)
        if side * side != size:
            raise ValueError(
                "flat images must be square single-channel images: expected a size that is "
                f"a perfect square (such as 784 = 28 * 28), found {size}"
            )
        images = images.reshape(batch, 1, side, side)  # (B, H*W) -> (B, 1, H, W)
    elif images.dim() != 4:
        raise ValueError(
            "images must be (B, C, H, W) or flat (B, H*W); "
            f"found {images.dim()} dimensions, shape {tuple(images.shape)}"
        )
    # Plotting and event files both need host memory; detach so no graph is kept alive.
    images = images.detach().to(device="cpu", dtype=torch.float32)
    return ((images - lo) / (hi - lo)).clamp(0.0, 1.0)
