"""The grading seal: tampering is found, and nothing in the kernel signs anything."""
from __future__ import annotations

import builtins

import pytest
import torch

from gan_lab.grading import seal, toy_1d
from gan_lab.grading.core import GradingFailure


@pytest.fixture
def armed(monkeypatch):
    monkeypatch.setattr(seal, "_state", {})
    seal.arm()
    yield
    seal._state.clear()


def test_an_untouched_kernel_shows_no_tampering(armed):
    assert seal.tampering() == []


@pytest.mark.parametrize("target, attr, value", [
    (toy_1d, "check_generator", lambda *a: None),
    (builtins, "abs", lambda x: 0),
    (torch, "allclose", lambda *a, **k: True),
])
def test_a_replaced_check_builtin_or_torch_function_is_named(armed, monkeypatch, target, attr, value):
    monkeypatch.setattr(target, attr, value)
    assert any(attr in name for name in seal.tampering())
    with pytest.raises(GradingFailure, match="the grading code in this kernel was changed"):
        toy_1d.check_get_generator_input_sampler(lambda: (lambda m, n: torch.rand(m, n)))


def test_swapping_a_checks_code_in_place_is_found(armed, monkeypatch):
    genuine = toy_1d.check_generator.__wrapped__
    monkeypatch.setattr(genuine, "__code__", (lambda Generator: None).__code__)
    assert "gan_lab.grading.toy_1d.check_generator (its code)" in seal.tampering()


def test_only_the_genuine_checks_count_as_genuine(armed):
    assert seal.is_genuine(toy_1d.check_generator.__wrapped__)
    assert not seal.is_genuine(lambda Generator: None)


def test_nothing_in_the_kernel_can_sign(armed):
    """No key, signer, receipt or anything that makes evidence is left for student code to find.

    (Jupyter's own message signing holds an HMAC in every kernel; it signs messages to the
    notebook server, not grades, and gan-lab neither reads nor trusts it.)"""
    assert not any(hasattr(seal, name) for name in ("sign", "issue_receipt", "valid_receipt", "MIME",
                                                    "hmac", "hashlib", "KEY_FD_VARIABLE"))
    assert set(seal._state) == {"shot", "parts", "modules", "genuine_codes", "torch_wrapper"}


def test_a_silenced_warning_inside_a_check_is_not_tampering(armed):
    """Does the registry Python's warnings adds to a grading module under 'ignore' stay out of it?"""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # A warning whose frame is the grading module's code, as a check's own call would raise.
        warnings.warn_explicit("from a check", UserWarning, "toy_1d.py", 1, module=toy_1d.__name__,
                               registry=vars(toy_1d).setdefault("__warningregistry__", {}))
    assert "__warningregistry__" in vars(toy_1d)
    assert seal.tampering() == []


def test_torchvision_loaded_after_arming_is_not_tampering_but_a_fake_wrapper_is():
    """torchvision's first import makes torch wrap torch.manual_seed; that is torch's doing. A
    lookalike wrapper around anything else, or a plain replacement, is still found."""
    import subprocess
    import sys

    script = """
import sys, torch
from gan_lab.grading import seal
seal.arm()
assert "torchvision" not in sys.modules
genuine = torch.manual_seed
import torchvision
assert torch.manual_seed is not genuine and torch.manual_seed.__wrapped__ is genuine
print(seal.tampering())
wrapped = torch.manual_seed
torch.manual_seed = torch._compile._disable_dynamo(lambda seed: None)
print(seal.tampering())
torch.manual_seed = lambda seed: None
print(seal.tampering())
torch.manual_seed = wrapped
print(seal.tampering())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["[]", "['torch.manual_seed']", "['torch.manual_seed']", "[]"]

