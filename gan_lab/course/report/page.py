"""``gan-lab report``: one self-contained HTML page and the CSV files beside it."""
from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Callable, Optional, Sequence

from gan_lab.course.report import analysis, figures, tables
from gan_lab.course.report.collect import STATUSES, collect_lab

PAGE = "report.html"


def _links(results, out_dir: Path) -> dict[str, str]:
    """Student -> their feedback page, relative to the report (opens from disk)."""
    return {s.student: os.path.relpath(s.feedback, out_dir) for s in results.submissions if s.feedback}


def write_report(course_dir: Path, labs: Sequence[str], out_dir: Path, *, reference: Optional[Path] = None,
                 similarity: bool = True, say: Callable[[str], None] = print) -> Path:
    """Collect, count, draw and write the report of ``labs``; returns the page's path."""
    import jinja2

    from gan_lab.course import similarity as similar

    course_dir, out_dir = Path(course_dir).resolve(), Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    labs_view, all_mistakes, all_unnamed, similarities = [], [], [], []
    for lab in labs:
        results = collect_lab(course_dir, lab)
        counts = analysis.todo_counts(results)
        mistakes, unnamed = analysis.mistakes(results), analysis.unnamed(results)
        all_mistakes += mistakes
        all_unnamed += unnamed
        subs = results.submissions
        labs_view.append({
            "name": lab, "cells": results.cells, "counts": counts, "mistakes": mistakes, "unnamed": unnamed,
            "events": analysis.events(results), "summary": analysis.score_summary(results),
            "submissions": subs, "links": _links(results, out_dir),
            "histogram": figures.score_histogram(results) if subs else "",
            "todo_figure": figures.todo_bars(results, counts) if subs else ""})
        tables.write_lab(out_dir, results, counts)
        say(f"[{lab}] report: {len(subs)} submission(s), {sum(m.count for m in mistakes)} named mistake(s) "
            f"of {len(mistakes)} kind(s), {sum(u.count for u in unnamed)} unnamed failure(s)")
        if similarity and sum(1 for _ in (course_dir / "submitted").glob(f"*/{lab}/{lab}.ipynb")) >= 2:
            result = similar.similarity(course_dir, lab, reference)
            students = sum(s.kind == "student" for s in result.sources)
            similarities.append({"lab": lab, "result": result, "students": students, "rivals": similar.RIVALS,
                                 "references": len(result.sources) - students,
                                 "figure": figures.similarity_histogram([p.score for p in result.pairs],
                                                                        result.threshold, lab)})
            tables.write_similarity(out_dir, result)
            say(f"[{lab}] similarity: {len(result.listed)} pair(s) above the threshold {result.threshold:.2f}")
    all_mistakes.sort(key=lambda m: (-m.count, m.key))
    tables.write_mistakes(out_dir, all_mistakes, all_unnamed)
    template = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent),
                                  autoescape=True, undefined=jinja2.StrictUndefined).get_template("report.html.j2")
    page = out_dir / PAGE
    page.write_text(template.render(
        title=f"{course_dir.name}: {', '.join(labs)}", course=str(course_dir), labs=labs_view,
        written=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), statuses=STATUSES,
        all_mistakes=all_mistakes, mistake_figure=figures.mistake_bars(all_mistakes) if all_mistakes else "",
        similarity=similarities), encoding="utf-8")
    return page
