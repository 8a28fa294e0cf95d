"""The report's figures, drawn with matplotlib and embedded as PNG data (no file, no server)."""
from __future__ import annotations

import base64
import io
from collections import Counter

from gan_lab.course.report.collect import STATUSES, LabResults

# One colour per status, the same in every figure and table.
COLOURS = {"passed": "#3a9d5d", "partial": "#e3b23c", "failed": "#d1495b", "unfinished": "#8d99ae",
           "not graded": "#2b2d42"}


def _png(figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def score_histogram(results: LabResults) -> str:
    """How the class's points fall: autograded and total, side by side."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5.2, 2.8))
    subs = results.submissions
    top = max((s.total_max for s in subs), default=1) or 1
    bins = [i - 0.5 for i in range(int(top) + 2)]
    axis.hist([[s.auto_score for s in subs], [s.total for s in subs]], bins=bins,
              label=["autograded", "with written answers"], color=["#4f6d7a", "#c0d6df"])
    axis.set_xlabel(f"points (of {subs[0].auto_max:g} autograded, {top:g} in all)" if subs else "points")
    axis.set_ylabel("students")
    axis.set_title(f"{results.lab}: scores of {len(subs)} submission(s)")
    axis.yaxis.get_major_locator().set_params(integer=True)
    axis.legend(frameon=False)
    return _png(figure)


def todo_bars(results: LabResults, counts: dict[str, Counter]) -> str:
    """Per test cell, how many passed, got partial credit, failed or left it unfinished."""
    plt = _pyplot()
    cells = [cell for cell, _ in results.cells]
    figure, axis = plt.subplots(figsize=(5.2, 0.4 * len(cells) + 1.2))
    left = [0] * len(cells)
    for status in STATUSES:
        values = [counts.get(cell, Counter())[status] for cell in cells]
        if not any(values):
            continue
        axis.barh(cells, values, left=left, color=COLOURS[status], label=status)
        left = [a + b for a, b in zip(left, values)]
    axis.invert_yaxis()
    axis.set_xlabel("submissions")
    axis.set_title(f"{results.lab}: each autograded test")
    axis.xaxis.get_major_locator().set_params(integer=True)
    axis.legend(frameon=False, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.25 if len(cells) > 3 else -0.45))
    return _png(figure)


def mistake_bars(counts: list) -> str:
    """The most frequent named mistakes (up to 15), as horizontal bars."""
    plt = _pyplot()
    shown = counts[:15]
    figure, axis = plt.subplots(figsize=(6.0, 0.35 * len(shown) + 1.0))
    axis.barh([m.key for m in shown], [m.count for m in shown], color="#d1495b")
    axis.invert_yaxis()
    axis.set_xlabel("students")
    axis.set_title("the most frequent named mistakes")
    axis.xaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


def similarity_histogram(scores: list[float], threshold: float, lab: str) -> str:
    """Every pair's score, with the threshold at which a pair is listed."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5.2, 2.4))
    counts, _edges, _bars = axis.hist(scores, bins=[i / 40 - 0.5 for i in range(61)], color="#4f6d7a")
    axis.axvline(threshold, color="#d1495b", linestyle="--", label=f"threshold {threshold:.2f}")
    if max(counts, default=0) > 20:  # a large class: the few pairs near the threshold stay visible
        axis.set_yscale("log")
    else:
        from matplotlib.ticker import MaxNLocator

        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_xlabel("similarity above each student's 5th best match elsewhere")
    axis.set_ylabel("pairs")
    axis.set_title(f"{lab}: similarity of every pair")
    axis.legend(frameon=False)
    return _png(figure)
