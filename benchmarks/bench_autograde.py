"""Submissions graded per minute by ``gan-lab autograde``: with 1 and N local jobs, or with 1
and N workers of a Dask cluster.

Builds a throwaway course, hands in the instructor's solutions as ``--students`` students, grades
the class once per job count (sandboxed kernels, the re-check, no feedback), and prints
submissions per minute with the speed-up over the first row. Every run must give every student
full marks, or the numbers mean nothing and the script stops.

    python benchmarks/bench_autograde.py --lab toy_1d --students 8 --jobs 1 2
    python benchmarks/bench_autograde.py --lab toy_1d --students 8 --cluster-workers 1 2 \
        --db-url postgresql+psycopg2://postgres@/bench?host=/run/postgresql

``--cluster-workers`` starts a ``dask scheduler`` and that many one-thread ``dask worker``
processes on 127.0.0.1 for each row and grades with ``--cluster``; the gradebook must then be
on a database server (``--db-url``, an empty database).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gan_lab.course.autograde import autograde
from gan_lab.course.nbgrader_run import REPO, labs, nbgrader, solution_submission


def _course(root: Path, lab: str, students: int, db_url: str | None) -> Path:
    course = root / "course"
    shutil.copytree(REPO / "solutions" / lab, course / "solutions" / lab)
    shutil.copy(REPO / "nbgrader_config.py", course)
    if db_url:
        with open(course / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    nbgrader(course, "generate_assignment", lab, "--force")
    for i in range(students):
        solution_submission(course / "solutions" / lab / f"{lab}.ipynb",
                            course / "submitted" / f"student{i:02d}" / lab / f"{lab}.ipynb")
    return course


@contextlib.contextmanager
def _dask_cluster(workers: int):
    """A scheduler and ``workers`` one-thread workers on 127.0.0.1, as separate processes."""
    from distributed import Client

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dask, address = str(Path(sys.executable).parent / "dask"), f"tcp://127.0.0.1:{port}"
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                   "--no-dashboard"], **quiet)]
    processes += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard"], **quiet)
                  for _ in range(workers)]
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=60)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="toy_1d", choices=labs())
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cluster-workers", type=int, nargs="+", metavar="N",
                        help="grade on a local Dask cluster of N workers instead of local jobs")
    parser.add_argument("--db-url", help="the gradebook's database server (needed with --cluster-workers)")
    args = parser.parse_args()
    if args.cluster_workers and not args.db_url:
        parser.error("--cluster-workers needs --db-url: a cluster's gradebook is on a database server")
    os.environ.setdefault("GAN_LAB_OFFLINE", "1")
    rows = []
    label = "workers" if args.cluster_workers else "jobs"
    with tempfile.TemporaryDirectory(prefix="bench-autograde-") as tmp:
        course = _course(Path(tmp), args.lab, args.students, args.db_url)
        for count in args.cluster_workers or args.jobs:
            shutil.rmtree(course / "autograded", ignore_errors=True)
            with (_dask_cluster(count) if args.cluster_workers else contextlib.nullcontext()) as address:
                load = os.getloadavg()[0]
                started = time.perf_counter()
                results = autograde(course, args.lab, jobs=1 if address else count, cluster=address,
                                    feedback=False, force=True, say=lambda _: None)
                seconds = time.perf_counter() - started
            short = [r.student for r in results if r.earned != r.available]
            if short:
                print(f"not full marks with {count} {label}: {', '.join(short)}", file=sys.stderr)
                return 1
            rows.append((count, seconds, 60 * len(results) / seconds, load))
    print(f"lab {args.lab}, {args.students} submissions, {os.cpu_count()} cores"
          + (", Dask cluster on 127.0.0.1" if args.cluster_workers else ""))
    print(f"{label:>7} {'seconds':>8} {'per minute':>11} {'speed-up':>9} {'load before':>12}")
    for count, seconds, rate, load in rows:
        print(f"{count:>7} {seconds:>8.1f} {rate:>11.1f} {rate / rows[0][2]:>8.2f}x {load:>12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
