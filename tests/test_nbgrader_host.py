"""nbgrader's commands forked from the preloaded host (``gan_lab.course.nbgrader_host``) give
what a fresh ``python -m nbgrader`` gives: its exit code, stdout and stderr, run in its own
folder with its own environment, also when many run at once."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gan_lab.course import nbgrader_host

BIN = str(Path(sys.executable).parent)


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", ""), **extra}


def _fresh(args, cwd: Path, env) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


def test_many_commands_at_once_each_get_exactly_what_a_fresh_process_gives(tmp_path):
    """Twelve threads, sixty commands: a success, a bad flag (exit 2) and a failed autograde
    (exit 1), each with the exit code, stdout and stderr of a fresh nbgrader process."""
    commands = [["--version"], ["--no-such-flag"], ["autograde", "nolab"]]
    expected = {tuple(args): _fresh(args, tmp_path, _env()) for args in commands}
    assert [code for code, _, _ in expected.values()] == [0, 2, 1]

    def one(i: int):
        args = commands[i % len(commands)]
        return args, nbgrader_host.run(args, tmp_path, _env())

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(one, range(60)))
    for args, (code, out, err) in results:
        want_code, want_out, want_err = expected[tuple(args)]
        assert code == want_code, (args, code, out, err)
        if args == ["--version"]:
            assert out == want_out and "nbgrader version" in out
        else:
            assert err.splitlines()[-1] == want_err.splitlines()[-1], (args, err)


def test_a_command_runs_in_its_own_folder_with_its_own_environment(tmp_path):
    """The config file of the command's folder is read, and it sees the command's variables."""
    for name in ("a", "b"):
        course = tmp_path / name
        course.mkdir()
        (course / "nbgrader_config.py").write_text(textwrap.dedent("""
            import os
            c = get_config()
            c.CourseDirectory.db_url = "sqlite:///" + os.environ["GRADEBOOK_FILE"]
        """))
        env = _env(GRADEBOOK_FILE=str(course / f"{name}.db"))
        code, _, err = nbgrader_host.run(["db", "student", "add", f"student-{name}"], course, env)
        assert code == 0, err
        code, out, err = nbgrader_host.run(["db", "student", "list"], course, env)
        assert code == 0 and f"student-{name}" in out, (out, err)
        assert (course / f"{name}.db").is_file()
    assert "student-a" not in nbgrader_host.run(["db", "student", "list"], tmp_path / "b",
                                                 _env(GRADEBOOK_FILE=str(tmp_path / "b" / "b.db")))[1]


def test_the_host_ends_with_the_process_that_started_it(tmp_path):
    """No host outlives its caller."""
    script = ("import os, sys\nfrom pathlib import Path\nfrom gan_lab.course import nbgrader_host as h\n"
              "code, out, err = h.run(['--version'], Path.cwd(), dict(os.environ))\n"
              "print(code, h._hosts[os.environ.get('PYTHONPATH', '')].process.pid)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          env=_env())
    code, pid = map(int, done.stdout.split())
    assert done.returncode == 0 and code == 0, done.stderr
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:  # reap it if it became our child (it does not: its parent was the script)
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the nbgrader host {pid} is still running after its caller ended")


def test_students_registered_from_many_threads_at_once_are_each_added_once(tmp_path):
    """Two labs graded side by side both register their students first; neither may fail."""
    from gan_lab.course.autograde import _register_students
    from gan_lab.course.gradebook import open_gradebook

    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.db_url = "sqlite:///gradebook.db"\n')
    code, _, err = nbgrader_host.run(["db", "student", "add", "known"], tmp_path, _env())  # a new gradebook
    assert code == 0, err
    names = ["known", *(f"new-{i}" for i in range(20))]
    start = threading.Barrier(4)

    def register(_):
        start.wait()
        _register_students(tmp_path, names)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(register, range(4)))
    with open_gradebook(tmp_path) as gradebook:
        assert sorted(s.id for s in gradebook.students) == sorted(names)
