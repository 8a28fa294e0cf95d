"""The grading sandbox's launcher: settings, clear errors, and a real kernel cut off from the rest."""
from __future__ import annotations

import json
import os
import shutil
import sys

import nbformat
import pytest

from gan_lab.course import sandbox
from gan_lab.course.sandbox import SandboxError
from gan_lab.errors import UsageError
from gan_lab.limits import GradingLimits, LimitsError

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")


def test_limits_come_from_the_environment_with_defaults():
    assert GradingLimits.from_env({}) == GradingLimits()
    assert GradingLimits().cell_timeout_s == 60 and GradingLimits().smoke_steps == 10
    assert GradingLimits.from_env({"GAN_LAB_SANDBOX_MEMORY_MB": "2048"}).memory_mb == 2048
    assert GradingLimits.from_env({"GAN_LAB_CELL_TIMEOUT": "15"}).cell_timeout_s == 15
    limits = GradingLimits(output_kb=4, smoke_steps=3)
    assert GradingLimits.from_env(limits.as_env()) == limits  # what the kernel reads back


@pytest.mark.parametrize("value", ["lots", "0", "-5", "1.5"])
def test_a_bad_limit_is_named(value):
    with pytest.raises(LimitsError, match=f"GAN_LAB_SANDBOX_CPU_SECONDS must be a positive whole number, got '{value}'"):
        GradingLimits.from_env({"GAN_LAB_SANDBOX_CPU_SECONDS": value})
    assert issubclass(LimitsError, UsageError)  # gan-lab prints it in one line


def test_the_switch_is_on_by_default_and_rejects_anything_but_on_or_off():
    assert sandbox.sandbox_enabled({}) is True
    assert sandbox.sandbox_enabled({"GAN_LAB_SANDBOX": "off"}) is False
    with pytest.raises(SandboxError, match="must be 'on' or 'off', got 'maybe'"):
        sandbox.sandbox_enabled({"GAN_LAB_SANDBOX": "maybe"})


def test_a_missing_bwrap_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SandboxError, match="apt-get install bubblewrap"):
        sandbox.bwrap_path()


def test_the_kernel_refuses_tcp_and_relative_socket_paths(tmp_path):
    connection = tmp_path / "kernel.json"
    connection.write_text(json.dumps({"transport": "tcp", "ip": "127.0.0.1"}))
    with pytest.raises(SandboxError, match='transport = "ipc"'):
        sandbox._private_connection(connection)
    connection.write_text(json.dumps({"transport": "ipc", "ip": "kernel-ipc"}))
    with pytest.raises(SandboxError, match="must be absolute"):
        sandbox._private_connection(connection)


def test_the_sockets_move_to_a_private_folder_reached_by_symlinks(tmp_path):
    ports = {name: 10 + i for i, name in enumerate(sandbox._PORTS)}
    connection = tmp_path / "kernel.json"
    connection.write_text(json.dumps({"transport": "ipc", "ip": str(tmp_path / "k"), **ports}))
    private, private_file = sandbox._private_connection(connection)
    try:
        assert json.loads(private_file.read_text())["ip"] == str(private / "ipc")
        assert private.parent == tmp_path  # removed with the grader's socket folder at its exit
        for port in ports.values():
            assert os.readlink(tmp_path / f"k-{port}") == str(private / f"ipc-{port}")
    finally:
        shutil.rmtree(private)


def test_the_kernel_spec_runs_the_launcher_and_interrupts_by_message():
    from gan_lab.course.kernel import sandbox_kernel_spec

    spec = sandbox_kernel_spec()
    assert spec.argv[:3] == [sys.executable, "-m", "gan_lab.course.sandbox"]
    assert spec.interrupt_mode == "message"


@needs_bwrap
def test_a_sandboxed_kernel_sees_only_its_folder_and_no_network(tmp_path, monkeypatch):
    """A real kernel: its folder is writable; the repo, /root and the network are not there."""
    import nbclient
    from traitlets.config import Config

    from gan_lab.course.kernel import SandboxKernelManager

    config = Config()
    secret = tmp_path / "secret.txt"
    secret.write_text("gradebook")
    work = tmp_path / "submission"
    work.mkdir()
    monkeypatch.setenv("GAN_LAB_SANDBOX_OUTPUT_KB", "4")
    cells = [
        "import os, socket, resource\nopen('mine.txt', 'w').write('ok')\nprint(sorted(os.listdir('.')))",
        f"print(os.path.exists({str(secret)!r}), os.path.exists({str(sandbox.__file__)!r}))",
        "try:\n    socket.create_connection(('1.1.1.1', 80), timeout=3)\nexcept OSError as e:\n    print('no network:', type(e).__name__)",
        "print(resource.getrlimit(resource.RLIMIT_AS)[0] // 2**20)",
        "print('y' * 100_000)",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(notebook, kernel_manager_class=SandboxKernelManager, config=config, timeout=60,
                            resources={"metadata": {"path": str(work)}}).execute()
    text = ["".join(o.get("text", "") for o in cell.outputs) for cell in notebook.cells]
    assert text[0].strip() == "['mine.txt']" and (work / "mine.txt").read_text() == "ok"
    assert text[1].strip() == "False True"  # the secret is hidden; gan_lab itself is readable
    assert text[2].startswith("no network:")
    assert text[3].strip() == str(GradingLimits().memory_mb)
    assert len(text[4]) < 5_000 and "output beyond 4 kB in this cell was dropped" in text[4]
