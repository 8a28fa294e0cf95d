"""One readable table for the results of ``evaluate_images`` or ``evaluate_toy``."""
from __future__ import annotations

HEADER = ("metric", "value", "floor (real vs real)", "ratio")


def _number(x: float) -> str:
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e6):
        return str(int(x))
    return f"{x:.4g}"


def format_table(results: dict) -> str:
    """``metric | value | floor (real vs real) | ratio`` rows, one per metric.

    ratio = value / floor. For lower-is-better measures (marked ``v``) a ratio near 1 means
    the samples are as close to the data as a second real sample would be; 10 means ten times
    the distance sampling noise explains. For higher-is-better ones (``^``) 1 means as good as
    real data and less means worse.
    """
    if not isinstance(results, dict) or not results:
        raise ValueError(f"results: expected a non-empty dict from evaluate_images or evaluate_toy, found {results!r}")
    rows = [HEADER]
    for name, entry in results.items():
        if not isinstance(entry, dict) or not {"value", "floor"} <= entry.keys():
            raise ValueError(f"results[{name!r}]: expected a dict with 'value' and 'floor', found {entry!r}")
        value, floor = entry["value"], entry["floor"]
        ratio = "-" if floor == 0 else f"{value / floor:.3g}"
        if floor == 0 and value != 0:
            ratio = "inf"
        marker = " (v)" if entry.get("lower_is_better", True) else " (^)"
        rows.append((name + marker, _number(value), _number(floor), ratio))
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)
