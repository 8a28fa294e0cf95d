"""The grading sandbox: student code runs in bubblewrap, cut off from everything else.

Under autograde, nbgrader starts every kernel through ``SandboxKernelManager`` (set by
``gan_lab.course.config.configure``): its command, ``python -m gan_lab.course.sandbox -f
CONNECTION_FILE``, runs an ordinary IPython kernel inside a bubblewrap (``bwrap``) sandbox where:

- there is no network (a private network namespace; the kernel talks to nbgrader over Unix
  sockets, so the connection must use ``transport = "ipc"``);
- the only writable places are the submission's own folder (the kernel's working directory)
  and a private, empty ``/tmp``;
- the only readable places are the system, Python, the virtual environment, ``gan_lab`` itself
  and the MNIST source folder: never other submissions, the gradebook or the solutions;
- memory (address space), CPU time, file size and printed output are capped.

The caps are ``gan_lab.limits.GradingLimits``, read from their environment variables when the
kernel starts. ``GAN_LAB_SANDBOX=off`` grades without the sandbox, for trusted notebooks only.
The kernel's printed output is capped by ``gan_lab.course.outstream``.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Optional, Sequence

from gan_lab.errors import UsageError
from gan_lab.limits import AUTOGRADE_ENV, GradingLimits

_PORTS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
# System files a Python kernel reads; secrets such as /etc/shadow are not among them.
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc/alternatives",
                "/etc/ssl", "/etc/fonts")
_SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/passwd", "/etc/group",
                 "/etc/nsswitch.conf", "/etc/hosts", "/etc/mime.types")
# Variables the kernel inherits; everything else in the grader's environment stays outside.
_PASSED_ENV = ("LANG", "LC_ALL", "TZ", AUTOGRADE_ENV, "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "GAN_LAB_OFFLINE", "GAN_LAB_SMOKE", "GAN_LAB_MNIST_DIR", "PYTHONHASHSEED",
               "MPLBACKEND", "GAN_LAB_LANGUAGE")  # the course's language: feedback speaks it


class SandboxError(UsageError):
    """The sandbox cannot run here; the message says what to do."""


def sandbox_enabled(env=os.environ) -> bool:
    """Whether grading uses the sandbox: on unless ``GAN_LAB_SANDBOX=off``."""
    value = env.get("GAN_LAB_SANDBOX", "on").lower()
    if value not in ("on", "off"):
        raise SandboxError(f"GAN_LAB_SANDBOX must be 'on' or 'off', got {value!r}")
    return value == "on"


def bwrap_path() -> str:
    """The bubblewrap executable; a clear error when it is missing or cannot make a sandbox."""
    import subprocess

    path = shutil.which("bwrap")
    if path is None:
        raise SandboxError("bubblewrap (bwrap) is not installed; install it with "
                           "`apt-get install bubblewrap`, or set GAN_LAB_SANDBOX=off to grade "
                           "without a sandbox (trusted notebooks only)")
    probe = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-all", "--dev", "/dev", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        raise SandboxError(f"bubblewrap cannot create a sandbox here ({probe.stderr.strip()}); "
                           "it needs unprivileged user namespaces or root")
    return path


# --------------------------------------------------------------------------- the launcher
def _private_connection(connection_file: Path) -> tuple[Path, Path]:
    """Move the kernel's Unix sockets into a private folder; nbgrader reaches them by symlink.

    The shared Jupyter runtime folder holds other kernels' connection files and sockets, so it
    must not be visible inside the sandbox. Returns (private folder, private connection file).
    """
    info = json.loads(connection_file.read_text())
    if info.get("transport") != "ipc":
        raise SandboxError("the sandboxed kernel has no network, so it needs Unix sockets "
                           '(transport = "ipc"): grade through gan_lab.course.config.configure')
    shared_prefix = info["ip"]
    if not os.path.isabs(shared_prefix):
        raise SandboxError("the kernel's socket path must be absolute, found "
                           f"{shared_prefix!r}: grade through gan_lab.course.config.configure")
    # Inside the socket prefix's folder, which the grading process removes when it exits
    # (``socket_prefix``): the launcher replaces itself with bwrap and cannot clean up.
    private = Path(tempfile.mkdtemp(prefix="gan-lab-kernel-", dir=os.path.dirname(shared_prefix)))
    info["ip"] = str(private / "ipc")
    for port in _PORTS:
        link = Path(f"{shared_prefix}-{info[port]}")
        link.unlink(missing_ok=True)
        link.symlink_to(private / f"ipc-{info[port]}")
    private_file = private / "connection.json"
    private_file.write_text(json.dumps(info))
    return private, private_file


def _readable_paths(env) -> list[str]:
    """Python, the venv, gan_lab and the MNIST source: what the kernel reads besides the system."""
    import gan_lab

    paths = [sys.base_prefix, sys.prefix, str(Path(gan_lab.__file__).resolve().parent)]
    mnist = env.get("GAN_LAB_MNIST_DIR")
    if mnist and Path(mnist).is_dir():
        paths.append(str(Path(mnist).resolve()))
    return paths


def _bwrap_prefix(bwrap: str, workdir: Path, env, limits: GradingLimits, writable: Sequence[Path] = ()) -> list[str]:
    """``bwrap`` and its options: the sandbox every piece of student code runs in."""
    command = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
               "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for folder in _SYSTEM_DIRS:
        command += ["--ro-bind-try", folder, folder]
    for file in _SYSTEM_FILES:
        command += ["--ro-bind-try", file, file]
    for path in _readable_paths(env):
        command += ["--ro-bind", path, path]
    for path in (*writable, workdir):
        command += ["--bind", str(path), str(path)]
    command += ["--chdir", str(workdir), "--clearenv",
                "--setenv", "HOME", "/tmp", "--setenv", "PATH", f"{sys.prefix}/bin:/usr/bin:/bin",
                "--setenv", "MPLCONFIGDIR", "/tmp/matplotlib", "--setenv", "IPYTHONDIR", "/tmp/ipython",
                "--setenv", "GAN_LAB_SANDBOXED", "1"]
    for name, value in limits.as_env().items():  # the kernel reads the same limits
        command += ["--setenv", name, value]
    for name in _PASSED_ENV:
        if name in env:
            command += ["--setenv", name, env[name]]
    return command


def bwrap_command(bwrap: str, workdir: Path, private: Path, connection: Path, env,
                  limits: GradingLimits, kernel_args: Sequence[str] = ()) -> list[str]:
    """The full ``bwrap ... python -m ipykernel_launcher`` command line for one kernel."""
    return [*_bwrap_prefix(bwrap, workdir, env, limits, writable=[private]),
            sys.executable, "-m", "ipykernel_launcher", "-f", str(connection),
            "--IPKernelApp.outstream_class=gan_lab.course.outstream.CappedOutStream", *kernel_args]


def run_isolated(argv: Sequence[str], workdir: Path, *, env=os.environ, pass_fds: Sequence[int] = (),
                 timeout: Optional[float] = None):
    """Run ``argv`` (a Python command of gan_lab's) in the same sandbox as a grading kernel,
    with the same caps; without the sandbox (``GAN_LAB_SANDBOX=off``), as a plain process.

    Returns the ``subprocess.CompletedProcess`` (stdout and stderr captured as text).
    """
    import subprocess

    limits = GradingLimits.from_env(env)
    if sandbox_enabled(env):
        command = [*_bwrap_prefix(bwrap_path(), Path(workdir).resolve(), env, limits), *argv]
        child_env = None  # --clearenv: bwrap sets the sandbox's own variables
    else:
        command, child_env = list(argv), {**os.environ, **dict(env)}
    prlimit = shutil.which("prlimit")  # the caps, without a preexec_fn (unsafe beside threads)
    if prlimit:
        mib = 1024 * 1024
        command = [prlimit, f"--as={limits.memory_mb * mib}", f"--cpu={limits.cpu_seconds}",
                   f"--fsize={limits.file_mb * mib}", "--core=0", "--", *command]
    return subprocess.run(command, cwd=workdir, env=child_env, capture_output=True, text=True,
                          pass_fds=tuple(pass_fds), timeout=timeout)


def _apply_limits(limits: GradingLimits) -> None:
    """Caps inherited by bwrap and the kernel; exceeding them ends the cell, not the grader."""
    mib = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mib, limits.memory_mb * mib))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * mib, limits.file_mb * mib))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def launch(connection_file: str, kernel_args: Sequence[str] = (), env=os.environ) -> None:
    """Replace this process with the sandboxed kernel (the kernelspec's command)."""
    limits = GradingLimits.from_env(env)
    bwrap = bwrap_path()
    private, connection = _private_connection(Path(connection_file))
    command = bwrap_command(bwrap, Path.cwd().resolve(), private, connection, env, limits, kernel_args)
    _apply_limits(limits)
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Jupyter starts kernels with Ctrl-C ignored
    os.execv(bwrap, command)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] != "-f":
        print("usage: python -m gan_lab.course.sandbox -f CONNECTION_FILE [KERNEL ARGS] (started by Jupyter)",
              file=sys.stderr)
        return 2
    try:
        launch(args[1], args[2:])
    except SandboxError as error:
        print(f"gan-lab sandbox: {error}", file=sys.stderr)
        return 1
    return 0  # not reached: launch replaces the process


if __name__ == "__main__":
    sys.exit(main())
