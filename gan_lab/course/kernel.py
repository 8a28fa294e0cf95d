"""The grading kernel's manager: nbgrader's kernels start in the sandbox, over Unix sockets.

``gan_lab.course.config.configure`` has nbgrader's autograde execute every notebook with
``SandboxKernelManager``: whatever kernel the notebook names, the kernel is IPython inside
bubblewrap (``python -m gan_lab.course.sandbox``). The sandbox has no network, so the kernel
talks over Unix sockets, each kernel in a socket folder of its own. No kernelspec is installed
anywhere: the spec is made here.
"""
from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

from gan_lab.course.sandbox import bwrap_path

KERNEL_NAME = "gan-lab-sandbox"


def sandbox_kernel_spec() -> KernelSpec:
    """The sandboxed kernel: the launcher's command, interrupted by message (bwrap does not
    pass signals on to the kernel)."""
    return KernelSpec(name=KERNEL_NAME, display_name="Python 3 (gan-lab grading sandbox)", language="python",
                      argv=[sys.executable, "-m", "gan_lab.course.sandbox", "-f", "{connection_file}"],
                      interrupt_mode="message", metadata={"debugger": False})


def socket_prefix() -> str:
    """A fresh absolute path prefix for one kernel's Unix sockets.

    Its folder is removed when the grading process exits: the launcher replaces itself with
    bwrap and cannot clean up.
    """
    folder = Path(tempfile.mkdtemp(prefix="gan-lab-ipc-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return str(folder / "kernel")


class SandboxKernelManager(AsyncKernelManager):
    """Starts the sandboxed kernel, whatever the notebook names, over Unix sockets."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        bwrap_path()  # a clear error here, not a kernel that dies at start
        self.transport = "ipc"
        self.ip = socket_prefix()

    @property
    def kernel_spec(self) -> KernelSpec:
        if self._kernel_spec is None:
            self._kernel_spec = sandbox_kernel_spec()
        return self._kernel_spec
