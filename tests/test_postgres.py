"""The gradebook on a real PostgreSQL server: the course runs unchanged, with SQLite's scores.

A throw-away cluster (``postgres`` fixture in conftest.py) on a Unix socket; the course's
nbgrader_config.py gets ``c.CourseDirectory.db_url = "postgresql+psycopg2://..."`` and nothing
else changes. Skipped, with the reason, where PostgreSQL is not installed (.ci/run installs it).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import course_helpers
from gan_lab.course.gradebook import gradebook_url, scores
from gan_lab.course.nbgrader_run import REPO, nbgrader

LAB = "toy_1d"
pytestmark = pytest.mark.slow


def test_autograde_with_two_jobs_on_postgresql_gives_the_sqlite_scores(graded_course, postgres, tmp_path):
    url = postgres("gradebook")
    root = tmp_path / "course"
    shutil.copytree(graded_course, root, ignore=shutil.ignore_patterns(
        "autograded", "feedback", "gradebook.db", "gan-lab-overrides.json*", "submitted"))
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
    assert gradebook_url(root) == url
    nbgrader(root, "generate_assignment", LAB, "--force", env=course_helpers.KERNEL_ENV)
    students = ["instructor", "mistakes-1"]  # full marks and lost points: one round of two jobs
    for student in students:
        shutil.copytree(graded_course / "submitted" / student / LAB, root / "submitted" / student / LAB)
    env = {**os.environ, **course_helpers.KERNEL_ENV,
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run([str(Path(sys.executable).parent / "gan-lab"), "autograde", LAB, "--jobs", "2"],
                          cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    for student in students:
        on_postgres = {c.name: c.score for c in scores(root, LAB, student)}
        on_sqlite = {c.name: c.score for c in scores(graded_course, LAB, student)}
        assert on_postgres == on_sqlite, student
    assert not (root / "gradebook.db").exists()  # nothing fell back to SQLite
    assert (root / "feedback" / "instructor" / LAB / f"{LAB}.html").is_file()


def test_an_unreachable_gradebook_server_is_one_clear_line(tmp_path, capsys, monkeypatch):
    from gan_lab import cli

    shutil.copy(REPO / "nbgrader_config.py", tmp_path)
    with open(tmp_path / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = 'postgresql+psycopg2://nobody@/gradebook?host={tmp_path}'\n")
    (tmp_path / "submitted" / "ann" / LAB).mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["autograde", LAB]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gan-lab autograde: error: cannot open the gradebook postgresql+psycopg2://")
    assert len(err.strip().splitlines()) == 1
