"""The report's CSV files, for a spreadsheet or an LMS: one row per thing, plain values."""
from __future__ import annotations

import csv
from pathlib import Path

from gan_lab.course.report.collect import STATUSES, LabResults


def _write(path: Path, header: list[str], rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_lab(out_dir: Path, results: LabResults, counts) -> None:
    """``scores-LAB.csv`` (a row per student) and ``tests-LAB.csv`` (a row per test cell)."""
    cells = [cell for cell, _ in results.cells]
    _write(out_dir / f"scores-{results.lab}.csv",
           ["student", "autograded", "autograded max", "written", "written pending", "total", "total max",
            "hours late", "held", "not graded", *[f"{cell} ({status})" for cell in cells for status in ("points", "status", "mistakes")]],
           [[s.student, s.auto_score, s.auto_max, sum(w.score or 0 for w in s.written),
             sum(w.score is None for w in s.written), s.total, s.total_max, round(s.seconds_late / 3600, 2),
             s.held, s.problem,
             *[value for o in s.outcomes for value in (o.score, o.status, " ".join(o.keys) or o.unnamed or "")]]
            for s in results.submissions])
    _write(out_dir / f"tests-{results.lab}.csv", ["test cell", "points", *STATUSES],
           [[cell, points, *[counts[cell][status] for status in STATUSES]] for cell, points in results.cells])


def write_mistakes(out_dir: Path, mistakes, unnamed) -> None:
    """``mistakes.csv``: named mistakes and unnamed failures, one row each, most frequent first."""
    _write(out_dir / "mistakes.csv", ["lab", "key or test cell", "kind", "students", "who", "description or example"],
           [[m.lab, m.key, "named", m.count, " ".join(m.students), m.description] for m in mistakes]
           + [[u.lab, u.cell, u.kind, u.count, " ".join(u.students), u.example] for u in unnamed])


def write_similarity(out_dir: Path, result) -> None:
    """``similarity-LAB.csv``: every pair, highest score first."""
    _write(out_dir / f"similarity-{result.lab}.csv",
           ["a", "b", "score", "shared fingerprints", "with a reference", "listed", "threshold"],
           [[p.a, p.b, round(p.score, 2), p.shared, p.with_reference, p.listed, round(result.threshold, 2)]
            for p in result.pairs])
