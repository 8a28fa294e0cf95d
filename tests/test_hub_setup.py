"""The course server's set-up pieces that run without a hub: settings, roles, checks, refusals.

The whole server, with real accounts and a browser, is ``tests/browser/test_hub_class.py``.
"""
from __future__ import annotations

import grp
import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gan_lab.course.hub import checks, spawn
from gan_lab.course.hub.accounts import add_user, groups_of_role
from gan_lab.course.hub.environments import student_env_problem, write_env_configs
from gan_lab.course.hub.settings import HubSettings, HubSetupError, role_of

REPO = Path(__file__).resolve().parent.parent


def _settings(tmp_path, **changes) -> HubSettings:
    return HubSettings(prefix=tmp_path / "prefix", course_root=tmp_path / "course",
                       exchange_root=tmp_path / "exchange", data_root=tmp_path / "data", **changes)


# --------------------------------------------------------------------------- settings
def test_settings_survive_a_round_trip_and_remember_their_file(tmp_path):
    """Are the settings read back as written, and is the file they came from the one servers get?"""
    settings = _settings(tmp_path, subdomain_host="https://hub.example.edu", formgrader="subdomains",
                         admin_users=("ada",))
    path = settings.save(tmp_path / "elsewhere" / "hub.json")
    loaded = HubSettings.load(path)
    assert loaded == settings
    assert loaded.path == path.resolve()
    assert spawn.role_environment(loaded, "students")["GAN_LAB_HUB_SETTINGS"] == str(path.resolve())


@pytest.mark.parametrize("content, message", [
    (None, "no course server settings at"),
    ("{not json", "is not valid JSON"),
    ('{"colour": "red"}', "unknown setting(s) colour"),
    ('{"course_root": "relative/course"}', "course_root must be an absolute path"),
    ('{"formgrader": "subdomains"}', "needs subdomain_host"),
    ('{"formgrader": "iframe"}', "formgrader must be one of subdomains, own-tab"),
    ('{"unix_groups": {"students": "s"}}', "unix_groups has no group for instructors, graders, staff"),
])
def test_bad_settings_are_refused_with_what_to_fix(tmp_path, content, message):
    path = tmp_path / "hub.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(HubSetupError, match=message.replace("(", r"\(").replace(")", r"\)")):
        HubSettings.load(path)


# --------------------------------------------------------------------------- roles and spawning
def test_the_role_is_the_first_of_instructors_graders_students():
    assert role_of(["students", "graders"]) == "graders"
    assert role_of({"instructors", "students"}) == "instructors"
    assert role_of(["students"]) == "students"
    assert role_of(["visitors"]) is None


def test_unix_groups_decide_the_hub_groups(tmp_path):
    """Does the login hook read roles from real Unix groups (this account's own primary group)?"""
    me = pwd.getpwuid(os.getuid())
    mine = grp.getgrgid(me.pw_gid).gr_name
    settings = _settings(tmp_path, unix_groups={"instructors": "no-such-group-gan-lab", "graders": mine,
                                                "students": mine, "staff": "no-such-group-gan-lab"})
    assert spawn.unix_roles(me.pw_name, settings) == ["graders", "students"]
    model = spawn.post_auth_hook(settings)(None, None, {"name": me.pw_name})
    assert model["groups"] == ["graders", "students"]
    assert spawn.unix_roles("no-such-account-gan-lab", settings) == []


def test_students_start_in_their_home_with_the_student_build_and_staff_in_the_course(tmp_path):
    settings = _settings(tmp_path)
    command, folder, env = spawn.spawn_plan(settings, "students", "/home/ann")
    assert command == [str(settings.student_env / "bin" / "jupyterhub-singleuser")]
    assert folder == "/home/ann"
    assert env["PATH"].startswith(f"{settings.student_env / 'bin'}:")
    assert env["GAN_LAB_ROLE"] == "students" and env["GAN_LAB_DATA"] == str(settings.data_root)
    assert "GAN_LAB_MNIST_DIR" not in env
    command, folder, env = spawn.spawn_plan(settings, "graders", "/home/tim")
    assert command[:3] == ["/bin/sh", "-c", 'umask 0002 && cd "$0" && exec "$@"']
    assert command[3:] == [str(settings.course_root), str(settings.staff_env / "bin" / "jupyterhub-singleuser")]
    assert folder == str(settings.course_root)
    assert env["PATH"].startswith(f"{settings.staff_env / 'bin'}:")
    assert env["GAN_LAB_MNIST_DIR"] == str(settings.data_root / "MNIST" / "raw")


def test_a_role_adds_its_groups_and_a_bad_name_or_role_is_refused(tmp_path):
    settings = _settings(tmp_path)
    assert groups_of_role(settings, "students") == ["gan-lab-students"]
    assert groups_of_role(settings, "instructors") == ["gan-lab-instructors", "gan-lab-staff"]
    with pytest.raises(HubSetupError, match="unknown role 'teachers'"):
        groups_of_role(settings, "teachers")
    with pytest.raises(HubSetupError, match="'Ann Smith' is not a valid account name"):
        add_user(settings, "Ann Smith", "students")


# --------------------------------------------------------------------------- configuration files
def test_each_environment_reads_the_server_settings_and_only_staff_may_be_framed(tmp_path):
    """Do the written configurations load, with the exchange, the course and the framing right?"""
    settings = _settings(tmp_path, subdomain_host="http://hub.localhost:8000", formgrader="subdomains")
    settings.save()
    write_env_configs(settings)

    def load(env, name):
        from traitlets.config import Config

        config = Config()
        namespace = {"get_config": lambda: config}
        exec(compile((env / "etc" / "jupyter" / name).read_text(), name, "exec"), namespace)
        return config

    student = load(settings.student_env, "nbgrader_config.py")
    assert student.Exchange.root == str(settings.exchange_root)
    assert "root" not in student.CourseDirectory  # students have no course folder
    staff = load(settings.staff_env, "nbgrader_config.py")
    assert staff.CourseDirectory.root == str(settings.course_root) and staff.CourseDirectory.groupshared
    server = load(settings.staff_env, "jupyter_server_config.py")
    assert server.ServerApp.tornado_settings["headers"]["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert server.ServerApp.terminado_settings == {"shell_command": ["/bin/bash", "-i"]}
    assert "tornado_settings" not in load(settings.student_env, "jupyter_server_config.py").ServerApp
    one_domain = _settings(tmp_path)  # own-tab: JupyterHub's 'none' stays
    one_domain.save()
    assert "tornado_settings" not in load(settings.staff_env, "jupyter_server_config.py").ServerApp


# --------------------------------------------------------------------------- checks
def test_a_missing_or_unreadable_class_mnist_is_named(tmp_path):
    data = tmp_path / "data"
    assert "is missing" in checks.data_problems(data)[0]
    raw = data / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in checks.MNIST_FILES[:3]:
        (raw / f"{name}.gz").write_bytes(b"x")
    problems = checks.data_problems(data)
    assert f"{raw} lacks t10k-labels-idx1-ubyte: run `gan-lab data --root {data} --force`" in problems
    data.chmod(0o700)  # (pytest's own folder may be closed already: the first closed one is named)
    closed = [p for p in checks.data_problems(data) if "is closed to other accounts" in p]
    assert len(closed) == 1 and closed[0].endswith(tuple(f"chmod o+rx {f}" for f in (data, *data.parents)))
    (raw / "t10k-labels-idx1-ubyte").write_bytes(b"x")
    (raw / "t10k-labels-idx1-ubyte").chmod(0o600)
    assert any("students cannot read t10k-labels-idx1-ubyte" in p for p in checks.data_problems(data))


def test_an_exchange_nbgrader_cannot_share_is_named(tmp_path):
    settings = _settings(tmp_path)
    assert "is missing" in checks._exchange_problems(settings)[0]
    settings.exchange_root.mkdir(mode=0o755)
    settings.exchange_root.chmod(0o755)
    assert "has mode 0755; nbgrader needs 0777" in checks._exchange_problems(settings)[0]


def _fake_env(tmp_path, version: str, grading: bool) -> Path:
    """A real venv holding a stand-in gan_lab of ``version`` (with or without gan_lab.grading)."""
    env = tmp_path / f"env-{version}"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    site = next((env / "lib").glob("python3*/site-packages"))
    (site / "gan_lab").mkdir()
    (site / "gan_lab" / "__init__.py").write_text("")
    if grading:
        (site / "gan_lab" / "grading").mkdir()
        (site / "gan_lab" / "grading" / "__init__.py").write_text("")
    info = site / f"gan_lab-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: gan-lab\nVersion: {version}\n")
    return env


def test_a_students_environment_with_the_answers_is_refused(tmp_path):
    """Is an environment holding the full package (grading/ and the answers) never given to students?"""
    full = _fake_env(tmp_path, "0.1.0", grading=True)
    assert "holds the full gan_lab 0.1.0" in student_env_problem(full)
    build = _fake_env(tmp_path, "0.1.0+student.toy.1d", grading=False)
    assert student_env_problem(build) is None
    assert student_env_problem(build, "toy_1d") is None
    assert "not the student build of dcgan: run `gan-lab hub next-lab dcgan`" in student_env_problem(build, "dcgan")


def test_doctor_refuses_the_full_package_for_students():
    """Does `gan-lab doctor` in a student's session say when the environment holds the answers?"""
    from gan_lab.cli import _role_status

    result = subprocess.run([sys.executable, "-m", "gan_lab.cli", "doctor", "--role", "students"],
                            capture_output=True, text=True, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    assert result.returncode == 1
    assert "Course role: students, but this environment holds the full gan_lab" in result.stdout
    line, broken = _role_status("instructors")
    assert line.startswith("Course role: instructors; gan_lab") and "(the full package)" in line and not broken


def test_the_setup_script_refuses_an_interpreter_other_accounts_cannot_run(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the set-up script stops earlier for anyone but root")
    python = Path(sys.base_prefix) / "bin" / "python3"
    if not str(python.resolve()).startswith("/root/"):
        pytest.skip("this machine's own Python is readable by every account")
    result = subprocess.run([str(REPO / "deploy" / "jupyterhub" / "setup.sh"), "--prefix", str(tmp_path)],
                            capture_output=True, text=True, env={**os.environ, "GAN_LAB_HUB_PYTHON": str(python)})
    assert result.returncode == 1
    assert "lives under /root, which other accounts cannot read; use /usr/bin/python3" in result.stderr


# --------------------------------------------------------------------------- Zero to JupyterHub
def test_the_kubernetes_values_hold_python_that_compiles():
    """Are the hub's extraConfig and the servers' nbgrader configuration valid Python?"""
    values = yaml.safe_load((REPO / "deploy" / "zero-to-jupyterhub" / "values.yaml").read_text())
    snippets = dict(values["hub"]["extraConfig"])
    snippets.update({name: item["stringData"] for name, item in values["singleuser"]["extraFiles"].items()
                     if item["mountPath"].endswith(".py")})
    assert set(snippets) == {"gan-lab-roles", "nbgrader-config"}
    for name, source in snippets.items():
        compile(source, name, "exec")
    assert values["hub"]["config"]["GenericOAuthenticator"]["allowed_groups"] == ["instructors", "graders", "students"]
    assert json.dumps(values).count("CHANGE-ME") >= 4  # nothing secret is committed
