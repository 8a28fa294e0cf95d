"""``gan-lab hub setup``: everything a course server needs beyond the staff environment.

``deploy/jupyterhub/setup.sh`` installs the system packages, clones the course folder and
builds the staff environment, then runs this (as root, from that environment). Each step
checks what is there and does only what is missing, printing one line per step; the last one
is ``checks.server_problems``, and any problem left is an error.

Permissions, the heart of it:

============================  ======================  ====  ==========================================
path                          owner:group             mode  why
============================  ======================  ====  ==========================================
PREFIX/envs/staff             root:gan-lab-staff      0750  the full gan_lab: answers, hidden checks
PREFIX/envs/student           root:root               0755  the student build, for everyone
PREFIX/state                  root:root               0700  the hub's database and secrets
course folder                 root:gan-lab-staff      3770  staff only; setgid keeps the group, the
                                                            sticky bit keeps graders from deleting
                                                            what instructors made
course/solutions, notebooks   root:gan-lab-instructors 2775 instructors edit and release; graders read
exchange                      root:root               0777  nbgrader's shared folder (it checks 0777)
data (MNIST)                  root:root               0755  one read-only copy for the class
============================  ======================  ====  ==========================================
"""
from __future__ import annotations

import grp
import os
import shutil
from pathlib import Path
from typing import Callable

from gan_lab.course.hub import accounts, checks, environments
from gan_lab.course.hub.settings import HubSettings, HubSetupError

CONFIG_SOURCE = Path(__file__).resolve().parents[3] / "deploy" / "jupyterhub"
UNIT_NAME = "gan-lab-hub.service"
# What instructors write in the course folder; created up front with the group's permissions.
INSTRUCTOR_FOLDERS = ("solutions", "notebooks", "release", "submitted", "autograded", "feedback")


def _chown(path: Path, group: str | None, mode: int) -> None:
    gid = grp.getgrnam(group).gr_gid if group else 0
    os.chown(path, 0, gid)
    path.chmod(mode)


def _chgrp_tree(root: Path, group: str, writable: bool) -> None:
    """Give a tree to ``group``: folders setgid (new files inherit the group), group-writable
    when ``writable``."""
    gid = grp.getgrnam(group).gr_gid
    for folder, _dirs, files in os.walk(root):
        os.chown(folder, -1, gid)
        os.chmod(folder, 0o2775 if writable else 0o2755)
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue
            os.chown(path, -1, gid)
            os.chmod(path, (os.stat(path).st_mode & 0o777) | (0o664 if writable else 0o644))


def course_folder(settings: HubSettings, say: Callable[[str], None]) -> None:
    course = settings.course_root
    if not (course / "nbgrader_config.py").is_file():
        raise HubSetupError(f"{course} is not a course folder (no nbgrader_config.py): "
                            "deploy/jupyterhub/setup.sh clones the repository there")
    staff, instructors = settings.unix_groups["staff"], settings.unix_groups["instructors"]
    course.parent.chmod(course.parent.stat().st_mode | 0o055)  # /srv/gan-lab: only a way through
    _chown(course, staff, 0o3770)
    for name in INSTRUCTOR_FOLDERS:
        (course / name).mkdir(exist_ok=True)
        _chgrp_tree(course / name, instructors, writable=True)
    # SQLite makes new database files 0644 whatever the umask, which would leave graders unable
    # to save a score: the gradebook is made here, writable by the staff (an empty file is an
    # empty database; SQLite gives its journal the same owner and mode).
    gradebook = course / "gradebook.db"
    gradebook.touch(exist_ok=True)
    _chown(gradebook, staff, 0o664)
    say(f"course folder {course}: {staff} may enter and grade, {instructors} write solutions/ and releases")


def exchange(settings: HubSettings, say: Callable[[str], None]) -> None:
    """nbgrader's exchange (0777, which nbgrader checks) and the course's folder in it, owned by
    the instructors' group so that any instructor releases and collects (``groupshared``)."""
    root = settings.exchange_root
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o777)
    course = root / settings.course_id
    course.mkdir(exist_ok=True)
    _chown(course, settings.unix_groups["instructors"], 0o2775)
    say(f"nbgrader exchange {root} (0777), {course} for {settings.unix_groups['instructors']}")


def class_data(settings: HubSettings, source: str | None, say: Callable[[str], None]) -> None:
    """One MNIST for the class, prepared offline where possible, read-only for everyone."""
    from gan_lab.mnist import prepare_mnist

    root = settings.data_root
    if checks.data_problems(root):
        root.mkdir(parents=True, exist_ok=True)
        prepare_mnist(root, source=source or os.environ.get("GAN_LAB_MNIST_DIR") or None,
                      download=True, announce=lambda line: say(f"MNIST: {line}"))
    for folder, _dirs, files in os.walk(root):
        os.chown(folder, 0, 0)
        os.chmod(folder, 0o755)
        for name in files:
            os.chown(os.path.join(folder, name), 0, 0)
            os.chmod(os.path.join(folder, name), 0o644)
    say(f"MNIST for the class in {root} (read-only)")


def hub_files(settings: HubSettings, say: Callable[[str], None]) -> Path:
    """The settings, JupyterHub's configuration and its state folder under PREFIX."""
    etc = settings.prefix / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    settings.save()
    config = etc / "jupyterhub_config.py"
    shutil.copyfile(CONFIG_SOURCE / "jupyterhub_config.py", config)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    settings.state_dir.chmod(0o700)
    say(f"JupyterHub's configuration in {config}, its settings in {settings.path}")
    return config


def systemd_unit(settings: HubSettings, config: Path, say: Callable[[str], None]) -> None:
    unit = (CONFIG_SOURCE / UNIT_NAME).read_text().format(
        staff_env=settings.staff_env, config=config, settings=settings.path, state=settings.state_dir)
    if not Path("/run/systemd/system").is_dir():
        say(f"no systemd here: start the hub with `{settings.staff_env}/bin/jupyterhub -f {config}` "
            f"(as root, from {settings.state_dir})")
        return
    target = Path("/etc/systemd/system") / UNIT_NAME
    target.write_text(unit)
    environments.run(["systemctl", "daemon-reload"], "reloading systemd")
    say(f"systemd unit {target}: `systemctl enable --now {UNIT_NAME}` starts the hub")


def setup(settings: HubSettings, *, python: str, mnist_source: str | None = None,
          say: Callable[[str], None] = print) -> None:
    """Set up (or bring up to date) the course server that ``settings`` describe."""
    if os.geteuid() != 0:
        raise HubSetupError("gan-lab hub setup needs root: run deploy/jupyterhub/setup.sh with sudo")
    created = accounts.ensure_groups(settings)
    say("groups: " + (f"created {', '.join(created)}" if created else "all present"))
    _chown(settings.staff_env, settings.unix_groups["staff"], 0o750)
    say(f"staff environment {settings.staff_env}: root and {settings.unix_groups['staff']} only")
    course_folder(settings, say)
    exchange(settings, say)
    class_data(settings, mnist_source, say)
    environments.build_student_env(settings, python, say)
    stamp = settings.student_env / environments.STAMP
    if environments.student_env_problem(settings.student_env, settings.lab) or not stamp.exists():
        say(f"students' environment: {environments.install_lab(settings, settings.lab, say)}")
    else:
        say(f"students' environment already holds the student build of {settings.lab}")
    environments.write_env_configs(settings)
    say("each environment's nbgrader and server configuration written")
    systemd_unit(settings, hub_files(settings, say), say)
    problems = checks.server_problems(settings)
    if problems:
        raise HubSetupError("the course server is not ready:\n  " + "\n  ".join(problems))
    say("ready: add accounts with `gan-lab hub add-user NAME --role students|graders|instructors`")


def next_lab(settings: HubSettings, lab: str, say: Callable[[str], None] = print) -> HubSettings:
    """Move the students' environment on to ``lab``'s student build (after a deadline) and
    record it in the settings file."""
    import dataclasses

    from gan_lab.course.answers import check_lab

    check_lab(lab)
    if os.geteuid() != 0:
        raise HubSetupError("gan-lab hub next-lab needs root: run it with sudo")
    version = environments.install_lab(settings, lab, say)
    updated = dataclasses.replace(settings, lab=lab)
    updated.save(settings.path)
    say(f"the students' environment now holds {version}; servers started before this keep the "
        "old build until they restart (File > Hub Control Panel > Stop My Server)")
    return updated
