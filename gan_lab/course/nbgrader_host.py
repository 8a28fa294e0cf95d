"""nbgrader's commands forked from one process that has imported nbgrader already.

A fresh ``python -m nbgrader`` spends about 1.1 CPU-seconds importing nbgrader (jupyter_server,
nbconvert, SQLAlchemy) before it does anything, and grading a class runs one command per
submission. So ``run()`` hands each command to a host process, started once per calling
process (``python -m gan_lab.course.nbgrader_host SOCKET``), which has imported nbgrader and
forks one child per command. The child takes the command's working directory, environment,
arguments, stdout and stderr, runs nbgrader's own ``main()`` and exits; the host reports the
child's exit status as ``waitpid`` gives it. What the caller gets is what a fresh process
would have given: the exit code, stdout and stderr.

The host is single-threaded (forking a process with threads is unsafe) and ends when its
caller does (its stdin, a pipe from the caller, closes). One request is one connection to its
Unix socket: an 8-byte length and the two output files' descriptors, then the request as JSON;
the reply is the exit code as text, sent when the child has ended.
"""
from __future__ import annotations

import atexit
import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Mapping, Sequence

_LENGTH = 8


@dataclasses.dataclass
class _Host:
    process: subprocess.Popen
    socket_path: str
    owner: int  # the pid that started it: a forked caller starts its own


_hosts: dict[str, _Host] = {}  # by PYTHONPATH: a child imports what its host imported
_hosts_lock = threading.Lock()


class HostError(RuntimeError):
    """The host process could not start or ended before a command's status came back."""


def _start_host(python_path: str) -> _Host:
    folder = tempfile.mkdtemp(prefix="gan-lab-nbgrader-host-")
    path = os.path.join(folder, "socket")
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if python_path:
        env["PYTHONPATH"] = python_path
    process = subprocess.Popen([sys.executable, "-m", "gan_lab.course.nbgrader_host", path],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    ready = process.stdout.readline()
    if ready.strip() != b"ready":
        process.kill()
        process.wait()
        shutil.rmtree(folder, ignore_errors=True)
        raise HostError(f"the nbgrader host process did not start (exit {process.returncode}); "
                        "its error is above")

    def stop():
        process.stdin.close()  # the host sees the end of its stdin and exits
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    return _Host(process, path, os.getpid())


def _host(python_path: str) -> _Host:
    with _hosts_lock:
        host = _hosts.get(python_path)
        if host is None or host.owner != os.getpid() or host.process.poll() is not None:
            host = _hosts[python_path] = _start_host(python_path)
        return host


def run(args: Sequence[str], cwd: Path, env: Mapping[str, str]) -> tuple[int, str, str]:
    """``python -m nbgrader ARGS`` in ``cwd`` with exactly ``env``: (exit code, stdout, stderr)."""
    host = _host(env.get("PYTHONPATH", ""))
    request = json.dumps({"args": list(args), "cwd": str(cwd), "env": dict(env)}).encode()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(host.socket_path)
        socket.send_fds(conn, [len(request).to_bytes(_LENGTH, "big")], [out.fileno(), err.fileno()])
        conn.sendall(request)
        reply = b""
        while chunk := conn.recv(64):
            reply += chunk
        if not reply:
            raise HostError(f"the nbgrader host process ended while it ran nbgrader {' '.join(args)}")
        out.seek(0)
        err.seek(0)
        return int(reply), out.read().decode(errors="replace"), err.read().decode(errors="replace")


# --------------------------------------------------------------------------- the host
def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    head, fds, _flags, _address = socket.recv_fds(conn, _LENGTH, 2)
    size = int.from_bytes(head, "big")
    body = b""
    while len(body) < size:
        chunk = conn.recv(size - len(body))
        if not chunk:
            raise ConnectionError("request cut short")
        body += chunk
    return json.loads(body), fds


def _child(request: dict, out: int, err: int) -> None:
    """Become ``python -m nbgrader ARGS``; never returns."""
    code = 1
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        for fd in (devnull, out, err):
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import nbgrader
        from nbgrader.apps.nbgraderapp import main

        sys.argv = [os.path.join(os.path.dirname(nbgrader.__file__), "__main__.py"), *request["args"]]

        try:
            main()
            code = 0
        except SystemExit as done:
            if done.code is None:
                code = 0
            elif isinstance(done.code, int):
                code = done.code
            else:
                print(done.code, file=sys.stderr)
                code = 1
        # As the interpreter would at exit: wait for nbgrader's threads, then its exit hooks
        # (the grading kernel's socket folder is removed by one).
        threading._shutdown()
        atexit._run_exitfuncs()
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def serve(socket_path: str) -> None:
    """The host's loop: fork a child per request, report each child's status when it ends."""
    import selectors
    import signal

    import nbgrader.apps.nbgraderapp  # noqa: F401  (the import every command would repeat)

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(64)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes select() through the pipe
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ)
    waiting: dict[int, socket.socket] = {}
    sys.stdout.write("ready\n")
    sys.stdout.flush()

    def reap():
        while waiting:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = waiting.pop(pid, None)
            if conn is not None:
                try:
                    conn.sendall(str(os.waitstatus_to_exitcode(status)).encode())
                except OSError:  # the caller is gone
                    pass
                conn.close()

    while True:
        for key, _events in selector.select(timeout=1.0):
            if key.fileobj is listener:
                conn, _ = listener.accept()
                try:
                    request, fds = _receive(conn)
                except (OSError, ValueError, ConnectionError) as error:
                    print(f"gan-lab nbgrader host: bad request: {error}", file=sys.stderr)
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    signal.set_wakeup_fd(-1)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    # Every other command's connection too: a caller reads until the host
                    # closes its connection, which a copy left open here would delay.
                    others = [other.fileno() for other in waiting.values()]
                    for fd in (listener.fileno(), wake_read, wake_write, conn.fileno(), *others):
                        os.close(fd)
                    _child(request, *fds)
                for fd in fds:
                    os.close(fd)
                waiting[pid] = conn
            elif key.fileobj == wake_read:
                try:
                    os.read(wake_read, 4096)
                except BlockingIOError:
                    pass
            elif not os.read(sys.stdin.fileno(), 4096):  # the caller has gone: stop
                return
        reap()


if __name__ == "__main__":
    serve(sys.argv[1])
