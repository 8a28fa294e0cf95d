"""Where a course server keeps everything, in one JSON file that the set-up writes.

``gan-lab hub setup`` writes ``PREFIX/etc/hub.json``; JupyterHub's configuration
(``deploy/jupyterhub/jupyterhub_config.py``) and every other ``gan-lab hub`` command read it
(``GAN_LAB_HUB_SETTINGS`` names another file). One file, so the hub, the spawner and the
commands never disagree about a path or a group.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from gan_lab.errors import UsageError

SETTINGS_ENV = "GAN_LAB_HUB_SETTINGS"
DEFAULT_PREFIX = Path("/opt/gan-lab")
# The roles, as JupyterHub groups: each names the Unix group whose members have that role.
ROLES = ("instructors", "graders", "students")
FRAMINGS = ("subdomains", "own-tab")


class HubSetupError(UsageError):
    """The course server is not set up as the command needs; the message says what to fix."""


@dataclasses.dataclass(frozen=True)
class HubSettings:
    """A course server's layout.

    ``unix_groups`` maps each role (and ``staff``: instructors and graders together, who may
    read the course folder and run the staff environment) to its Unix group. ``formgrader``
    says how formgrader is shown: ``subdomains`` (each user's server on a host of its own under
    ``subdomain_host``, so the staff's servers may let their own pages frame formgrader) or
    ``own-tab`` (one domain; no server may be framed, formgrader opens in a tab of its own).
    """

    prefix: Path = DEFAULT_PREFIX
    course_root: Path = Path("/srv/gan-lab/course")
    exchange_root: Path = Path("/srv/nbgrader/exchange")
    data_root: Path = Path("/srv/gan-lab/data")
    course_id: str = "gan-lab"
    lab: str = "mlp_gan"  # the lab whose student build the students' environment holds
    bind_url: str = "http://:8000"
    subdomain_host: str = ""
    formgrader: str = "own-tab"
    unix_groups: dict = dataclasses.field(default_factory=lambda: {
        "instructors": "gan-lab-instructors", "graders": "gan-lab-graders",
        "students": "gan-lab-students", "staff": "gan-lab-staff"})
    admin_users: tuple = ()
    proxy_command: str = "configurable-http-proxy"
    state_root: str = ""  # the hub's own files; default PREFIX/state
    language: str = ""  # the class's language (GAN_LAB_LANGUAGE, e.g. zh_CN); "" for English

    def __post_init__(self):
        for name in ("prefix", "course_root", "exchange_root", "data_root"):
            value = getattr(self, name)
            if not Path(value).is_absolute():
                raise HubSetupError(f"{name} must be an absolute path, found {str(value)!r}")
            object.__setattr__(self, name, Path(value))
        object.__setattr__(self, "admin_users", tuple(self.admin_users))
        if self.formgrader not in FRAMINGS:
            raise HubSetupError(f"formgrader must be one of {', '.join(FRAMINGS)}, found {self.formgrader!r}")
        if self.formgrader == "subdomains" and not self.subdomain_host:
            raise HubSetupError("formgrader = 'subdomains' needs subdomain_host (for instance "
                                "https://hub.example.edu, with a wildcard DNS entry and certificate "
                                "for *.hub.example.edu); without subdomains use --formgrader own-tab")
        missing = [key for key in (*ROLES, "staff") if key not in self.unix_groups]
        if missing:
            raise HubSetupError(f"unix_groups has no group for {', '.join(missing)}")

    # ----------------------------------------------------------------- derived paths
    @property
    def staff_env(self) -> Path:
        return self.prefix / "envs" / "staff"

    @property
    def student_env(self) -> Path:
        return self.prefix / "envs" / "student"

    @property
    def state_dir(self) -> Path:
        """The hub's database, cookie secret and proxy pid (root only)."""
        return Path(self.state_root) if self.state_root else self.prefix / "state"

    @property
    def path(self) -> Path:
        """The settings file: the one these were read from, else PREFIX/etc/hub.json."""
        return getattr(self, "_loaded_from", None) or self.prefix / "etc" / "hub.json"

    def env_of(self, role: str) -> Path:
        return self.student_env if role == "students" else self.staff_env

    # ----------------------------------------------------------------- the file
    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data.update({key: str(value) for key, value in data.items() if isinstance(value, Path)})
        data["admin_users"] = list(self.admin_users)
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    def save(self, path: Path | None = None) -> Path:
        target = Path(path or self.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.to_json())
        target.chmod(0o644)  # the single-user servers read nothing from it; the hub and root do
        return target

    @classmethod
    def load(cls, path: str | Path | None = None) -> "HubSettings":
        """The settings in ``path`` (default: ``$GAN_LAB_HUB_SETTINGS``, else the default
        prefix's ``etc/hub.json``); a clear error when the file is missing or malformed."""
        path = Path(path or os.environ.get(SETTINGS_ENV) or DEFAULT_PREFIX / "etc" / "hub.json")
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise HubSetupError(f"no course server settings at {path}: run "
                                "deploy/jupyterhub/setup.sh first, or name the file with "
                                f"--settings or {SETTINGS_ENV}") from None
        except json.JSONDecodeError as error:
            raise HubSetupError(f"{path} is not valid JSON ({error})") from None
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise HubSetupError(f"{path}: unknown setting(s) {', '.join(unknown)}")
        settings = cls(**data)
        object.__setattr__(settings, "_loaded_from", path.resolve())
        return settings


def role_of(groups) -> str | None:
    """The role a set of JupyterHub group names gives (instructors over graders over
    students), or None."""
    names = set(groups)
    return next((role for role in ROLES if role in names), None)
