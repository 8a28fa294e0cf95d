"""Why alternating gradient steps need not converge: min over x, max over y of f(x, y) = x * y.

This is the smallest two-player game with the structure of GAN training. The minimising
player (x, like G) and the maximising player (y, like D) take turns, each following its own
gradient. Instead of settling at the saddle point, they circle it forever.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Point = tuple[float, float]


def alternating_gradient_steps(
    x0: float = 1.0, y0: float = 1.0, *, lr: float = 1.0, steps: int = 6
) -> list[Point]:
    """Alternate gradient ascent on y and descent on x for f(x, y) = x * y.

    Each step, y moves first using the current x, then x moves using the *new* y:

        y <- y + lr * df/dy = y + lr * x
        x <- x - lr * df/dx = x - lr * y

    From (1, 1) with ``lr=1`` the points repeat every 6 steps: the players orbit the
    saddle at (0, 0) and never reach it.

    Returns:
        The (x, y) point after each step; the start point is not included.
    """
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative int, found {steps!r}")
    x, y = float(x0), float(y0)
    points = []
    for _ in range(steps):
        y = y + lr * x  # the max player ascends: df/dy = x
        x = x - lr * y  # the min player descends against the updated y: df/dx = y
        points.append((x, y))
    return points


def minimax_value() -> float:
    """The value of min over x of max over y of x * y: zero.

    For a fixed x != 0, the max player sends y to +infinity (x > 0) or -infinity (x < 0),
    so max over y of x * y is unbounded. Only x = 0 keeps it finite: then x * y = 0 for
    every y. The min player therefore picks x = 0 and the value is 0, reached at the
    saddle point (0, 0), which is the point the alternating steps circle without reaching.
    """
    return 0.0


def plot_cycle(points: Sequence[Point], *, start: Optional[Point] = (1.0, 1.0)) -> Figure:
    """Draw the path of the alternating steps around the saddle at the origin.

    Args:
        points: (x, y) points in the order visited, e.g. from ``alternating_gradient_steps``.
        start: where the steps began, drawn as the tail of the first arrow; the default
            matches ``alternating_gradient_steps``. ``None`` draws only ``points``.
    """
    path = ([start] if start is not None else []) + [tuple(map(float, p)) for p in points]
    if len(path) < 2:
        raise ValueError(f"expected at least two points to draw a path, found {len(path)}")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(5, 5))
    reach = 1.2 * max(max(abs(x), abs(y)) for x, y in path)
    grid = np.linspace(-reach, reach, 101)
    xs, ys = np.meshgrid(grid, grid)
    # Faint level sets of x * y: the hyperbolas show the saddle's shape.
    ax.contour(xs, ys, xs * ys, levels=9, colors="lightgray", linewidths=0.8)
    for tail, head in zip(path[:-1], path[1:]):
        ax.annotate("", xy=head, xytext=tail, arrowprops={"arrowstyle": "->", "color": "tab:blue"})
    ax.plot(*zip(*path), "o", color="tab:blue", markersize=4, label="(x, y) after each step")
    ax.plot([0.0], [0.0], "x", color="tab:red", markersize=10, mew=2, label="saddle (0, 0)")
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.set_aspect("equal")
    ax.set_xlabel("x (minimising player)")
    ax.set_ylabel("y (maximising player)")
    ax.set_title("Alternating gradient steps on f(x, y) = xy")
    ax.legend(loc="lower left")
    return fig
