"""Tests for gan_lab.data: the Tanh range, device-resident batches, noise samplers."""
import pytest
import torch

from gan_lab.data import (DeviceLoader, gaussian_samples, latent_noise, load_mnist, mnist_tensors,
                          tanh_range_transform, uniform_noise)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("mnist")
    from gan_lab.mnist import prepare_mnist

    prepare_mnist(root, download=False, announce=None)
    return root


def test_tensors_are_in_the_tanh_range_with_the_torchvision_values(data_root):
    """Do the fast tensors equal ToTensor + Normalize(0.5, 0.5) on the same digit?"""
    images, labels = mnist_tensors(data_root, train=False)
    assert images.shape == (1000, 1, 28, 28) and labels.shape == (1000,)
    assert images.min() == -1.0 and images.max() == 1.0
    dataset = load_mnist(data_root, train=False)
    image, label = dataset[17]
    assert torch.allclose(image, images[17], atol=1e-6) and label == labels[17]


def test_resize_to_32_for_the_dcgan(data_root):
    """Does image_size=32 give 32x32 images still inside [-1, 1]?"""
    images, _ = mnist_tensors(data_root, train=False, image_size=32)
    assert images.shape == (1000, 1, 32, 32)
    assert images.min() >= -1.0 and images.max() <= 1.0
    transformed = tanh_range_transform(32)(load_mnist(data_root, train=False, transform=lambda x: x)[0][0])
    assert transformed.shape == (1, 32, 32)


def test_device_loader_visits_every_sample_once_and_keeps_the_short_batch():
    """Does one epoch cover all 10 samples in batches of 4, 4 and a short 2?"""
    x = torch.arange(10)
    loader = DeviceLoader(x, batch_size=4, seed=0)
    batches = [b[0] for b in loader]
    assert [len(b) for b in batches] == [4, 4, 2] and len(loader) == 3
    assert sorted(torch.cat(batches).tolist()) == list(range(10))
    assert len(DeviceLoader(x, batch_size=4, drop_last=True)) == 2


def test_device_loader_is_seeded_and_reshuffles_each_epoch():
    """Same seed, same order; a second epoch, a new order?"""
    x = torch.arange(100)
    first = torch.cat([b[0] for b in DeviceLoader(x, batch_size=10, seed=3)])
    again = torch.cat([b[0] for b in DeviceLoader(x, batch_size=10, seed=3)])
    loader = DeviceLoader(x, batch_size=10, seed=3)
    epoch1, epoch2 = (torch.cat([b[0] for b in loader]) for _ in range(2))
    assert torch.equal(first, again) and not torch.equal(epoch1, epoch2)


def test_device_loader_state_round_trip():
    """Does restoring the saved state replay the same shuffle (for exact resume)?"""
    loader = DeviceLoader(torch.arange(50), batch_size=7, seed=1)
    state = loader.get_state()
    one = [b[0].tolist() for b in loader]
    loader.set_state(state)
    assert [b[0].tolist() for b in loader] == one


def test_device_loader_keeps_pairs_aligned():
    """Are images and labels indexed by the same permutation?"""
    x = torch.arange(20)
    for a, b in DeviceLoader(x, x * 10, batch_size=6, seed=0):
        assert torch.equal(b, a * 10)


@pytest.mark.parametrize("kwargs, message", [
    (dict(batch_size=0), "batch_size must be a positive integer, got 0"),
    (dict(batch_size=2.5), "batch_size must be a positive integer, got 2.5"),
])
def test_device_loader_rejects_bad_batch_sizes(kwargs, message):
    """Is a bad batch size named in the error?"""
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        DeviceLoader(torch.arange(3), **kwargs)


def test_device_loader_rejects_misaligned_tensors():
    """Do tensors of different lengths fail with both lengths named?"""
    with pytest.raises(ValueError, match="share length and device; got 3 on cpu, 4 on cpu"):
        DeviceLoader(torch.arange(3), torch.arange(4), batch_size=2)


def test_samplers_shapes_and_ranges(device):
    """Are latent noise Gaussian, toy noise in [0, 1) and toy data near N(4, 1.25^2)?"""
    g = torch.Generator().manual_seed(0)
    z = latent_noise(64, 100, device=device)
    assert z.shape == (64, 100) and z.device.type == device.type
    u = uniform_noise(10_000, generator=g)
    assert u.shape == (10_000, 1) and u.min() >= 0 and u.max() < 1
    real = gaussian_samples(20_000, generator=g)
    assert abs(real.mean().item() - 4.0) < 0.05 and abs(real.std().item() - 1.25) < 0.05


@pytest.mark.parametrize("call, message", [
    (lambda: latent_noise(0, 100), "batch_size must be a positive integer, got 0"),
    (lambda: latent_noise(8, -1), "latent_dim must be a positive integer, got -1"),
    (lambda: gaussian_samples(5, std=0), "std must be positive, got 0"),
    (lambda: uniform_noise(True), "n must be a positive integer, got True"),
])
def test_sampler_errors(call, message):
    """Are bad sizes rejected with what was given?"""
    with pytest.raises(ValueError, match=message):
        call()
