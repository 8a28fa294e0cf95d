"""The grading seal: tampering is found, receipts verify, and only genuine checks issue them."""
from __future__ import annotations

import builtins

import nbformat
import pytest
import torch

from gan_lab.autograde import verify_receipts
from gan_lab.grading import seal, toy_1d
from gan_lab.grading.core import GradingFailure

KEY = b"k" * 32


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


def test_receipts_verify_only_under_their_key():
    receipt = {"check": "gan_lab.grading.toy_1d.check_generator", "result": None,
               "mac": seal.sign("gan_lab.grading.toy_1d.check_generator", None, KEY)}
    assert seal.valid_receipt(receipt, KEY)
    assert not seal.valid_receipt(receipt, b"x" * 32)
    assert not seal.valid_receipt({**receipt, "result": 2}, KEY)


def _graded(outputs):
    cell = nbformat.v4.new_code_cell("toy_1d.check_generator(Generator)", outputs=outputs)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "generator-tests", "points": 2}
    return nbformat.v4.new_notebook(cells=[cell])


def _receipt(check="gan_lab.grading.toy_1d.check_generator", result=None, key=KEY):
    data = {"check": check, "result": result, "mac": seal.sign(check, result, key)}
    return nbformat.v4.new_output("display_data", data={seal.MIME: data})


@pytest.mark.parametrize("outputs, score, expected", [
    ([_receipt()], 2.0, None),                                # a genuine pass stands
    ([], 2.0, 0.0),                                           # points with no receipt
    ([_receipt(key=b"x" * 32)], 2.0, 0.0),                     # a forged receipt
    ([_receipt(check="gan_lab.grading.toy_1d.check_discriminator")], 2.0, 0.0),  # another cell's
    ([_receipt(result=1.0)], 2.0, 1.0),                       # partial credit inflated
    ([], 0.0, None),                                          # nothing earned, nothing to back
])
def test_verify_receipts_zeroes_what_no_genuine_check_backs(outputs, score, expected):
    overrides = verify_receipts(_graded(outputs), {"generator-tests": score}, KEY)
    assert [o.score for o in overrides] == ([] if expected is None else [expected])
