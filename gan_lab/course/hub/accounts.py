"""Accounts and groups: who is an instructor, a grader or a student, on disk and in the hub.

A role is a Unix group (``gan-lab-instructors``, ``gan-lab-graders``, ``gan-lab-students``);
instructors and graders are also in ``gan-lab-staff``, which may enter the course folder and
the staff environment. JupyterHub reads the same groups at every login (``spawn``).
"""
from __future__ import annotations

import grp
import os
import pwd
import re
import subprocess
from pathlib import Path

from gan_lab.course.hub.settings import ROLES, HubSettings, HubSetupError

_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")  # what useradd accepts on Debian by default


def groups_of_role(settings: HubSettings, role: str) -> list[str]:
    """The Unix groups an account of ``role`` belongs to."""
    if role not in ROLES:
        raise HubSetupError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    groups = [settings.unix_groups[role]]
    if role != "students":
        groups.append(settings.unix_groups["staff"])
    return groups


def ensure_groups(settings: HubSettings) -> list[str]:
    """Create the role groups that are missing; return the ones created."""
    created = []
    for name in (settings.unix_groups[role] for role in (*ROLES, "staff")):
        try:
            grp.getgrnam(name)
        except KeyError:
            _run(["groupadd", "--system", name], f"creating the group {name}")
            created.append(name)
    return created


def add_user(settings: HubSettings, name: str, role: str, password: str | None = None) -> str:
    """Give the account ``name`` a role, creating it (with a private home folder) if need be.

    Returns one line saying what was done. The home folder is made 0700 either way, so no
    student reads another's work.
    """
    if not _NAME.fullmatch(name):
        raise HubSetupError(f"{name!r} is not a valid account name (lower-case letters, digits, "
                            "- and _, starting with a letter, at most 32 characters)")
    groups = groups_of_role(settings, role)
    for group in groups:
        try:
            grp.getgrnam(group)
        except KeyError:
            raise HubSetupError(f"the group {group} does not exist: run `gan-lab hub setup` "
                                "(deploy/jupyterhub/setup.sh) first") from None
    try:
        pwd.getpwnam(name)
        created = False
    except KeyError:
        _run(["useradd", "--create-home", "--shell", "/bin/bash", name], f"creating the account {name}")
        created = True
    _run(["usermod", "--append", "--groups", ",".join(groups), name], f"adding {name} to {', '.join(groups)}")
    home = Path(pwd.getpwnam(name).pw_dir)
    if home.is_dir():
        home.chmod(0o700)
    if password is not None:
        _run(["chpasswd"], f"setting {name}'s password", input=f"{name}:{password}\n")
    return f"{'created' if created else 'updated'} {name}: one of the {role} ({', '.join(groups)})"


def members(group: str) -> list[str]:
    """Accounts in a Unix group, as secondary members."""
    try:
        return sorted(grp.getgrnam(group).gr_mem)
    except KeyError:
        return []


def _run(command: list[str], what: str, input: str | None = None) -> None:
    if os.geteuid() != 0:
        raise HubSetupError(f"{what} needs root: run this command with sudo")
    result = subprocess.run(command, capture_output=True, text=True, input=input)
    if result.returncode != 0:
        raise HubSetupError(f"{what} failed: {(result.stdout + result.stderr).strip()}")
