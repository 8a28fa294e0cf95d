"""Is a course server set up right? Each problem is one line that says what to fix.

``gan-lab hub check`` prints them, the set-up ends with them, and ``gan-lab doctor`` reads the
one that matters inside a user's server: an environment that does not fit its role.
"""
from __future__ import annotations

import grp
import os
import shutil
import stat
from pathlib import Path

from gan_lab.course.hub.environments import inspect_env, student_env_problem
from gan_lab.course.hub.settings import ROLES, HubSettings

MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _group_problems(settings: HubSettings) -> list[str]:
    problems = []
    for role in (*ROLES, "staff"):
        name = settings.unix_groups[role]
        try:
            grp.getgrnam(name)
        except KeyError:
            problems.append(f"the Unix group {name} ({role}) is missing: run `gan-lab hub setup`, "
                            f"or `groupadd {name}`")
    return problems


def _exchange_problems(settings: HubSettings) -> list[str]:
    exchange = settings.exchange_root
    if not exchange.is_dir():
        return [f"the exchange {exchange} is missing: run `gan-lab hub setup`, or "
                f"`mkdir -p {exchange} && chmod 0777 {exchange}`"]
    mode = stat.S_IMODE(exchange.stat().st_mode)
    if mode != 0o777:
        return [f"the exchange {exchange} has mode {mode:04o}; nbgrader needs 0777 (every account "
                f"releases, fetches or submits there): chmod 0777 {exchange}"]
    return []


def data_problems(data_root: Path) -> list[str]:
    """The class's MNIST: present, complete, and readable by every account."""
    raw = data_root / "MNIST" / "raw"
    if not raw.is_dir():
        return [f"the class's MNIST folder {raw} is missing: run `gan-lab hub setup` (it prepares "
                "it) or `gan-lab data --root " + str(data_root) + "`"]
    problems = []
    missing = [name for name in MNIST_FILES if not (raw / name).exists() and not (raw / f"{name}.gz").exists()]
    if missing:
        problems.append(f"{raw} lacks {', '.join(missing)}: run `gan-lab data --root {data_root} --force`")
    for folder in (*reversed(raw.parents), raw):
        if folder.exists() and not stat.S_IMODE(folder.stat().st_mode) & stat.S_IXOTH:
            problems.append(f"{folder} is closed to other accounts, so students cannot reach MNIST: "
                            f"chmod o+rx {folder}")
            break
    closed = [path.name for path in raw.iterdir() if not stat.S_IMODE(path.stat().st_mode) & stat.S_IROTH]
    if closed:
        problems.append(f"students cannot read {', '.join(sorted(closed))} in {raw}: chmod -R a+rX {data_root}")
    return problems


def _environment_problems(settings: HubSettings) -> list[str]:
    problems = []
    staff = settings.staff_env
    if not (staff / "bin" / "python").exists():
        problems.append(f"no staff environment at {staff}: run deploy/jupyterhub/setup.sh")
    else:
        info = inspect_env(staff)
        if not (info["grading"] and info["course"]):
            problems.append(f"the staff environment {staff} lacks the full gan_lab (found "
                            f"{info['version']}): run deploy/jupyterhub/setup.sh")
        if stat.S_IMODE(staff.stat().st_mode) & stat.S_IROTH or stat.S_IMODE(staff.stat().st_mode) & stat.S_IXOTH:
            problems.append(f"{staff} holds the answers and is open to every account: "
                            f"chmod 0750 {staff} && chgrp {settings.unix_groups['staff']} {staff}")
    if not (settings.student_env / "bin" / "python").exists():
        problems.append(f"no students' environment at {settings.student_env}: run `gan-lab hub setup`")
    else:
        problem = student_env_problem(settings.student_env, settings.lab)
        if problem:
            problems.append(problem)
    return problems


def _course_problems(settings: HubSettings) -> list[str]:
    course = settings.course_root
    if not (course / "nbgrader_config.py").is_file():
        return [f"the course folder {course} has no nbgrader_config.py: run deploy/jupyterhub/setup.sh"]
    if stat.S_IMODE(course.stat().st_mode) & (stat.S_IROTH | stat.S_IXOTH):
        return [f"the course folder {course} (solutions, gradebook, submissions) is open to every "
                f"account: chmod o-rwx {course}"]
    return []


def server_problems(settings: HubSettings) -> list[str]:
    """Everything wrong with the course server, one line each (empty when it is ready)."""
    problems = _group_problems(settings) + _exchange_problems(settings)
    problems += data_problems(settings.data_root) + _course_problems(settings)
    problems += _environment_problems(settings)
    if shutil.which(settings.proxy_command) is None and not os.path.isfile(settings.proxy_command):
        problems.append(f"JupyterHub's proxy {settings.proxy_command} is not installed: "
                        "npm install --global configurable-http-proxy@5")
    if shutil.which("bwrap") is None:
        problems.append("bubblewrap is not installed, and grading needs its sandbox: apt-get install bubblewrap")
    return problems
