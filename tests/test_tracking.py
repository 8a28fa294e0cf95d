"""Tests for gan_lab.tracking: real TensorBoard event files, written and read back."""
import io
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from gan_lab.tracking import GanGraph, Tracker, fixed_noise, read_events, scalar_tag

LATENT_DIM = 8
SIDE = 4  # stand-in images are 4 x 4, flat size 16


class ShapeCheckedGenerator(nn.Module):
    """A stand-in G whose shape check makes the JIT tracer warn, as real models' checks do."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(LATENT_DIM, SIDE * SIDE), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.shape[1] != LATENT_DIM:  # traced as a constant: the tracer warns about this
            raise ValueError("wrong latent size")
        return self.body(z)


def make_discriminator() -> nn.Module:
    return nn.Sequential(nn.Linear(SIDE * SIDE, 1), nn.Sigmoid())


def decoded_images(logdir, tag):
    """Every image logged under ``tag``, decoded from its PNG to a uint8 array."""
    from tensorboard.backend.event_processing import event_accumulator as ea

    accumulator = ea.EventAccumulator(str(logdir), size_guidance={ea.IMAGES: 0})
    accumulator.Reload()
    return [np.asarray(Image.open(io.BytesIO(event.encoded_image_string)))
            for event in accumulator.Images(tag)]


@pytest.mark.parametrize(("name", "tag"), [
    ("d_loss", "loss/d_loss"),
    ("d_loss_real", "loss/d_loss_real"),
    ("d_loss_fake", "loss/d_loss_fake"),
    ("g_loss", "loss/g_loss"),
    ("d_real", "D/d_real"),
    ("d_fake", "D/d_fake"),
    ("fake_mean", "fake_mean"),
])
def test_scalar_tags_group_losses_and_discriminator_outputs(name, tag):
    """Do losses go under loss/, D's mean outputs under D/, and other names stay as given?"""
    assert scalar_tag(name) == tag


def test_a_short_run_is_read_back_exactly(tmp_path):
    """Are 3 epochs of grids, 5 steps of scalars and the graph all in the event files?"""
    generator, discriminator = ShapeCheckedGenerator(), make_discriminator()
    z = fixed_noise(6, LATENT_DIM)
    with Tracker(tmp_path) as tracker:
        tracker.log_gan_graph(generator, discriminator, z)
        for step in range(5):
            tracker.log_scalars(step, d_loss=1.0 + step, g_loss=torch.tensor(2.0 * step),
                                d_real=0.9, d_fake=torch.tensor(0.1))
        for epoch in range(3):
            tracker.log_image_grid("samples", generator(z), epoch, nrow=3)

    events = read_events(tmp_path)
    assert events["images"] == {"samples": [0, 1, 2]}
    assert set(events["scalars"]) == {"loss/d_loss", "loss/g_loss", "D/d_real", "D/d_fake"}
    assert events["scalars"]["loss/d_loss"] == [(s, 1.0 + s) for s in range(5)]
    assert events["scalars"]["loss/g_loss"] == [(s, 2.0 * s) for s in range(5)]
    assert [step for step, _ in events["scalars"]["D/d_fake"]] == list(range(5))
    assert events["graph"] is True


def test_a_run_without_a_graph_reports_none(tmp_path):
    """Does read_events say graph False when only scalars were logged?"""
    with Tracker(tmp_path) as tracker:
        tracker.log_scalars(0, g_loss=1.0)
    assert read_events(tmp_path)["graph"] is False


def test_more_than_four_images_per_tag_are_all_read_back(tmp_path):
    """Are all image events kept, not the four that TensorBoard's default guidance keeps?"""
    with Tracker(tmp_path) as tracker:
        for epoch in range(6):
            tracker.log_image_grid("samples", torch.zeros(2, SIDE * SIDE), epoch)
    assert read_events(tmp_path)["images"]["samples"] == list(range(6))


@pytest.mark.parametrize(("fill", "pixel"), [(-1.0, 0), (1.0, 255)])
def test_logged_constant_images_use_the_known_range(tmp_path, fill, pixel):
    """Is an all -1 image stored black and an all 1 image white (min-max cannot say)?"""
    with Tracker(tmp_path) as tracker:
        # One image: make_grid then adds no padding, so every pixel is image.
        tracker.log_image_grid("constant", torch.full((1, 1, SIDE, SIDE), fill), 0)
    (image,) = decoded_images(tmp_path, "constant")
    assert (image == pixel).all()


def test_logged_images_in_the_wrong_range_stay_in_the_upper_half(tmp_path):
    """Does a [0, 1] image logged as [-1, 1] come out light grey at least, exposing the bug?"""
    with Tracker(tmp_path) as tracker:
        tracker.log_image_grid("wrong_range", torch.rand(1, SIDE * SIDE), 0)
    (image,) = decoded_images(tmp_path, "wrong_range")
    assert image.min() >= 127


def test_non_square_flat_images_are_rejected(tmp_path):
    """Does a flat batch that is no square image fail with expected and found sizes?"""
    with Tracker(tmp_path) as tracker, pytest.raises(ValueError, match="found 15"):
        tracker.log_image_grid("samples", torch.zeros(2, 15), 0)


def test_multi_element_tensors_are_rejected_as_scalars(tmp_path):
    """Is a whole loss vector refused instead of silently logging nothing or its first value?"""
    with Tracker(tmp_path) as tracker, pytest.raises(ValueError, match=r"d_loss.*\(3,\)"):
        tracker.log_scalars(0, g_loss=1.0, d_loss=torch.ones(3))
    assert read_events(tmp_path)["scalars"] == {}


@pytest.mark.parametrize(("give_logdir", "enabled"), [(False, True), (True, False)])
def test_a_disabled_tracker_writes_nothing(tmp_path, give_logdir, enabled):
    """Does a tracker without a logdir, or disabled, accept every call and create no file?"""
    logdir = tmp_path / "run" if give_logdir else None
    generator, discriminator = ShapeCheckedGenerator(), make_discriminator()
    with Tracker(logdir, enabled=enabled) as tracker:
        tracker.log_scalars(0, d_loss=1.0)
        tracker.log_image_grid("samples", torch.zeros(2, 3), 0)  # not even validated
        tracker.log_gan_graph(generator, discriminator, fixed_noise(2, LATENT_DIM))
        tracker.log_gan_graph(generator, discriminator, fixed_noise(2, LATENT_DIM))
        tracker.flush()
    tracker.log_scalars(1, d_loss=1.0)
    assert tracker.logdir is None and not tracker.enabled
    assert list(tmp_path.iterdir()) == []


def test_a_disabled_tracker_does_not_import_tensorboard():
    """Does making and using a disabled tracker leave TensorBoard unimported?"""
    code = (
        "import sys\n"
        "from gan_lab.tracking import Tracker\n"
        "Tracker(None).log_scalars(0, d_loss=1.0)\n"
        "print(sorted(m for m in sys.modules if 'tensorboard' in m))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_the_gan_graph_is_logged_without_a_word_on_stderr(tmp_path, capfd):
    """Does log_gan_graph keep the tracer's warnings off stderr while the tracer does warn?"""
    generator, discriminator = ShapeCheckedGenerator(), make_discriminator()
    z = fixed_noise(2, LATENT_DIM)
    with warnings.catch_warnings(record=True) as raw:
        warnings.simplefilter("always")
        torch.jit.trace(generator, z)
    assert any(issubclass(w.category, torch.jit.TracerWarning) for w in raw)  # a live test

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Tracker(tmp_path) as tracker:
            tracker.log_gan_graph(generator, discriminator, z)
    assert [str(w.message) for w in caught] == []
    assert capfd.readouterr().err == ""
    assert read_events(tmp_path)["graph"] is True


def test_a_second_graph_is_refused(tmp_path):
    """Is a second graph in the same run refused, pointing at log_gan_graph?"""
    generator = ShapeCheckedGenerator()
    with Tracker(tmp_path) as tracker:
        tracker.log_graph(generator, fixed_noise(2, LATENT_DIM))
        with pytest.raises(RuntimeError, match="log_gan_graph"):
            tracker.log_graph(make_discriminator(), torch.zeros(2, SIDE * SIDE))


def test_logging_the_graph_leaves_the_models_as_they_were(tmp_path):
    """Are BatchNorm statistics and the training flag untouched by tracing the graph?"""
    generator = nn.Sequential(nn.Linear(LATENT_DIM, SIDE * SIDE), nn.BatchNorm1d(SIDE * SIDE),
                              nn.Tanh())
    before = {name: buffer.clone() for name, buffer in generator.named_buffers()}
    with Tracker(tmp_path) as tracker:
        tracker.log_gan_graph(generator, make_discriminator(), 3.0 + fixed_noise(8, LATENT_DIM))
    assert generator.training
    for name, buffer in generator.named_buffers():
        assert torch.equal(buffer, before[name]), name


def test_gan_graph_is_d_of_g():
    """Does GanGraph compute D(G(z)) with both networks registered as submodules?"""
    generator, discriminator = ShapeCheckedGenerator(), make_discriminator()
    z = fixed_noise(3, LATENT_DIM)
    chained = GanGraph(generator, discriminator)
    assert torch.equal(chained(z), discriminator(generator(z)))
    assert dict(chained.named_children()) == {"generator": generator,
                                              "discriminator": discriminator}


def test_logging_after_close_is_an_error(tmp_path):
    """Does a closed tracker refuse to log, while closing twice stays harmless?"""
    tracker = Tracker(tmp_path)
    assert tracker.logdir == tmp_path and tracker.enabled
    tracker.close()
    tracker.close()
    with pytest.raises(RuntimeError, match="closed"):
        tracker.log_scalars(0, g_loss=1.0)


def test_flush_makes_events_readable_before_close(tmp_path):
    """Can a notebook read scalars back after flush() while the tracker is still open?"""
    tracker = Tracker(tmp_path)
    tracker.log_scalars(7, g_loss=0.5)
    tracker.flush()
    assert read_events(tmp_path)["scalars"] == {"loss/g_loss": [(7, 0.5)]}
    tracker.close()


def test_fixed_noise_repeats_and_leaves_the_global_generator_alone():
    """Is fixed noise the same for a seed, new for another, and the global RNG untouched?"""
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = fixed_noise(5, LATENT_DIM, seed=1)
    assert torch.rand(1).equal(expected_next)
    assert first.shape == (5, LATENT_DIM)
    assert torch.equal(first, fixed_noise(5, LATENT_DIM, seed=1))
    assert not torch.equal(first, fixed_noise(5, LATENT_DIM, seed=2))


def test_fixed_noise_is_the_same_on_every_device(device):
    """Are the numbers drawn on the CPU, so every device gets identical z?"""
    z = fixed_noise(4, LATENT_DIM, seed=3, device=device)
    assert z.device.type == device.type
    assert torch.equal(z.cpu(), fixed_noise(4, LATENT_DIM, seed=3))


@pytest.mark.parametrize(("n", "latent_dim"), [(0, 8), (4, 0)])
def test_fixed_noise_rejects_empty_shapes(n, latent_dim):
    """Is an empty noise batch refused with the sizes found?"""
    with pytest.raises(ValueError, match=f"n={n}, latent_dim={latent_dim}"):
        fixed_noise(n, latent_dim)


def test_reading_a_missing_run_directory_fails(tmp_path):
    """Does read_events name the missing directory instead of returning nothing?"""
    with pytest.raises(FileNotFoundError, match="no_such_run"):
        read_events(tmp_path / "no_such_run")
