"""The grading seal: the kernel-side half of trusting a hidden test's result.

Student code and the hidden tests share one kernel, so a submission can replace a check with
one that always passes (``mlp_gan.check_generator = lambda *a: None``), or patch a builtin or a
torch function the checks rely on. nbgrader cannot tell. ``arm()`` runs when the grading
kernel starts, before any cell (``gan_lab.course.config`` passes it to the kernel); it records
the genuine grading functions, builtins and the torch functions the checks use. Every check
first calls ``tampering()`` and fails, with the names it finds changed, in a kernel where any
of them changed.

That is a first line only: nothing inside an interpreter that student code shares can prove
a check really ran. So nothing here signs anything, and no key, signer or receipt exists in
the kernel for student code to find. The evidence that a test passed is made outside the
kernel instead: ``gan-lab autograde`` re-runs every passed check in a fresh sandboxed process
that records the genuine checks before it defines the student's functions
(``gan_lab.course.recheck``), and keeps a cell's points only when both runs agree. The same
``arm()``/``tampering()`` pair guards that process.
"""
from __future__ import annotations

import sys
import types
from typing import Any, Callable

_GRADING_MODULES = ("gan_lab.grading.core", "gan_lab.grading.seal", "gan_lab.grading.mistakes",
                    "gan_lab.grading.activations",
                    "gan_lab.grading.mlp_gan", "gan_lab.grading.dcgan", "gan_lab.grading.gan_losses",
                    "gan_lab.grading.toy_1d", "gan_lab.course.answers")
_WATCHED_MODULES = ("builtins", "torch", "torch.nn", "torch.nn.functional", "torch.nn.init",
                    "torch.optim", "torch.testing", "math", "inspect", "numpy")
# torch._dynamo, when something first imports it (torchvision does), replaces these with torch's
# own wrapper around them: a replacement by torch, not tampering (``_rewrapped_by_torch``).
_TORCH_REWRAPPED = ("manual_seed",)
_WATCHED_CLASSES = ("torch.Tensor", "torch.nn.Module", "torch.nn.Linear", "torch.nn.Sequential",
                    "torch.nn.BCELoss")  # not optimisers: torch wraps their step() on first use

# Builtins that IPython and ipykernel themselves swap around each cell.
_KERNEL_MANAGED = frozenset({"input", "raw_input", "exit", "quit", "get_ipython", "display",
                             "_", "__", "___", "__IPYTHON__"})

_state: dict[str, Any] = {}


def _resolve(dotted: str):
    module_name, _, attr = dotted.rpartition(".")
    return getattr(sys.modules[module_name], attr)


def _snapshot() -> dict[str, dict[str, Any]]:
    """name -> {attribute: object} for every watched namespace, copied (not referenced)."""
    import importlib

    shot = {}
    for name in _GRADING_MODULES + _WATCHED_MODULES:
        shot[name] = dict(vars(importlib.import_module(name)))
    for name in _WATCHED_CLASSES:
        shot[name] = dict(vars(_resolve(name)))
    return shot


def _function_parts(namespace: dict[str, Any]) -> dict[str, tuple]:
    """The parts of each function that a patch could swap while keeping the function object."""
    parts = {}
    for attr, value in namespace.items():
        if isinstance(value, types.FunctionType):
            parts[attr] = (value.__code__, value.__defaults__, value.__kwdefaults__)
            wrapped = getattr(value, "__wrapped__", None)
            if isinstance(wrapped, types.FunctionType):
                parts[attr] += (wrapped.__code__, wrapped.__defaults__)
    return parts


def _codes(value: Any) -> list:
    """The code of a grading function and of the function a decorator wrapped in it."""
    if not isinstance(value, types.FunctionType):
        return []
    wrapped = getattr(value, "__wrapped__", None)
    return [value.__code__] + ([wrapped.__code__] if isinstance(wrapped, types.FunctionType) else [])


def _torch_wrapper_code():
    """The code of torch's dynamo wrapper (``torch._compile._disable_dynamo``'s inner function)."""
    from torch._compile import _disable_dynamo

    return _disable_dynamo(lambda: None).__code__


def _rewrapped_by_torch(name: str, attr: str, before: Any, now: Any) -> bool:
    """Whether ``now`` is torch's own dynamo wrapper around the recorded ``before``.

    Loading torch._dynamo (torchvision loads it) only when a notebook needs it keeps torchvision
    out of every kernel and re-check that never uses it; checked by its code object (torch's
    own, not a copy) and by what it calls (the genuine function, nothing else).
    """
    if name != "torch" or attr not in _TORCH_REWRAPPED or not isinstance(now, types.FunctionType):
        return False
    try:
        called = [cell.cell_contents for cell in now.__closure__ or ()
                  if callable(cell.cell_contents)]
    except ValueError:  # an empty closure cell
        return False
    return now.__code__ is _state["torch_wrapper"] and called == [before] and before is not None


def arm() -> None:
    """Record the genuine grading code, builtins and watched torch functions.

    Safe to call twice: the first call wins, so a later call cannot re-record patched code.
    """
    if _state:
        return
    shot = _snapshot()
    _state.update(
        shot=shot,
        parts={name: _function_parts(space) for name, space in shot.items()},
        modules={name: sys.modules[name] for name in shot if name in sys.modules},
        genuine_codes={code for name in _GRADING_MODULES for value in shot[name].values()
                       for code in _codes(value)},
        torch_wrapper=_torch_wrapper_code(),
    )


def tampering() -> list[str]:
    """Names replaced, added to or removed from the watched namespaces since ``arm()``."""
    if not _state:
        return []
    changed = []
    for name, before in _state["shot"].items():
        module = _state["modules"].get(name)
        if module is not None and sys.modules.get(name) is not module:
            changed.append(f"sys.modules[{name!r}]")
            continue
        now = dict(vars(module)) if module is not None else dict(vars(_resolve(name)))
        for attr in set(before) | set(now):
            # __warningregistry__: Python's warnings module adds it to a module that a warning's
            # frame points at, even under an "ignore" filter (the checks silence warnings).
            if attr in ("__builtins__", "_state", "__warningregistry__") or (
                    name == "builtins" and attr in _KERNEL_MANAGED):
                continue
            if (attr not in now or attr not in before or now[attr] is not before[attr]) \
                    and not _rewrapped_by_torch(name, attr, before.get(attr), now.get(attr)):
                # Lazily imported submodules and caches may appear; only replaced or removed
                # names, and new names in the grading modules, count.
                if attr in before or name in _GRADING_MODULES:
                    changed.append(f"{name}.{attr}")
        for attr, parts in _state["parts"][name].items():
            value = now.get(attr)
            if value is before.get(attr) and isinstance(value, types.FunctionType) \
                    and _function_parts({attr: value})[attr] != parts:
                changed.append(f"{name}.{attr} (its code)")
    return sorted(set(changed))


def is_genuine(function: Callable) -> bool:
    """Whether ``function`` is one of the grading functions recorded by ``arm()``."""
    code = getattr(function, "__code__", None)
    return bool(_state) and code in _state["genuine_codes"]


def arm_line() -> str:
    """The kernel start-up line nbgrader_config.py passes so ``arm()`` runs before any cell."""
    return "--IPKernelApp.exec_lines=import gan_lab.grading.seal as _gan_lab_seal; _gan_lab_seal.arm(); del _gan_lab_seal"

