"""Tests for gan_lab.imaging: generator output to displayable (B, C, H, W) in [0, 1]."""
import pytest
import torch

from gan_lab.imaging import to_image_batch


@pytest.mark.parametrize(("fill", "expected"), [(-1.0, 0.0), (0.0, 0.5), (1.0, 1.0)])
def test_constant_batches_map_by_the_known_range(fill, expected):
    """Does a constant batch land where the known range puts it, not where min-max would?"""
    images = torch.full((4, 1, 8, 8), fill)
    mapped = to_image_batch(images, (-1.0, 1.0))
    # Min-max rescaling has no answer for a constant batch (0 / 0) and would hide this.
    assert torch.equal(mapped, torch.full_like(mapped, expected))


def test_images_in_the_wrong_range_stay_visibly_wrong():
    """Does a [0, 1] batch shown as [-1, 1] stay in the upper half, so the range bug shows?"""
    images = torch.rand(16, 1, 8, 8)
    mapped = to_image_batch(images, (-1.0, 1.0))
    assert mapped.min() >= 0.5
    assert torch.allclose(mapped, (images + 1) / 2)


def test_other_known_ranges_map_linearly():
    """Are 8-bit style values in (0, 255) mapped linearly onto [0, 1]?"""
    images = torch.tensor([0.0, 51.0, 255.0, 255.0]).reshape(1, 1, 2, 2)
    mapped = to_image_batch(images, (0.0, 255.0))
    assert torch.allclose(mapped.flatten(), torch.tensor([0.0, 0.2, 1.0, 1.0]))


def test_values_outside_the_range_are_clamped():
    """Do values past the range clamp to black and white instead of overflowing?"""
    images = torch.tensor([-3.0, 3.0]).reshape(2, 1, 1, 1)
    assert to_image_batch(images).flatten().tolist() == [0.0, 1.0]


def test_flat_vectors_become_square_single_channel_images():
    """Is a (B, 784) batch reshaped to (B, 1, 28, 28) in row-major order?"""
    flat = torch.linspace(-1, 1, 3 * 784).reshape(3, 784)
    mapped = to_image_batch(flat)
    assert mapped.shape == (3, 1, 28, 28)
    assert torch.allclose(mapped[1, 0, 0], (flat[1, :28] + 1) / 2)


def test_non_square_flat_vectors_are_rejected():
    """Does a flat size with no square side fail, naming the size it found?"""
    with pytest.raises(ValueError, match=r"perfect square.*found 783"):
        to_image_batch(torch.zeros(2, 783))


@pytest.mark.parametrize("shape", [(784,), (2, 28, 28), (1, 2, 1, 28, 28)])
def test_other_shapes_are_rejected(shape):
    """Are shapes that are neither (B, C, H, W) nor (B, H*W) refused with the shape found?"""
    with pytest.raises(ValueError, match=r"\(B, C, H, W\) or flat \(B, H\*W\)"):
        to_image_batch(torch.zeros(shape))


@pytest.mark.parametrize("value_range", [(1.0, -1.0), (0.5, 0.5)])
def test_an_empty_or_reversed_range_is_rejected(value_range):
    """Is a value_range without hi > lo refused instead of dividing by zero or flipping?"""
    with pytest.raises(ValueError, match="hi > lo"):
        to_image_batch(torch.zeros(1, 1, 2, 2), value_range)


def test_an_empty_batch_is_rejected():
    """Does an empty batch fail here rather than deep inside make_grid?"""
    with pytest.raises(ValueError, match="at least one image"):
        to_image_batch(torch.zeros(0, 1, 28, 28))


def test_result_is_a_detached_cpu_float_tensor(device):
    """Is the result detached float32 on the CPU, whatever device and dtype came in?"""
    weight = torch.ones((), requires_grad=True)
    images = (torch.zeros(2, 1, 4, 4).to(device) * weight.to(device)).half()
    mapped = to_image_batch(images)
    assert mapped.device.type == "cpu"
    assert mapped.dtype == torch.float32
    assert not mapped.requires_grad
