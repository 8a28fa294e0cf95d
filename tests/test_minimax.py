"""Tests for gan_lab.minimax: alternating gradient steps on f(x, y) = xy circle the saddle."""
import math

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere: no display in tests

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402

from gan_lab.minimax import alternating_gradient_steps, minimax_value, plot_cycle  # noqa: E402

SIX_STEPS = [(-1.0, 2.0), (-2.0, 1.0), (-1.0, -1.0), (1.0, -2.0), (2.0, -1.0), (1.0, 1.0)]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_six_steps_from_one_one_are_the_handout_points():
    """Do six steps from (1, 1) with lr 1 visit exactly the six expected points?"""
    assert alternating_gradient_steps() == SIX_STEPS


def test_the_steps_cycle_with_period_six():
    """Do the points repeat every six steps, the last one back at the start?"""
    points = alternating_gradient_steps(1.0, 1.0, lr=1.0, steps=18)
    assert points[-1] == (1.0, 1.0)
    assert points[:6] == points[6:12] == points[12:]
    assert len(set(points[:6])) == 6  # no shorter period


def test_y_moves_first_and_x_uses_the_new_y():
    """Is y updated with the old x, and then x with the updated y?"""
    # From (2, 0): y = 0 + 0.5 * 2 = 1, then x = 2 - 0.5 * 1 = 1.5 (old y would leave x at 2).
    assert alternating_gradient_steps(2.0, 0.0, lr=0.5, steps=1) == [(1.5, 1.0)]


@pytest.mark.parametrize("lr", [0.1, 0.5, 1.5])
def test_smaller_or_larger_steps_orbit_without_converging(lr):
    """Do other step sizes also stay on a bounded orbit that never nears the saddle?"""
    radii = [math.hypot(x, y) for x, y in alternating_gradient_steps(lr=lr, steps=1000)]
    assert min(radii) > 1.0
    assert max(radii) < 4.0


def test_zero_steps_give_no_points():
    """Does asking for no steps return an empty path?"""
    assert alternating_gradient_steps(steps=0) == []


@pytest.mark.parametrize("steps", [-1, 2.5])
def test_bad_step_counts_are_rejected(steps):
    """Is a negative or fractional number of steps refused?"""
    with pytest.raises(ValueError, match="non-negative int"):
        alternating_gradient_steps(steps=steps)


def test_the_minimax_value_is_zero():
    """Is the value 0, as a brute-force min over x of max over y of xy on a grid agrees?"""
    grid = np.linspace(-3.0, 3.0, 61)  # contains 0 exactly
    xs, ys = np.meshgrid(grid, grid, indexing="ij")
    assert np.min(np.max(xs * ys, axis=1)) == minimax_value() == 0.0


def test_plot_cycle_draws_every_step_around_the_marked_saddle():
    """Is there one arrow per step, the start included, and a marker at the origin?"""
    fig = plot_cycle(SIX_STEPS)
    (ax,) = fig.axes
    arrows = [text for text in ax.texts if isinstance(text, Annotation)]
    assert len(arrows) == 6
    assert arrows[0].xyann == (1.0, 1.0) and arrows[0].xy == (-1.0, 2.0)
    saddle = [line for line in ax.get_lines() if line.get_label() == "saddle (0, 0)"]
    assert len(saddle) == 1 and list(saddle[0].get_xydata()[0]) == [0.0, 0.0]
    assert "xy" in ax.get_title()


def test_plot_cycle_without_a_start_draws_only_the_given_points():
    """With start=None, are there one fewer arrows than points?"""
    fig = plot_cycle(SIX_STEPS, start=None)
    assert len([t for t in fig.axes[0].texts if isinstance(t, Annotation)]) == 5


def test_plot_cycle_needs_a_path():
    """Is a single point, with nothing to draw an arrow to, refused?"""
    with pytest.raises(ValueError, match="at least two points"):
        plot_cycle([(1.0, 1.0)], start=None)
