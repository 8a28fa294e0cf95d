"""What JupyterHub does per role: the hooks ``deploy/jupyterhub/jupyterhub_config.py`` installs.

- At login (``post_auth_hook``, with ``Authenticator.manage_groups``), a user's JupyterHub
  groups are set from their Unix groups, the one source of truth: a member of
  ``gan-lab-instructors`` is in the hub's ``instructors`` group, and so on. The Unix groups
  also decide what each account may read and write on disk.
- Before a server starts (``pre_spawn_hook``), the role picks the environment and the folder:
  students get the students' environment (the student build of the current lab, no answers,
  no hidden checks) in their home folder; instructors and graders get the staff environment
  (the full gan_lab) in the course folder, with a umask that keeps what they write
  group-writable for each other.
"""
from __future__ import annotations

import grp
import os
import pwd
from typing import Callable

from gan_lab.course.hub.settings import ROLES, HubSettings, role_of


def unix_roles(username: str, settings: HubSettings) -> list[str]:
    """The roles whose Unix group ``username`` belongs to (primary group included)."""
    try:
        entry = pwd.getpwnam(username)
    except KeyError:
        return []
    gids = set(os.getgrouplist(username, entry.pw_gid))
    roles = []
    for role in ROLES:
        try:
            if grp.getgrnam(settings.unix_groups[role]).gr_gid in gids:
                roles.append(role)
        except KeyError:  # the group does not exist: nobody has that role
            continue
    return roles


def post_auth_hook(settings: HubSettings) -> Callable:
    """``Authenticator.post_auth_hook``: the user's JupyterHub groups are their Unix roles."""
    def hook(_authenticator, _handler, auth_model):
        auth_model["groups"] = unix_roles(auth_model["name"], settings)
        return auth_model
    return hook


def role_environment(settings: HubSettings, role: str) -> dict[str, str]:
    """The variables a role's server (and its kernels and terminals) starts with."""
    env = settings.env_of(role)
    variables = {
        "PATH": f"{env / 'bin'}:/usr/local/bin:/usr/bin:/bin",  # nbgrader calls alembic from PATH
        "GAN_LAB_DATA": str(settings.data_root),  # one read-only MNIST for the class
        "GAN_LAB_ROLE": role,  # `gan-lab doctor` checks the environment fits the role
        "GAN_LAB_HUB_SETTINGS": str(settings.path),
    }
    if settings.language:  # what gan_lab prints, the checks and the feedback speak it
        variables["GAN_LAB_LANGUAGE"] = settings.language
    if role != "students":
        # The grading sandbox binds the MNIST source read-only into every kernel.
        variables["GAN_LAB_MNIST_DIR"] = str(settings.data_root / "MNIST" / "raw")
    return variables


def spawn_plan(settings: HubSettings, role: str, home: str) -> tuple[list[str], str, dict[str, str]]:
    """(command, folder, environment) of a server for ``role``."""
    server = str(settings.env_of(role) / "bin" / "jupyterhub-singleuser")
    if role == "students":
        return [server], home, role_environment(settings, role)
    # umask 002: a gradebook the instructor creates stays writable for the graders; started in
    # the course folder, where terminals open too.
    command = ["/bin/sh", "-c", 'umask 0002 && cd "$0" && exec "$@"', str(settings.course_root), server]
    return command, str(settings.course_root), role_environment(settings, role)


def pre_spawn_hook(settings: HubSettings) -> Callable:
    """``Spawner.pre_spawn_hook``: the role's environment, folder and variables."""
    def hook(spawner):
        role = role_of(group.name for group in spawner.user.groups)
        if role is None:
            raise RuntimeError(f"{spawner.user.name} has no course role: add the account to one of "
                               f"the Unix groups {', '.join(settings.unix_groups[r] for r in ROLES)} "
                               "(gan-lab hub add-user) and log in again")
        command, folder, variables = spawn_plan(settings, role, pwd.getpwnam(spawner.user.name).pw_dir)
        spawner.cmd = command
        spawner.notebook_dir = folder
        spawner.environment.update(variables)
        spawner.log.info("gan-lab: %s starts as one of the %s in %s", spawner.user.name, role, folder)
    return hook
