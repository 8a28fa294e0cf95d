"""Tests for gan_lab.plotting: the structure of each figure, and the known-range mapping."""
import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere: no display in tests

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision.utils import make_grid  # noqa: E402

from gan_lab.plotting import (  # noqa: E402
    plot_density,
    plot_epoch_strip,
    plot_losses,
    save_image_grid,
    show_images,
)


@pytest.fixture(autouse=True)
def close_figures():
    """Every test starts and ends with no open figures, so none leak between tests."""
    yield
    plt.close("all")


def shown_pixels(fig: Figure) -> np.ndarray:
    (ax,) = fig.axes
    (image,) = ax.get_images()
    return np.asarray(image.get_array())


def make_history(steps: int = 10) -> dict:
    return {key: [float(i) for i in range(steps)]
            for key in ("d_loss_real", "d_loss_fake", "d_loss", "g_loss")}


def test_show_images_draws_one_grid_from_flat_vectors():
    """Does a flat (B, 784) batch show as one image of the 8 x 2 grid, with the title?"""
    fig = show_images(torch.zeros(16, 784), title="samples")
    assert isinstance(fig, Figure)
    pixels = shown_pixels(fig)
    # make_grid pads by 2 pixels: 8 columns and 2 rows of 28-pixel digits, as RGB.
    assert pixels.shape == (2 + 2 * 30, 2 + 8 * 30, 3)
    assert fig.axes[0].get_title() == "samples"


@pytest.mark.parametrize(("fill", "expected"), [(-1.0, 0.0), (1.0, 1.0)])
def test_show_images_maps_constant_batches_by_the_known_range(fill, expected):
    """Is an all -1 batch shown black and an all 1 batch white, as the range says?"""
    pixels = shown_pixels(show_images(torch.full((1, 1, 6, 6), fill)))
    assert np.all(pixels == expected)


def test_show_images_keeps_a_range_bug_visible():
    """Does a [0, 1] batch shown as [-1, 1] stay in the upper half of the grey scale?"""
    pixels = shown_pixels(show_images(torch.rand(1, 1, 6, 6)))
    assert pixels.min() >= 0.5


def test_show_images_draws_into_a_given_axes():
    """Is the caller's axes used, and its figure returned, when ax is given?"""
    fig, (left, right) = plt.subplots(1, 2)
    assert show_images(torch.zeros(4, 1, 5, 5), ax=right) is fig
    assert len(right.get_images()) == 1 and len(left.get_images()) == 0


def test_plot_losses_draws_four_labelled_panels():
    """Are there four panels, titled and labelled, each with the whole curve?"""
    history = make_history(12)
    history["d_real"] = [0.5] * 12  # extra keys, as in a training History, are ignored
    fig = plot_losses(history)
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes] == [
        "D loss on real images", "D loss on fake images", "D total loss", "G loss"]
    for ax in fig.axes:
        assert ax.get_xlabel() == "step" and ax.get_ylabel() == "loss"
        (line,) = ax.get_lines()
        assert len(line.get_ydata()) == 12


def test_plot_losses_accepts_tensor_values():
    """Are 0-d tensors in the history plotted as their values?"""
    history = {key: [torch.tensor(2.5)] * 3 for key in make_history()}
    fig = plot_losses(history)
    assert list(fig.axes[3].get_lines()[0].get_ydata()) == [2.5] * 3


def test_plot_losses_names_the_missing_keys():
    """Does a history without some curves fail, listing exactly those that are missing?"""
    history = make_history()
    del history["d_loss_fake"], history["g_loss"]
    with pytest.raises(ValueError, match=r"missing \['d_loss_fake', 'g_loss'\]"):
        plot_losses(history)


def test_plot_density_curve_is_a_normalised_target_pdf():
    """Does the target curve integrate to about 1 and peak at the target mean?"""
    samples = 4.0 + 1.25 * torch.randn(2000, 1, generator=torch.Generator().manual_seed(0))
    fig = plot_density(samples)
    (ax,) = fig.axes
    (curve,) = ax.get_lines()
    x, y = curve.get_xdata(), curve.get_ydata()
    area = np.sum((y[1:] + y[:-1]) / 2 * np.diff(x))  # trapezoid rule, numpy 1 and 2 alike
    assert area == pytest.approx(1.0, abs=1e-3)
    assert x[np.argmax(y)] == pytest.approx(4.0, abs=0.05)
    heights = np.array([bar.get_height() for bar in ax.patches])
    widths = np.array([bar.get_width() for bar in ax.patches])
    assert len(ax.patches) == 50
    assert np.sum(heights * widths) == pytest.approx(1.0)  # density=True


def test_plot_density_legend_compares_sample_and_target_moments():
    """Does the legend give the samples' mean and std beside the target's?"""
    fig = plot_density(np.array([1.0, 3.0]), mean=0.0, std=2.0, bins=4)
    labels = {text.get_text() for text in fig.axes[0].get_legend().get_texts()}
    assert labels == {"target: mean 0.00, std 2.00", "generated: mean 2.00, std 1.00"}


@pytest.mark.parametrize("shape", [(0,), (10, 2), (2, 5, 1)])
def test_plot_density_rejects_samples_that_are_not_one_dimensional(shape):
    """Are empty or multi-column samples refused with the shape found?"""
    with pytest.raises(ValueError, match=r"\(N,\) or \(N, 1\)"):
        plot_density(torch.zeros(shape))


def test_plot_density_rejects_a_non_positive_std():
    """Is a target std of zero refused instead of drawing a division by zero?"""
    with pytest.raises(ValueError, match="std must be positive"):
        plot_density(np.zeros(5), std=0.0)


def test_plot_epoch_strip_titles_each_grid_by_epoch():
    """Is there one panel per grid, titled with its epoch (1-based unless given)?"""
    grids = [make_grid(torch.rand(4, 1, 6, 6), nrow=2) for _ in range(3)]
    default = plot_epoch_strip(grids)
    assert [ax.get_title() for ax in default.axes] == ["epoch 1", "epoch 2", "epoch 3"]
    chosen = plot_epoch_strip(grids[:1] + [torch.rand(1, 14, 14)], epochs=[0, 10])
    assert [ax.get_title() for ax in chosen.axes] == ["epoch 0", "epoch 10"]
    assert all(len(ax.get_images()) == 1 for ax in chosen.axes)


def test_plot_epoch_strip_rejects_grids_still_in_the_tanh_range():
    """Is a grid with values below 0 refused, pointing at to_image_batch?"""
    with pytest.raises(ValueError, match="to_image_batch"):
        plot_epoch_strip([torch.full((3, 8, 8), -1.0)])


@pytest.mark.parametrize(("grids", "epochs", "message"), [
    ([], None, "at least one grid"),
    ([torch.zeros(3, 4, 4)] * 2, [1], r"one epoch per grid \(2\), found 1"),
    ([torch.zeros(4, 4)], None, r"\(C, H, W\).*\(4, 4\)"),
])
def test_plot_epoch_strip_rejects_bad_input(grids, epochs, message):
    """Are no grids, a wrong number of epochs, and a grid without channels refused?"""
    with pytest.raises(ValueError, match=message):
        plot_epoch_strip(grids, epochs=epochs)


def test_save_image_grid_writes_a_png_in_new_folders(tmp_path):
    """Is the PNG written, parent folders made, and an all 1 image stored white?"""
    path = save_image_grid(torch.ones(1, 36), tmp_path / "a" / "b" / "grid.png")
    assert path == tmp_path / "a" / "b" / "grid.png"
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (6, 6)
        assert np.all(np.asarray(image) == 255)


def test_save_image_grid_maps_by_the_known_range(tmp_path):
    """Does a [0, 1] batch saved as [-1, 1] come out light, exposing the range bug?"""
    path = save_image_grid(torch.rand(4, 1, 5, 5), tmp_path / "grid.png", nrow=2)
    with Image.open(path) as image:
        pixels = np.asarray(image)
    assert pixels.shape == (2 + 2 * 7, 2 + 2 * 7, 3)
    interior = pixels[2:7, 2:7]  # the first image, inside make_grid's 2-pixel padding
    assert interior.min() >= 127


def test_d_and_g_losses_are_drawn_side_by_side_with_their_moving_average():
    """Two panels, D and G, each with the per-step curve and a smoothed one over a 50th of the run."""
    from gan_lab.plotting import plot_d_and_g_losses

    history = {"d_loss": [1.0 + (i % 2) for i in range(500)], "g_loss": [0.5] * 500}
    fig = plot_d_and_g_losses(history)
    assert [ax.get_title() for ax in fig.axes] == ["D loss", "G loss"]
    raw, smooth = fig.axes[0].get_lines()
    assert len(raw.get_ydata()) == 500 and len(smooth.get_ydata()) == 500 - 10 + 1
    assert max(smooth.get_ydata()) == pytest.approx(1.5)  # the 0/1 alternation averages out


def test_a_run_of_a_few_steps_is_drawn_as_dots_a_long_one_as_a_line():
    """A graded run trains a step or two: a line through one point would leave the panels empty."""
    from gan_lab.plotting import plot_d_and_g_losses

    short = {"d_loss": [1.3], "g_loss": [0.7], "d_loss_real": [0.6], "d_loss_fake": [0.7]}
    long = {key: [0.5] * 200 for key in short}
    for plot in (plot_losses, plot_d_and_g_losses):
        assert {line.get_marker() for ax in plot(short).axes for line in ax.get_lines()} == {"o"}
        assert {line.get_marker() for ax in plot(long).axes for line in ax.get_lines()} == {"None"}
    plt.close("all")


def test_d_and_g_losses_name_what_is_missing():
    from gan_lab.plotting import plot_d_and_g_losses

    with pytest.raises(ValueError, match=r"missing \['g_loss'\]"):
        plot_d_and_g_losses({"d_loss": [1.0]})
