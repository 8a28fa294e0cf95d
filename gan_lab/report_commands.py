"""``gan-lab report`` and ``gan-lab similarity``: parsing only; the work is in
``gan_lab.course.report`` and ``gan_lab.course.similarity``, imported when a command runs."""
from __future__ import annotations

import argparse
from pathlib import Path


def cmd_report(args: argparse.Namespace) -> int:
    from gan_lab.course.report.page import write_report

    page = write_report(Path(args.course), args.lab, Path(args.out), reference=args.reference,
                        similarity=not args.no_similarity)
    print(f"Report: {page} (open it in a browser; the CSV files are beside it)")
    return 0


def cmd_similarity(args: argparse.Namespace) -> int:
    from gan_lab.course.similarity import format_similarity, similarity

    result = similarity(Path(args.course), args.lab, args.reference)
    print(format_similarity(result, args.top))
    if args.out:
        from gan_lab.course.report.tables import write_similarity

        Path(args.out).mkdir(parents=True, exist_ok=True)
        write_similarity(Path(args.out), result)
        print(f"Every pair: {Path(args.out) / f'similarity-{args.lab}.csv'}")
    return 0


def add_report_parsers(commands) -> None:
    report = commands.add_parser("report", help="what the class got wrong, its scores, whose code is alike",
                                 description="One self-contained HTML page (figures embedded; it opens "
                                             "from disk) and CSV files for the labs: score "
                                             "distributions, each test's passes and failures, the "
                                             "named mistakes with who made them (linked to their "
                                             "feedback), failures no check names, re-check "
                                             "disagreements, holds, late and ungraded submissions, "
                                             "grading time, and the similarity of the students' own code.")
    report.add_argument("lab", nargs="+", help="the labs (nbgrader assignments), e.g. mlp_gan dcgan")
    report.add_argument("--out", required=True, help="folder for report.html and the CSV files")
    report.add_argument("--course", default=".", help="nbgrader course folder (default: .)")
    report.add_argument("--reference", type=Path, help="known solutions (a folder of notebooks or .py "
                                                      "files) to compare students with")
    report.add_argument("--no-similarity", action="store_true", help="leave the similarity section out")
    report.set_defaults(func=cmd_report)

    similar = commands.add_parser("similarity", help="pairs of submissions whose own code is unusually alike",
                                  description="Compare the code each student wrote in the TODO cells "
                                              "(the release's starter code taken out) with every "
                                              "classmate's and every --reference solution's, offline "
                                              "(copydetect), weighing shared code by how rare it is in the "
                                              "class; print the pairs above the threshold, which it prints too.")
    similar.add_argument("lab", help="the lab (nbgrader assignment), e.g. mlp_gan")
    similar.add_argument("--course", default=".", help="nbgrader course folder (default: .)")
    similar.add_argument("--reference", type=Path, help="known solutions (a folder of notebooks or .py files)")
    similar.add_argument("--top", type=int, default=10, help="pairs to print besides those listed (default: 10)")
    similar.add_argument("--out", help="folder to write similarity-LAB.csv (every pair) into")
    similar.set_defaults(func=cmd_similarity)
