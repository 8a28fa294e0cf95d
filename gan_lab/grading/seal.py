"""The grading seal: evidence, readable outside the kernel, that a genuine check passed.

Student code and the hidden tests share one kernel, so a submission can replace a check with
one that always passes (``mlp_gan.check_generator = lambda *a: None``), or patch a builtin or a
torch function the checks rely on. nbgrader cannot tell. Two defences live here:

1. ``arm()`` runs when the grading kernel starts, before any cell (``nbgrader_config.py`` passes
   it to the kernel). It records the genuine grading functions, builtins and the torch functions
   the checks use. Every check first calls ``tampering()``, and fails with the names it finds
   changed.
2. A check that passes also writes a sealed receipt into the cell's output: an HMAC of the
   check's name and result under a key that ``gan-lab autograde`` hands the kernel through a
   pipe, which ``arm()`` reads and closes before any student code runs. ``gan-lab autograde``
   then zeroes every test cell that nbgrader scored without a valid receipt. A replaced check
   writes no receipt; a forged one needs the key, which no file, variable or attribute holds.

Without the key (nbgrader run by hand) the first defence still works and no receipts are
written. What is left is tampering with the interpreter itself (``gc``, ``ctypes``), which the
static audit (``gan-lab audit``) reports.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import types
from typing import Any, Callable, Optional

MIME = "application/vnd.gan-lab.receipt+json"
KEY_FD_VARIABLE = "GAN_LAB_SEAL_FD"
_GRADING_MODULES = ("gan_lab.grading.core", "gan_lab.grading.seal", "gan_lab.grading.mlp_gan",
                    "gan_lab.grading.dcgan", "gan_lab.grading.gan_losses", "gan_lab.grading.toy_1d")
_WATCHED_MODULES = ("builtins", "torch", "torch.nn", "torch.nn.functional", "torch.nn.init",
                    "torch.optim", "torch.testing", "math", "inspect", "numpy")
_LOADED_FIRST = ("torch._dynamo", "torchvision")
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

    # torch._dynamo (loaded by torchvision) wraps torch.manual_seed and friends when first
    # imported; load it before the snapshot, or a notebook's own import would look like tampering.
    for name in _LOADED_FIRST:
        importlib.import_module(name)
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


def arm(key_fd: Optional[int] = None) -> None:
    """Record the genuine grading code; read the receipt key from ``key_fd`` and close it.

    Safe to call twice: the first call wins, so a later call cannot re-record patched code.
    """
    if _state:
        return
    if key_fd is None and os.environ.get(KEY_FD_VARIABLE, "").isdigit():
        key_fd = int(os.environ.pop(KEY_FD_VARIABLE))
    signer = None
    if key_fd is not None:
        with os.fdopen(key_fd, "rb") as pipe:
            key = pipe.read()
        if key:
            signer = hmac.new(key, digestmod=hashlib.sha256)
        del key
    shot = _snapshot()
    _state.update(
        shot=shot,
        parts={name: _function_parts(space) for name, space in shot.items()},
        modules={name: sys.modules[name] for name in shot if name in sys.modules},
        genuine_codes={code for name in _GRADING_MODULES for value in shot[name].values()
                       for code in _codes(value)},
        signer=signer,
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
            if attr in ("__builtins__", "_state") or (name == "builtins" and attr in _KERNEL_MANAGED):
                continue
            if attr not in now or attr not in before or now[attr] is not before[attr]:
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


# --------------------------------------------------------------------------- receipts
def _message(check: str, result: Any) -> bytes:
    return json.dumps({"check": check, "result": result}, sort_keys=True).encode()


def sign(check: str, result: Any, key: bytes) -> str:
    """The receipt for ``check`` returning ``result`` under ``key`` (what the verifier computes)."""
    return hmac.new(key, _message(check, result), hashlib.sha256).hexdigest()


def issue_receipt(check: str, result: Any) -> None:
    """Display a sealed receipt for a passed check; nothing when there is no key."""
    signer = _state.get("signer")
    if signer is None:
        return
    mac = signer.copy()
    mac.update(_message(check, result))
    from IPython.display import display

    display({MIME: {"check": check, "result": result, "mac": mac.hexdigest()}}, raw=True)


def receipts(outputs: list) -> list[dict]:
    """The receipts in a cell's outputs (an nbformat output list), valid or not."""
    found = []
    for output in outputs:
        data = output.get("data", {}) if isinstance(output, dict) else {}
        if MIME in data and isinstance(data[MIME], dict):
            found.append(dict(data[MIME]))
    return found


def valid_receipt(receipt: dict, key: bytes) -> bool:
    expected = sign(str(receipt.get("check")), receipt.get("result"), key)
    return hmac.compare_digest(expected, str(receipt.get("mac", "")))


def arm_line() -> str:
    """The kernel start-up line nbgrader_config.py passes so ``arm()`` runs before any cell."""
    return "--IPKernelApp.exec_lines=import gan_lab.grading.seal as _gan_lab_seal; _gan_lab_seal.arm(); del _gan_lab_seal"

