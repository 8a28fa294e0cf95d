"""Which activation a network applies around its Linear layers, read from what it computes.

Students write the same network in many ways: modules in an ``nn.Sequential`` or as
attributes, functional calls (``torch.relu(self.fc1(x))``, ``F.leaky_relu(h, 0.01)``), or one
shared function applied twice. The checks see only the Linear layers, so they look at what
the network computes instead: forward hooks on the Linear layers record each layer's input
and output during one forward pass, and the function that maps one layer's output to the next
layer's input (and the last layer's output to the network's output) is identified among
common activations, with LeakyReLU's slope and ELU's alpha fitted to the numbers. The failure
then names the place and both functions, e.g. "after the second Linear layer: expected ReLU,
found LeakyReLU(0.01)", whatever style the network was written in.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable, Mapping, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from gan_lab.grading import mistakes
from gan_lab.grading.core import GradingFailure, call_student, fail
from gan_lab.i18n import _, clauses

Tensor = torch.Tensor
RTOL, ATOL = 1e-4, 1e-5  # float32 student code against float64 candidates


@dataclasses.dataclass(frozen=True)
class Activation:
    """An elementwise function: ``name`` with its ``parameter`` (LeakyReLU's slope, ELU's
    alpha), applied after ``first`` when two functions follow each other."""

    name: str
    parameter: Optional[float] = None
    first: Optional["Activation"] = None

    def __str__(self) -> str:
        """The function as a student reads it, in the course's language (``gan_lab.i18n``)."""
        own = self.name
        if self.name == "identity":
            # Translators: what sits where a network applies no function between two layers.
            own = _("no activation")
        elif self.name == "LeakyReLU":
            own = f"LeakyReLU({_short(self.parameter)})"
        elif self.name == "ELU" and not _same_number(self.parameter, 1.0):
            own = f"ELU(alpha={_short(self.parameter)})"
        # Translators: two functions applied one after the other, e.g. "Sigmoid, then Tanh".
        return own if self.first is None else _("{first}, then {then}").format(first=self.first, then=own)

    def __call__(self, x: Tensor) -> Tensor:
        if self.first is not None:
            x = self.first(x)
        return _FUNCTIONS[self.name](x, self.parameter)

    def matches(self, other: Optional["Activation"]) -> bool:
        """The same function (parameters equal to 3 significant digits)."""
        if other is None or self.name != other.name or (self.first is None) != (other.first is None):
            return False
        if self.parameter is not None and not _same_number(self.parameter, other.parameter):
            return False
        return self.first is None or self.first.matches(other.first)


def _short(value: Optional[float]) -> str:
    return f"{value:.3g}"


def _same_number(a: Optional[float], b: Optional[float]) -> bool:
    return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-6)


_FUNCTIONS: dict[str, Callable[[Tensor, Optional[float]], Tensor]] = {
    "identity": lambda x, _p: x,
    "ReLU": lambda x, _p: F.relu(x),
    "LeakyReLU": lambda x, p: F.leaky_relu(x, p),
    "ELU": lambda x, p: F.elu(x, p),
    "SELU": lambda x, _p: F.selu(x),
    "GELU": lambda x, _p: F.gelu(x),
    "SiLU": lambda x, _p: F.silu(x),
    "Softplus": lambda x, _p: F.softplus(x),
    "Sigmoid": lambda x, _p: torch.sigmoid(x),
    "Tanh": lambda x, _p: torch.tanh(x),
    "Hardtanh": lambda x, _p: F.hardtanh(x),
    "ReLU6": lambda x, _p: F.relu6(x),
    "Softsign": lambda x, _p: F.softsign(x),
    "LogSigmoid": lambda x, _p: F.logsigmoid(x),
}

IDENTITY = Activation("identity")
RELU = Activation("ReLU")
ELU = Activation("ELU", 1.0)
SIGMOID = Activation("Sigmoid")
TANH = Activation("Tanh")


def leaky_relu(slope: float) -> Activation:
    return Activation("LeakyReLU", float(slope))


# Tried in this order; the first that reproduces the numbers is the answer.
_FIXED = [IDENTITY, RELU, SIGMOID, TANH, ELU] + [Activation(name) for name in
                                                ("SELU", "GELU", "SiLU", "Softplus", "Hardtanh",
                                                 "ReLU6", "Softsign", "LogSigmoid")]
# Two functions in a row ("Sigmoid, then Tanh"), when no single one fits.
_IN_A_ROW = [RELU, leaky_relu(0.01), leaky_relu(0.1), leaky_relu(0.2), ELU, SIGMOID, TANH]


def unknown() -> str:
    """What the failure says of a function that none of the candidates reproduces."""
    return _("a function that is none of ReLU, LeakyReLU, ELU, Sigmoid, Tanh or no activation, "
             "nor two of them in a row")


def __getattr__(name: str):
    """``UNKNOWN``: ``unknown()``, read in the course's language whenever it is asked for."""
    if name == "UNKNOWN":
        return unknown()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _fits(pre: Tensor, post: Tensor, activation: Activation) -> bool:
    with torch.no_grad():
        candidate = activation(pre)
    return bool(torch.isfinite(candidate).all()) and torch.allclose(post, candidate, rtol=RTOL, atol=ATOL)


def _fitted(pre: Tensor, post: Tensor) -> list[Activation]:
    """LeakyReLU and ELU with the slope or alpha that the negative inputs give."""
    negative = pre < -1e-3
    if not negative.any():
        return []
    x, y = pre[negative], post[negative]
    slope = (y / x).median().item()
    alpha = (y / torch.expm1(x)).median().item()
    return [leaky_relu(slope)] + ([Activation("ELU", alpha)] if math.isfinite(alpha) else [])


def identify(pre: Tensor, post: Tensor) -> Optional[Activation]:
    """The elementwise function that maps ``pre`` to ``post``, or None when none of the
    candidates (one, or two in a row) does. Tensors of one number of elements; a reshape in
    between (``view``, ``flatten``) does not count."""
    if pre.numel() != post.numel() or pre.numel() == 0:
        return None
    pre = pre.detach().double().reshape(-1)
    post = post.detach().double().reshape(-1)
    if not torch.isfinite(post).all():
        return None
    for activation in _FIXED + _fitted(pre, post):
        if _fits(pre, post, activation):
            return activation
    for first in _IN_A_ROW:
        for second in _IN_A_ROW:
            pair = dataclasses.replace(second, first=first)
            if _fits(pre, post, pair):
                return pair
    return None


# --------------------------------------------------------------------------- tracing a network
@dataclasses.dataclass
class Trace:
    """One forward pass: the network's input and output, and each Linear layer's input and
    output (cloned, so an in-place activation after a layer does not change them)."""

    x: Tensor
    output: Tensor
    layers: list[nn.Linear]
    seen: list[tuple[Tensor, Tensor]]

    def gaps(self) -> list[tuple[Tensor, Tensor]]:
        """(before, after) around every place an activation may sit: before the first Linear
        layer, between each pair of layers, and after the last one."""
        places = [(self.x, self.seen[0][0])]
        places += [(self.seen[k][1], self.seen[k + 1][0]) for k in range(len(self.layers) - 1)]
        return places + [(self.seen[-1][1], self.output)]

    def activations(self) -> list[Optional[Activation]]:
        return [identify(before, after) for before, after in self.gaps()]


def _width(layer: nn.Linear) -> str:
    return f"{layer.in_features}->{layer.out_features}"


def record_layers(what: str, model: nn.Module, layers: Sequence[nn.Module], x: Tensor
                  ) -> tuple[Tensor, list[tuple[int, Tensor, Tensor]]]:
    """``model(x)`` run once with forward hooks on ``layers``: the output, and (index into
    ``layers``, input, output) for every call of one of them, in call order, cloned."""
    calls: list[tuple[int, Tensor, Tensor]] = []

    def record(index: int):
        def hook(_module, inputs, output):
            calls.append((index, inputs[0].detach().clone(), output.detach().clone()))
        return hook

    handles = [layer.register_forward_hook(record(i)) for i, layer in enumerate(layers)]
    try:
        with torch.no_grad():
            output = call_student(what, model, x)
    finally:
        for handle in handles:
            handle.remove()
    if not isinstance(output, torch.Tensor):
        # Translators: {what} is the student's call, as code.
        fail(_("{what} return value").format(what=what), _("a tensor"), type(output).__name__)
    return output.detach(), calls


def trace_linears(what: str, model: nn.Module, layers: Sequence[nn.Linear], x: Tensor) -> Trace:
    """Run ``model(x)`` once with forward hooks on ``layers`` (in the order the network is meant
    to use them); fails, naming the layer, when one is unused, used twice or used out of order."""
    output, calls = record_layers(what, model, layers, x)
    order = [index for index, _inputs, _output in calls]
    for index, layer in enumerate(layers):
        uses = order.count(index)
        if uses != 1:
            found = _("it never runs") if uses == 0 else _("it runs {count} times in one forward pass").format(
                count=uses)
            # Translators: {what} is the student's call, as code; {layer} the layer's widths, e.g. 8->8.
            fail(_("{what}: the Linear layer {layer}").format(what=what, layer=_width(layer)),
                 _("used once in forward"), found, mistake="linear-unused" if uses == 0 else "linear-reused")
    if order != sorted(order):
        fail(_("{what}: the order of the Linear layers").format(what=what), ", ".join(_width(m) for m in layers),
             ", ".join(_width(layers[i]) for i in order), mistake="linear-order")
    by_layer = {index: (inputs, out) for index, inputs, out in calls}
    return Trace(x.detach(), output, list(layers), [by_layer[i] for i in range(len(layers))])


def _after(position: int) -> str:
    """After the k-th Linear layer, as one whole phrase per k (an ordinal is not a word to glue in)."""
    named = (_("after the first Linear layer"), _("after the second Linear layer"), _("after the third Linear layer"),
             _("after the fourth Linear layer"), _("after the fifth Linear layer"), _("after the sixth Linear layer"))
    if position <= len(named):
        return named[position - 1]
    # Translators: {position} is a number of 7 or more: "after the 7th Linear layer".
    return _("after the {position}th Linear layer").format(position=position)


def place(position: int, layer_count: int) -> str:
    """Where activation ``position`` sits: 0 is before the first Linear layer, k after the k-th."""
    if position == 0:
        return _("before the first Linear layer")
    after = _after(position)
    # Translators: {place} is where in the network, e.g. "after the third Linear layer".
    return _("{place} (the output)").format(place=after) if position == layer_count else after


# (places -> what was found there, the sentence to add, the mistake's slug in mistakes.MISTAKES)
Hints = Sequence[tuple[Mapping[int, Activation], str, str]]


def explain(what: str, trace: Trace, expected: Sequence[Activation], spec: str, difference: float,
            hints: Hints = ()) -> None:
    """Fail, naming every place where the network's activation differs from ``expected`` (one
    entry per place of ``Trace.gaps``); ``hints`` add a sentence when the activations found
    match a known mistake (a mapping of places to what was found there), and name it by its
    slug; a mismatch that matches no hint is ``wrong-activation``. When every activation is as
    expected yet the output differs, the failure says so with ``spec`` (``other-difference``)."""
    found = trace.activations()
    # Translators: {place} is where in the network, e.g. "after the second Linear layer";
    # {expected} and {found} are functions, e.g. "ReLU", "LeakyReLU(0.01)", "no activation".
    wrong = [_("{place}: expected {expected}, found {found}").format(
                 place=place(i, len(trace.layers)), expected=want, found=got if got is not None else unknown())
             for i, (want, got) in enumerate(zip(expected, found)) if not want.matches(got)]
    if not wrong:
        # Translators: {what} is the student's network, as code; {spec} its expected layers,
        # e.g. "Linear -> ReLU -> Linear -> Tanh".
        raise GradingFailure(_("{what}: expected {spec}, found different outputs (max difference "
                               "{difference:.3g}) although each activation is the expected one: is "
                               "something else in forward (a scale, a dropout, a normalisation)?").format(
                                   what=what, spec=spec, difference=difference),
                             key=mistakes.key_of("other-difference"))
    hint, mistake = next(((text, slug) for pattern, text, slug in hints
                          if all(activation.matches(found[i]) for i, activation in pattern.items())),
                         ("", "wrong-activation"))
    problems = clauses(wrong)
    # Translators: {what} is the student's network, as code; {problems} one or more
    # "PLACE: expected X, found Y", and {hint} a sentence on the likely mistake.
    message = (_("{what}: {problems}: {hint}").format(what=what, problems=problems, hint=hint) if hint
               else _("{what}: {problems}").format(what=what, problems=problems))
    raise GradingFailure(message, key=mistakes.key_of(mistake))
