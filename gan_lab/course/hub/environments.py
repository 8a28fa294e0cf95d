"""The two environments of a course server, and what each lets its users see.

- The staff environment (``PREFIX/envs/staff``, made by ``deploy/jupyterhub/setup.sh``): the
  full gan_lab, installed in editable mode from the course folder, with every nbgrader
  extension. Only root and the staff group can enter it.
- The students' environment (``PREFIX/envs/student``): torch, JupyterLab, nbgrader and the
  student build of one lab (no ``gan_lab.grading``, no ``gan_lab.course``, the answers to that
  lab and later ones stubbed). Students get the Assignments tab and Validate, not formgrader.

Both come from ``/usr/bin/python3``: an interpreter under ``/root`` is unreadable to the accounts
that run them. Extensions are switched with Jupyter's own commands at the environment's level
(``--sys-prefix``), so no account needs a configuration of its own.
"""
from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

from gan_lab.course.hub.settings import HubSettings, HubSetupError

TORCH_PINS = ("torch==2.14.1", "torchvision==0.29.1")  # a looser range downloads gigabytes
STUDENT_TOOLS = ("jupyterhub>=6.1,<6.2", "jupyterlab>=4", "nbgrader>=0.9,<0.10", "ipykernel>=6.29",
                 "jsonschema>=4.18,<4.25")
# What students do not get: formgrader and the instructor's course tools, server and page.
STUDENT_SERVER_OFF = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")
STUDENT_PAGE_OFF = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                    "@jupyter/nbgrader:create-assignment")
STAMP = ".gan-lab-student-build"  # in the students' environment: the build it holds

# Run inside an environment: which gan_lab it holds.
_INSPECT = """
import importlib.metadata, importlib.util, json
try:
    version = importlib.metadata.version("gan-lab")
except importlib.metadata.PackageNotFoundError:
    version = None
found = lambda name: version is not None and importlib.util.find_spec(name) is not None
print(json.dumps({"version": version, "grading": found("gan_lab.grading"), "course": found("gan_lab.course")}))
"""


def run(command: list, what: str, **kwargs) -> str:
    """Run a set-up command; its output in the error when it fails."""
    # From "/": a gan_lab folder in the working directory would shadow the environment's own.
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                            cwd="/", **kwargs)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-3000:]
        raise HubSetupError(f"{what} failed (exit {result.returncode}): {output}")
    return result.stdout


def pip(env: Path, *args: str, what: str) -> None:
    run([env / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args], what)


def inspect_env(env: Path) -> dict:
    """{"version", "grading", "course"} of the gan_lab that ``env`` holds."""
    python = env / "bin" / "python"
    if not python.exists():
        raise HubSetupError(f"no Python environment at {env}: run deploy/jupyterhub/setup.sh")
    return json.loads(run([python, "-c", _INSPECT], f"reading gan_lab's version in {env}"))


def student_env_problem(env: Path, lab: str | None = None) -> str | None:
    """Why ``env`` must not be given to students (it holds the answers or no course at all),
    or None."""
    info = inspect_env(env)
    if info["version"] is None:
        return f"{env} has no gan_lab installed: install the student build with `gan-lab hub next-lab LAB`"
    if info["grading"] or info["course"] or "+student." not in info["version"]:
        return (f"{env} holds the full gan_lab {info['version']} (gan_lab.grading and gan_lab.course, "
                "with every answer and hidden check): a students' environment must hold the student "
                "build; replace it with `gan-lab hub next-lab LAB`")
    if lab is not None and not info["version"].endswith("+student." + lab.replace("_", ".")):
        return f"{env} holds {info['version']}, not the student build of {lab}: run `gan-lab hub next-lab {lab}`"
    return None


def build_student_env(settings: HubSettings, python: str, say: Callable[[str], None]) -> None:
    """Create the students' environment (torch, JupyterLab, nbgrader) when it is missing, and
    switch off the staff's extensions in it; the lab's build comes from ``install_lab``."""
    env = settings.student_env
    if not (env / "bin" / "python").exists():
        say(f"creating the students' environment in {env} (torch included: a few minutes)")
        run([python, "-m", "venv", env], f"creating {env}")
        pip(env, "--upgrade", "pip", what="upgrading pip")
        pip(env, *TORCH_PINS, what="installing torch")
    pip(env, *STUDENT_TOOLS, what="installing JupyterHub's single-user server, JupyterLab and nbgrader")
    jupyter = env / "bin" / "jupyter"
    for extension in STUDENT_SERVER_OFF:
        run([jupyter, "server", "extension", "disable", "--sys-prefix", extension],
            f"switching off {extension} for students")
    run([jupyter, "labextension", "disable", "--level=sys_prefix", *STUDENT_PAGE_OFF],
        "switching off formgrader's pages for students")
    env.chmod(0o755)


def install_lab(settings: HubSettings, lab: str, say: Callable[[str], None]) -> str:
    """Build the student wheel of ``lab`` from the course folder and install it into the
    students' environment, replacing the previous lab's; returns the installed version."""
    from gan_lab.course.student_build import build_student_wheel

    env = settings.student_env
    with tempfile.TemporaryDirectory(prefix="gan-lab-hub-wheel-") as tmp:
        say(f"building the student build of {lab} from {settings.course_root}")
        wheel, _left_out = build_student_wheel(lab, Path(tmp), root=settings.course_root)
        say(f"installing {wheel.name} into {env}")
        pip(env, wheel, what=f"installing {wheel.name}")  # its dependencies, if any are missing
        pip(env, "--no-deps", "--force-reinstall", wheel, what=f"installing {wheel.name}")
    problem = student_env_problem(env, lab)
    if problem:
        raise HubSetupError(problem)
    version = inspect_env(env)["version"]
    (env / STAMP).write_text(f"{lab} {version}\n")
    return version


_READ_SETTINGS = """\
# Written by `gan-lab hub setup` (rewritten each time it runs). Paths come from the course
# server's settings, named by GAN_LAB_HUB_SETTINGS (the hub sets it for every server).
import json
import os

c = get_config()  # noqa: F821
_settings = json.load(open(os.environ.get("GAN_LAB_HUB_SETTINGS") or {default!r}))
"""

NBGRADER_CONFIG = _READ_SETTINGS + """\
c.Exchange.root = _settings["exchange_root"]
c.CourseDirectory.course_id = _settings["course_id"]
"""
STAFF_NBGRADER_CONFIG = NBGRADER_CONFIG + """\
c.CourseDirectory.root = _settings["course_root"]
# Instructors and graders share the course folder through their Unix group.
c.CourseDirectory.groupshared = True
"""
# A terminal's shell keeps the variables the hub gave the server (the environment's bin/ first
# on PATH): the login shell Jupyter starts by default would let /etc/profile reset PATH.
SERVER_CONFIG = """\
c = get_config()  # noqa: F821
c.ServerApp.terminado_settings = {"shell_command": ["/bin/bash", "-i"]}
"""
# JupyterHub's single-user default forbids every frame ('none'), which leaves formgrader's panel
# in JupyterLab blank. With a host per user, 'self' lets only the user's own pages frame it.
STAFF_SERVER_CONFIG = _READ_SETTINGS + """\
c.ServerApp.terminado_settings = {{"shell_command": ["/bin/bash", "-i"]}}
if _settings["formgrader"] == "subdomains":
    c.ServerApp.tornado_settings = {{"headers": {{"Content-Security-Policy": "frame-ancestors 'self'"}}}}
"""


def write_env_configs(settings: HubSettings) -> None:
    """Each environment's own Jupyter configuration, in its ``etc/jupyter`` (``--sys-prefix``):
    nbgrader's exchange and course, and the staff servers' framing."""
    default = str(settings.path)
    files = {settings.student_env: {"nbgrader_config.py": NBGRADER_CONFIG,
                                    "jupyter_server_config.py": SERVER_CONFIG},
             settings.staff_env: {"nbgrader_config.py": STAFF_NBGRADER_CONFIG,
                                  "jupyter_server_config.py": STAFF_SERVER_CONFIG}}
    for env, written in files.items():
        folder = env / "etc" / "jupyter"
        folder.mkdir(parents=True, exist_ok=True)
        for name, template in written.items():
            text = template if template is SERVER_CONFIG else template.format(default=default)
            (folder / name).write_text(text)
