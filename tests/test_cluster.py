"""``gan-lab autograde LAB --cluster ADDRESS`` on a real Dask cluster: a ``dask scheduler`` and
two ``dask worker`` processes on loopback, the gradebook on a throw-away PostgreSQL server.

One worker is killed (its whole process group, as when a node is lost) while it grades a
submission; the scheduler runs that unit again on the other worker, and every submission ends
with exactly the points serial grading gives it (``tests/corpus.py`` holds those, checked
against serial nbgrader by ``test_corpus.py``), the kernel that crashes costing only its own.
Skipped, with the reason, where PostgreSQL is not installed (.ci/run installs it).
"""
from __future__ import annotations

import os
import signal
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

import course_helpers
from corpus import CASES, LAB
from course_helpers import solutions, submit
from gan_lab.course.gradebook import scores
from gan_lab.course.nbgrader_run import nbgrader

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
STUDENTS = ("good", "os_exit")  # a clean unit and one whose kernel dies (the corpus has the rest)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(*args: str, log: Path) -> subprocess.Popen:
    """A dask CLI process in a process group of its own (so a kill takes all of it)."""
    return subprocess.Popen([str(BIN / "dask"), *args], stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True, env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"})


@pytest.fixture
def dask_cluster(tmp_path):
    """A scheduler and two one-thread workers on 127.0.0.1; yields (address, client, workers)."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    scheduler = _start("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                       "--no-dashboard", log=tmp_path / "scheduler.log")
    workers = [_start("worker", address, "--nthreads", "1", "--no-dashboard", "--name", f"w{i}",
                      log=tmp_path / f"worker{i}.log") for i in range(2)]
    client = None
    try:
        client = Client(address, timeout=60, set_as_default=False)
        client.wait_for_workers(2, timeout=60)
        yield address, client, workers
    finally:
        if client is not None:
            client.close()
        for process in (*workers, scheduler):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()


def _kill_a_busy_worker(client, workers: list[subprocess.Popen], killed: dict) -> None:
    """Wait until a worker grades a submission, give it a few seconds, kill its process group
    (the nanny, the worker, and the nbgrader and kernel it runs)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        busy = {address: keys for address, keys in client.processing().items() if keys}
        if busy:
            address, keys = next(iter(busy.items()))
            time.sleep(3)  # mid-way through nbgrader's run of that submission
            name = client.scheduler_info()["workers"][address]["name"]  # w0 or w1
            killed.update(worker=name, key=str(keys[0]))
            os.killpg(workers[int(name[1:])].pid, signal.SIGKILL)
            return
        time.sleep(0.2)


def test_a_dask_cluster_grades_like_serial_and_survives_a_killed_worker(course, postgres, dask_cluster,
                                                                      tmp_path):
    from gan_lab.course.autograde import autograde

    address, client, workers = dask_cluster
    root = tmp_path / "course"
    shutil.copytree(course, root, ignore=shutil.ignore_patterns(
        "autograded", "feedback", "gradebook.db", "gan-lab-overrides.json*", "submitted"))
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {postgres('cluster')!r}\n")
    nbgrader(root, "generate_assignment", LAB, "--force", env=course_helpers.KERNEL_ENV)
    cases = {case.student: case for case in CASES if case.student in STUDENTS}
    base = solutions(root, LAB)
    for student, case in cases.items():
        submit(root, LAB, student, case.change(nbformat.from_dict(nbformat.reads(nbformat.writes(base), 4))))

    killed: dict = {}
    killer = threading.Thread(target=_kill_a_busy_worker, args=(client, workers, killed))
    killer.start()
    lines: list[str] = []
    results = autograde(root, LAB, cluster=address, env=dict(course_helpers.KERNEL_ENV), say=lines.append)
    killer.join()

    assert killed, "no worker was ever busy, so none was killed"
    assert len(client.scheduler_info()["workers"]) == 1  # the killed one did not come back
    assert any(line.startswith(f"[{LAB}] Dask scheduler at {address}: 2 worker(s)") for line in lines)
    by_student = {row.student: row for row in results}
    assert set(by_student) == set(STUDENTS)
    for student, case in cases.items():
        assert not by_student[student].problem, (student, by_student[student].problem)
        got = {c.name: c.score for c in scores(root, LAB, student) if not c.manual}
        assert got == case.points, (student, case.what, got)
    assert "DeadKernelError" in course_helpers.feedback_text(root, LAB, "os_exit")
    assert not (root / "gradebook.db").exists()  # nothing fell back to SQLite


def test_cluster_needs_a_database_server_and_a_scheduler_that_answers(course, tmp_path, monkeypatch, capsys):
    from gan_lab import cli
    from gan_lab.course import cluster
    from gan_lab.course.nbgrader_run import CourseError

    root = tmp_path / "course"
    shutil.copytree(course, root, ignore=shutil.ignore_patterns("autograded", "feedback", "submitted"))
    submit(root, LAB, "ann", solutions(root, LAB))
    assert cli.main(["autograde", LAB, "--course", str(root), "--cluster", "tcp://127.0.0.1:1"]) == 1
    assert capsys.readouterr().err.startswith(
        "gan-lab autograde: error: --cluster needs the gradebook on a database server that every "
        "worker reaches, but")
    assert cli.main(["autograde", LAB, "--course", str(root), "--cluster", "tcp://127.0.0.1:1",
                     "--jobs", "2"]) == 1
    assert "give --jobs or --cluster, not both" in capsys.readouterr().err
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 2)
    with pytest.raises(CourseError, match=r"no Dask scheduler answered at tcp://127.0.0.1:\d+ within 2 s"):
        cluster.connect(f"tcp://127.0.0.1:{_free_port()}")
