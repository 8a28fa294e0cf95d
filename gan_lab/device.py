"""CUDA checks and device choice: the one place in gan_lab that calls ``torch.cuda``.

The MLP GAN handout insists that a lab starts by checking the GPU. ``device_report()`` gathers
what a student needs to see (is CUDA usable, which device will train, what hardware and
library versions) and ``format_report()`` says it in plain words, including what follows when
there is no GPU.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Optional

import torch

from gan_lab.errors import UsageError


class DeviceError(UsageError):
    """A device was asked for that this machine cannot provide."""


@dataclasses.dataclass(frozen=True)
class GpuInfo:
    """One CUDA device as the driver describes it."""

    index: int
    name: str
    total_memory_bytes: int
    compute_capability: tuple[int, int]


@dataclasses.dataclass(frozen=True)
class DeviceReport:
    """Everything the GPU check shows; built by ``device_report()`` or by hand in tests."""

    torch_version: str
    torchvision_version: str
    cuda_build: Optional[str]  # CUDA version torch was compiled against, None for CPU builds
    cuda_available: bool  # torch.cuda.is_available()
    cuda_usable: bool  # a tiny kernel really ran
    cuda_error: Optional[str]  # why CUDA is not usable, when the driver said something
    cudnn_version: Optional[int]
    gpus: tuple[GpuInfo, ...]
    chosen: str  # the device get_device() picks, e.g. "cuda:0" or "cpu"

    @property
    def has_gpu(self) -> bool:
        return self.cuda_usable and bool(self.gpus)


def _torchvision_version() -> str:
    try:
        import torchvision
    except ImportError as exc:  # the report should still print, saying what is missing
        return f"not importable ({exc})"
    return torchvision.__version__


def _probe_cuda() -> tuple[bool, Optional[str]]:
    """Run one tiny kernel: ``is_available()`` can be True on a driver that then fails."""
    if not torch.cuda.is_available():
        return False, None
    try:
        x = torch.ones(2, device="cuda")
        torch.cuda.synchronize()
        return bool((x + x).sum().item() == 4.0), None
    except RuntimeError as exc:
        return False, str(exc).splitlines()[0]


def device_report() -> DeviceReport:
    """Inspect this machine's torch, CUDA and GPUs."""
    usable, error = _probe_cuda()
    gpus = []
    if usable:
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            gpus.append(GpuInfo(index, props.name, props.total_memory, (props.major, props.minor)))
    cudnn = torch.backends.cudnn.version() if usable and torch.backends.cudnn.is_available() else None
    return DeviceReport(
        torch_version=torch.__version__,
        torchvision_version=_torchvision_version(),
        cuda_build=torch.version.cuda,
        cuda_available=torch.cuda.is_available(),
        cuda_usable=usable,
        cuda_error=error,
        cudnn_version=cudnn,
        gpus=tuple(gpus),
        chosen="cuda:0" if usable and gpus else "cpu",
    )


def _format_cudnn(version: Optional[int]) -> str:
    if version is None:
        return "not available"
    # cuDNN reports e.g. 91002 for 9.10.2 (major * 10000 + minor * 100 + patch since v9).
    major, rest = divmod(version, 10000)
    minor, patch = divmod(rest, 100)
    return f"{major}.{minor}.{patch}"


def format_report(report: DeviceReport) -> str:
    """The GPU check as lines a student can read (in the course's language, ``gan_lab.i18n``)."""
    from gan_lab.i18n import _

    lines = [
        f"torch {report.torch_version}, torchvision {report.torchvision_version}",
        _("CUDA build: {build}").format(build=report.cuda_build or _("none (CPU-only torch)")),
    ]
    if report.has_gpu:
        lines.append(_("CUDA usable: yes, cuDNN {version}").format(version=_format_cudnn(report.cudnn_version)))
        for gpu in report.gpus:
            gib = gpu.total_memory_bytes / 2**30
            major, minor = gpu.compute_capability
            lines.append(_("GPU {index}: {name}, {gib} GiB, compute capability {capability}").format(
                index=gpu.index, name=gpu.name, gib=f"{gib:.1f}", capability=f"{major}.{minor}"))
        lines.append(_("Training runs on {device}.").format(device=report.chosen))
    else:
        reason = (
            _("CUDA is present but broken: {error}").format(error=report.cuda_error)
            if report.cuda_available
            else _("no usable GPU was found")
        )
        lines.append(_("CUDA usable: no ({reason}).").format(reason=reason))
        lines.append(
            _("Training runs on the CPU. That works, only slower: the labs pick smaller budgets "
              "(fewer epochs) there. On a lab machine with a GPU, restart the environment or ask "
              "for help before you train.")
        )
    return "\n".join(lines)


_DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def get_device(preference: str | torch.device = "auto") -> torch.device:
    """The device to train on.

    Args:
        preference: "auto" (the first GPU when one is usable, else the CPU), "cpu", "cuda" or
            "cuda:N". Asking for a GPU that is not there is an error, never a silent CPU run.
    """
    if isinstance(preference, torch.device):
        preference = str(preference)
    if not isinstance(preference, str) or not _DEVICE_PATTERN.match(preference):
        raise DeviceError(
            f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {preference!r}"
        )
    if preference == "cpu":
        return torch.device("cpu")
    usable, error = _probe_cuda()
    if preference == "auto":
        return torch.device("cuda:0" if usable else "cpu")
    if not usable:
        detail = f": {error}" if error else ""
        raise DeviceError(f"device {preference!r} was asked for, but CUDA is not usable here{detail}")
    device = torch.device(preference)
    if device.index is not None and device.index >= torch.cuda.device_count():
        raise DeviceError(
            f"device {preference!r} was asked for, but only {torch.cuda.device_count()} GPU(s) exist"
        )
    return device


def supports_bf16(device: torch.device) -> bool:
    """Whether bfloat16 autocast runs natively on ``device``: every CPU build, GPUs from Ampere on."""
    if device.type == "cpu":
        return True
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    return False


def synchronize(device: torch.device) -> None:
    """Wait for the work queued on ``device`` (a no-op on the CPU); for honest wall-clock timing."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def rng_state() -> dict:
    """The CPU's random number generator state, and every GPU's where CUDA is available."""
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore what ``rng_state()`` returned (the GPUs' part only where CUDA is available)."""
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
