"""``gan-lab autograde LAB --cluster ADDRESS``: the same units of work, on a Dask cluster.

A unit is one submission: ``nbgrader autograde LAB --student S`` in its own sandboxed kernel,
then the out-of-kernel re-check of what it passed (``gan_lab.course.autograde.grade_unit``).
Here each unit is one task of a Dask distributed scheduler, which already does what a class
needs from a cluster: it places tasks on whichever workers are free, and when a worker dies
mid-task (a node lost, a job killed by the batch system) it runs that task again on another
worker. A unit is safe to run again: nbgrader regrades the student with ``--force``.

What the workers need (``dask-jobqueue`` starts them as Slurm or PBS jobs, ``dask-kubernetes``
as pods; the README says how):

- this package and the course's software, the same versions as the machine that submits;
- the course folder at the same path (a shared filesystem): they read ``submitted/`` and write
  ``autograded/``;
- the gradebook on a database server they can all reach (``db_url = "postgresql://..."`` in
  ``nbgrader_config.py``): a SQLite file cannot be written by several machines at once, so
  ``--cluster`` refuses one.

The audit, the gradebook's overrides and the feedback run once, at the end, on the machine
that ran ``gan-lab autograde``.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Sequence

from gan_lab.course.nbgrader_run import CourseError

RETRIES = 1  # one more try of a unit that raised; a task whose worker died is rerun regardless
CONNECT_TIMEOUT_S = 20


def require_shared_gradebook(course_dir: Path) -> None:
    """A cluster's workers write one gradebook from several machines: not a SQLite file."""
    from gan_lab.course.gradebook import gradebook_url

    url = gradebook_url(course_dir)
    if url.startswith("sqlite"):
        raise CourseError(
            f"--cluster needs the gradebook on a database server that every worker reaches, but "
            f"{course_dir / 'nbgrader_config.py'} keeps it in a SQLite file ({url}); set "
            "c.CourseDirectory.db_url = \"postgresql://USER@HOST/DBNAME\" (see the README's "
            "PostgreSQL section)")


def connect(address: str):
    """A client of the Dask scheduler at ``address``; a clear error when there is none."""
    try:
        from distributed import Client
    except ImportError:
        raise CourseError("--cluster needs Dask's distributed package: pip install 'gan-lab[course]' "
                          "(or pip install distributed)") from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise CourseError(f"no Dask scheduler answered at {address} within {CONNECT_TIMEOUT_S} s "
                          f"({error}); start one with `dask scheduler` and give its tcp:// "
                          "address") from None


def run_units(address: str, unit: Callable, students: Sequence[str], *, lab: str,
              say: Callable[[str], None]) -> dict:
    """``unit(student)`` for every student, one Dask task each; returns student -> ``Unit``.

    A unit that raises ``CourseError`` found the course unusable on its worker (no shared
    folder, say): the run stops with that message before anything is written. Any other
    failure (the scheduler gave up on a task whose workers kept dying) is that submission's
    problem, reported as not graded, and the others go on.
    """
    from distributed import as_completed

    from gan_lab.course.autograde import Unit

    client = connect(address)
    try:
        workers = client.scheduler_info().get("workers", {})
        threads = sum(w.get("nthreads", 1) for w in workers.values())
        say(f"[{lab}] Dask scheduler at {address}: {len(workers)} worker(s), {threads} thread(s)"
            + ("; the tasks wait until a worker joins" if not workers else ""))
        stamp = time.time_ns()
        futures = {client.submit(unit, student, key=f"gan-lab-autograde-{lab}-{student}-{stamp}",
                                 pure=False, retries=RETRIES): student for student in students}
        results = {}
        for future in as_completed(futures, loop=client.loop):
            student = futures[future]
            try:
                results[student] = future.result()
            except CourseError:
                client.cancel(list(futures))
                raise
            except Exception as error:  # noqa: BLE001 - whatever the cluster raised, said in full
                results[student] = Unit(0.0, f"the cluster could not run it ({type(error).__name__}: "
                                             f"{error})")
            say(results[student].line(lab, student))
        return results
    finally:
        client.close()
