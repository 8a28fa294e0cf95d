"""Lab 1's picture of the two networks: noise -> G -> image -> D -> P(real), layer by layer.

    .venv/bin/python tools/draw_gan_diagram.py solutions/mlp_gan/gan-diagram.png

Drawn with matplotlib so the picture and the lab's sizes (100, 256, 784) cannot drift apart
unnoticed: change a size here and in the lab together. nbgrader copies the PNG into the release.
"""
from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

G_LAYERS = ["Linear 100→256", "ReLU", "Linear 256→256", "ReLU", "Linear 256→784", "Tanh"]
D_LAYERS = ["Linear 784→256", "LeakyReLU(0.1)", "Linear 256→256", "LeakyReLU(0.1)", "Linear 256→1", "Sigmoid"]


def box(ax, x, y, w, h, text, colour, size=9, bold=False):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02",
                                facecolor=colour, edgecolor="#333333", linewidth=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=size, weight="bold" if bold else "normal")


def arrow(ax, start, end, text=None):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color="#333333"))
    if text:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.18, text, ha="center", fontsize=8)


def network(ax, x, title, layers, colour):
    top = 5.6
    ax.text(x, top + 0.55, title, ha="center", fontsize=11, weight="bold")
    ax.add_patch(FancyBboxPatch((x - 1.15, 0.25), 2.3, top - 0.05, boxstyle="round,pad=0.05",
                                facecolor="none", edgecolor="#888888", linestyle="--"))
    for i, layer in enumerate(layers):
        y = top - 0.45 - i * 0.85
        box(ax, x, y, 2.0, 0.55, layer, colour if "Linear" in layer else "#f4f4f4")
        if i:
            arrow(ax, (x, y + 0.58), (x, y + 0.29))
    return top - 0.45, top - 0.45 - (len(layers) - 1) * 0.85


def main(out: str) -> None:
    fig, ax = plt.subplots(figsize=(11, 4.6))
    ax.set_xlim(0, 13)
    ax.set_ylim(-0.4, 6.5)
    ax.axis("off")
    box(ax, 1.0, 5.15, 1.5, 0.7, "noise z\n100 numbers\n~ N(0, 1)", "#fff3c4", size=8)
    g_top, g_bottom = network(ax, 4.0, "Generator G", G_LAYERS, "#cfe8ff")
    d_top, d_bottom = network(ax, 9.0, "Discriminator D", D_LAYERS, "#ffd9cf")
    arrow(ax, (1.75, 5.15), (2.95, g_top))
    box(ax, 6.5, 3.0, 1.5, 0.9, "fake image\n784 pixels\nin [-1, 1]", "#e7f7e1", size=8)
    box(ax, 6.5, 5.15, 1.5, 0.9, "real image\n(MNIST, 784\npixels in [-1, 1])", "#e7f7e1", size=8)
    arrow(ax, (5.05, g_bottom), (5.75, 3.0))
    arrow(ax, (7.25, 3.0), (7.95, d_top - 0.1))
    arrow(ax, (7.25, 5.15), (7.95, d_top))
    box(ax, 11.7, 1.0, 1.9, 0.9, "D(x): probability\nthat x is real", "#fff3c4", size=8)
    arrow(ax, (10.05, d_bottom), (10.75, 1.0))
    ax.text(6.5, -0.2, "G's only training signal is D's verdict on its fakes: the gradient flows back "
            "from D(G(z)) through D into G.", ha="center", fontsize=8.5, style="italic")
    fig.savefig(out, dpi=110, bbox_inches="tight")
    print(f"wrote {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: draw_gan_diagram.py OUT.png")
    main(sys.argv[1])
