"""Submissions graded per minute by ``gan-lab autograde`` with 1 job and with N jobs.

Builds a throwaway course, hands in the instructor's solutions as ``--students`` students, grades
the class once per job count (sandboxed kernels, the re-check, no feedback), and prints
submissions per minute with the speed-up over 1 job. Every run must give every student full
marks, or the numbers mean nothing and the script stops.

    python benchmarks/bench_autograde.py --lab toy_1d --students 8 --jobs 1 2
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from gan_lab.course.autograde import autograde
from gan_lab.course.nbgrader_run import REPO, labs, nbgrader, solution_submission


def _course(root: Path, lab: str, students: int) -> Path:
    course = root / "course"
    shutil.copytree(REPO / "solutions" / lab, course / "solutions" / lab)
    shutil.copy(REPO / "nbgrader_config.py", course)
    nbgrader(course, "generate_assignment", lab, "--force")
    for i in range(students):
        solution_submission(course / "solutions" / lab / f"{lab}.ipynb",
                            course / "submitted" / f"student{i:02d}" / lab / f"{lab}.ipynb")
    return course


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="toy_1d", choices=labs())
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    os.environ.setdefault("GAN_LAB_OFFLINE", "1")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-autograde-") as tmp:
        course = _course(Path(tmp), args.lab, args.students)
        for jobs in args.jobs:
            shutil.rmtree(course / "autograded", ignore_errors=True)
            load = os.getloadavg()[0]
            started = time.perf_counter()
            results = autograde(course, args.lab, jobs=jobs, feedback=False, force=True, say=lambda _: None)
            seconds = time.perf_counter() - started
            short = [r.student for r in results if r.earned != r.available]
            if short:
                print(f"not full marks with {jobs} job(s): {', '.join(short)}", file=sys.stderr)
                return 1
            rows.append((jobs, seconds, 60 * len(results) / seconds, load))
    print(f"lab {args.lab}, {args.students} submissions, {os.cpu_count()} cores")
    print(f"{'jobs':>4} {'seconds':>8} {'per minute':>11} {'speed-up':>9} {'load before':>12}")
    for jobs, seconds, rate, load in rows:
        print(f"{jobs:>4} {seconds:>8.1f} {rate:>11.1f} {rate / rows[0][2]:>8.2f}x {load:>12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
