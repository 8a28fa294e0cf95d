"""Hidden-test checks for the 1-D Gaussian toy lab ("GAN in 50 lines": R, I, G, D).

Samplers are judged by the statistics of many seeded draws; networks by recomputing the
write-up's forward pass with the student's own Linear layers, so any correct way of writing
them passes (nn.Sequential or a Module subclass, module or functional activations). When the
output differs, the failure names each activation that differs from the write-up's, read from
what the network computes (``gan_lab.grading.activations``), and explains the known mistakes
(activations swapped, an output squashed into (0, 1)).
"""
from __future__ import annotations

import contextlib
import math
from typing import Callable, Iterator, Optional

import numpy as np
import torch
from torch import nn

from gan_lab.grading.activations import ELU, IDENTITY, RELU, SIGMOID, TANH, explain, leaky_relu, trace_linears
from gan_lab.grading.core import (GradingFailure, build, call_student, check, expect,
                                  fail, linears_with_widths, max_difference,
                                  require_student_code)
from gan_lab.i18n import _

TOLERANCE = 1e-5
DRAWS = 20_000  # enough for the mean within ~0.01 sigma-units; still instant


# --------------------------------------------------------------------------- samplers
@contextlib.contextmanager
def _numpy_seeded(seed: int) -> Iterator[None]:
    """Seed NumPy's global RNG too (a sampler may use np.random, as the write-up does), then restore it."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _draw(what: str, sample: Callable, *args, seed: Optional[int] = None) -> torch.Tensor:
    """Call a student's sampler and insist on a float32 torch tensor."""
    if seed is None:
        values = call_student(what, sample, *args)
    else:
        torch.manual_seed(seed)
        with _numpy_seeded(seed):
            values = call_student(what, sample, *args)
    if isinstance(values, np.ndarray):
        # Translators: {what} is the student's call, as code.
        fail(_("{what} return value").format(what=what), _("a torch tensor"),
             _("a NumPy array: wrap it with torch.tensor(..., dtype=torch.float32)"), mistake="numpy-array")
    if not isinstance(values, torch.Tensor):
        fail(_("{what} return value").format(what=what), _("a torch tensor"), type(values).__name__)
    if values.dtype != torch.float32:
        fail(_("{what} dtype").format(what=what), _("torch.float32 (the networks' dtype)"),
             # Translators: {dtype} is a tensor's dtype, e.g. torch.float64.
             _("{dtype} (torch.from_numpy keeps NumPy's float64; pass dtype=torch.float32)").format(dtype=values.dtype),
             mistake="not-float32")
    return values.detach()


def _sampler(what: str, factory: Callable, *args) -> Callable:
    sample = call_student(what, factory, *args)
    if not callable(sample):
        fail(_("{what} return value").format(what=what), _("a function that draws samples (e.g. a lambda or an inner "
             "def)"), type(sample).__name__, mistake="not-a-sampler")
    return sample


def _not_constant(what: str, sample: Callable, *args) -> None:
    first, second = _draw(what, sample, *args, seed=1), _draw(what, sample, *args, seed=2)
    if torch.equal(first, second):
        fail(what, _("fresh random numbers on every call"), _("the same values twice in a row"), mistake="same-draws")


@check
def check_get_distribution_sampler(get_distribution_sampler) -> None:
    """get_distribution_sampler(mu, sigma) -> sample(n): n draws from N(mu, sigma^2), shape (n, 1)."""
    require_student_code(get_distribution_sampler, "get_distribution_sampler")
    for mu, sigma in ((4.0, 1.25), (-2.0, 0.5)):
        name = f"get_distribution_sampler({mu}, {sigma})"
        sample = _sampler(name, get_distribution_sampler, mu, sigma)
        small = _draw(f"{name}(7)", sample, 7, seed=0)
        if small.shape != (7, 1):
            row = small.shape == (1, 7)
            # Translators: {shape} is a tensor shape, e.g. (1, 7).
            found = (_("{shape}: one sample per row; the training loop makes D's (1, n) row with .t()").format(
                shape=tuple(small.shape)) if row else f"{tuple(small.shape)}")
            # Translators: {what} is the student's call, as code.
            fail(_("{what} shape").format(what=f"{name}(7)"), "(7, 1)", found,
                 mistake="row-not-column" if row else None)
        _not_constant(f"{name}(5)", sample, 5)
        values = _draw(f"{name}({DRAWS})", sample, DRAWS, seed=0).double().flatten()
        mean, std = values.mean().item(), values.std().item()
        if abs(mean - sigma) < 0.05 and abs(std - abs(mu)) < 0.05:
            # Translators: {what} is the student's call, as code; {mean} and {std} numbers.
            fail(_("{what} samples").format(what=name), _("mean {mean} and std {std}").format(mean=mu, std=sigma),
                 _("mean {mean:.2f} and std {std:.2f}: mu and sigma are swapped").format(mean=mean, std=std),
                 mistake="swapped-mu-sigma")
        if abs(std - sigma) > 0.04:
            # Translators: {what} is the student's call, as code.
            spread = _("{what} spread").format(what=name)
            # Translators: {std} is a number.
            wanted = _("std {std}").format(std=sigma)
            if abs(std - sigma ** 2) < 0.04:
                # Translators: {std} is the spread found; {sigma} the one asked for.
                fail(spread, wanted, _("std {std:.3f} = {sigma}**2, the variance: torch.normal, np.random.normal and "
                                       "the factor on torch.randn all take the standard deviation").format(
                         std=std, sigma=sigma), mistake="variance-not-std")
            if abs(std - math.sqrt(sigma)) < 0.04:
                fail(spread, wanted, _("std {std:.3f} = sqrt({sigma}): sigma is already the std").format(
                    std=std, sigma=sigma), mistake="sqrt-of-sigma")
            fail(spread, wanted, _("std {std:.3f}").format(std=std), mistake="wrong-std")
        if abs(mean - mu) > 0.05:
            no_mu = abs(mean) < 0.05
            # Translators: {mean} is a number.
            found = _("{mean:.3f}: add mu to the standard normal draws").format(mean=mean) if no_mu else f"{mean:.3f}"
            # Translators: {what} is the student's call, as code.
            fail(_("{what} mean").format(what=name), mu, found, mistake="mu-not-added" if no_mu else "wrong-mean")
        within = ((values - mu).abs() < sigma).double().mean().item()
        if abs(within - 0.6827) > 0.02:
            # Translators: {what} is the student's call, as code; {share} a percentage, e.g. 58.
            fail(_("{what} shape of the distribution").format(what=name),
                 _("a normal distribution (68% of samples within one std of the mean)"),
                 _("{share:.0f}% within one std: torch.randn draws N(0, 1); torch.rand is uniform").format(
                     share=100 * within),
                 mistake="uniform-not-normal")


@check
def check_get_generator_input_sampler(get_generator_input_sampler) -> None:
    """get_generator_input_sampler() -> sample(m, n): U[0, 1) noise of shape (m, n)."""
    require_student_code(get_generator_input_sampler, "get_generator_input_sampler")
    sample = _sampler("get_generator_input_sampler()", get_generator_input_sampler)
    small = _draw("sample(5, 3)", sample, 5, 3, seed=0)
    if small.shape != (5, 3):
        swapped = small.shape == (3, 5)
        # Translators: {shape} is a tensor shape, e.g. (3, 5).
        found = (_("{shape}: the arguments are (rows m, columns n)").format(shape=tuple(small.shape)) if swapped
                 else f"{tuple(small.shape)}")
        fail(_("{what} shape").format(what="sample(5, 3)"), "(5, 3)", found, mistake="swapped-m-n" if swapped else None)
    _not_constant("sample(5, 1)", sample, 5, 1)
    values = _draw(f"sample({DRAWS}, 1)", sample, DRAWS, 1, seed=0).double().flatten()
    low, high = values.min().item(), values.max().item()
    mean, std = values.mean().item(), values.std().item()
    if low < 0 or high >= 1:
        if abs(mean) < 0.05 and abs(std - 1) < 0.05:
            fail(_("the generator's input"), _("uniform noise in [0, 1) (torch.rand)"),
                 _("Gaussian noise (torch.randn): the write-up makes G's job harder with uniform noise on purpose"),
                 mistake="gaussian-noise")
        if low >= -1 and high <= 1 and abs(mean) < 0.05:
            fail(_("the generator's input"), _("uniform noise in [0, 1) (torch.rand)"),
                 _("values from {low:.2f} to {high:.2f}: U(-1, 1) is lab 3's noise; here it is U[0, 1)").format(
                     low=low, high=high), mistake="noise-in-minus-1-1")
        fail(_("the generator's input"), _("values in [0, 1)"),
             _("values from {low:.2f} to {high:.2f}").format(low=low, high=high), mistake="noise-out-of-range")
    quarter = (values < 0.25).double().mean().item()
    if abs(mean - 0.5) > 0.02 or abs(std - 1 / math.sqrt(12)) > 0.01 or abs(quarter - 0.25) > 0.02:
        fail(_("the generator's input"), _("uniform on [0, 1): mean 0.5, std 0.289, a quarter below 0.25"),
             # Translators: {share} is a percentage, e.g. 31.
             _("mean {mean:.3f}, std {std:.3f}, {share:.0f}% below 0.25").format(mean=mean, std=std,
                                                                                 share=100 * quarter),
             mistake="noise-not-uniform")


# --------------------------------------------------------------------------- networks
def _forward(layers, x, activations):
    """The write-up's forward pass with the student's Linear layers (activations[0] sits before
    the first layer and is the identity)."""
    h = x
    for layer, activation in zip(layers, activations[1:]):
        h = activation(layer(h))
    return h


def _judge(what: str, model: nn.Module, layers, x, expected, hints, spec: str, rows: int, width: int) -> None:
    """Pass when the network computes the specified forward pass; else name each activation
    that differs from the write-up's, wherever the network's code puts it."""
    trace = trace_linears(_("{what}.forward on inputs of shape {shape}").format(what=what, shape=tuple(x.shape)),
                          model, layers, x)
    out = trace.output
    expect(out.shape == (rows, width), _("{what} output shape").format(what=what), (rows, width), tuple(out.shape))
    with torch.no_grad():
        difference = max_difference(out, _forward(layers, x, expected))
    if difference > TOLERANCE:
        explain(what, trace, expected, spec, difference, hints)


_OUTPUT = 3  # the place after the third (last) Linear layer
GENERATOR_ACTIVATIONS = (IDENTITY, ELU, SIGMOID, IDENTITY)


# The spec and the hints are read when a check fails, so they speak the course's language then.
def _generator_spec() -> str:
    return _("Linear -> ELU -> Linear -> Sigmoid -> Linear, with no activation on the output")


def _generator_hints():
    return [
        ({1: SIGMOID, 2: ELU}, _("Sigmoid then ELU is the wrong order: ELU after the first Linear, Sigmoid "
                                 "after the second"), "swapped-activations"),
        ({_OUTPUT: SIGMOID}, _("a Sigmoid on the output keeps every sample in (0, 1), so G can never reach "
                               "the target mean of 4: the last Linear has no activation"), "output-sigmoid"),
        ({_OUTPUT: TANH}, _("a Tanh on the output keeps every sample in (-1, 1), so G can never reach the "
                            "target mean of 4: the last Linear has no activation"), "output-tanh"),
        ({1: RELU}, _("the write-up uses ELU (nn.ELU or F.elu) after the first Linear, not ReLU"), "relu-not-elu"),
        ({1: ELU, 2: ELU}, _("ELU after both hidden layers is the discriminator's pattern: G has a Sigmoid "
                             "after the second Linear"), "discriminator-pattern"),
    ]


@check
def check_generator(Generator) -> None:
    """Generator(input_size, hidden_size, output_size): Linear, ELU, Linear, Sigmoid, Linear."""
    require_student_code(Generator, "Generator")
    for dims in ((1, 50, 1), (3, 7, 2)):  # a second size catches hard-coded widths
        torch.manual_seed(0)
        model = build(f"Generator{dims}", Generator, *dims)
        size, hidden, output = dims
        layers = linears_with_widths(model, f"Generator{dims}", [(size, hidden), (hidden, hidden), (hidden, output)])
        z = torch.rand(64, size) * 4 - 2  # wider than U[0, 1) so both sides of ELU are used
        _judge(f"Generator{dims}", model, layers, z, GENERATOR_ACTIVATIONS, _generator_hints(),
               _generator_spec(), 64, output)


DISCRIMINATOR_SPEC = "Linear -> ELU -> Linear -> ELU -> Linear -> Sigmoid"
DISCRIMINATOR_ACTIVATIONS = (IDENTITY, ELU, ELU, SIGMOID)


def _discriminator_hints():
    return [
        ({_OUTPUT: IDENTITY}, _("D must output a probability in (0, 1) for BCELoss: end with a Sigmoid"), "no-sigmoid"),
        ({2: SIGMOID, _OUTPUT: SIGMOID}, _("a Sigmoid after the second Linear is the generator's pattern: D "
                                           "uses ELU after both hidden layers"), "generator-pattern"),
        ({1: RELU}, _("the write-up uses ELU (nn.ELU or F.elu) after the hidden layers, not ReLU"), "relu-not-elu"),
        ({1: leaky_relu(0.2)}, _("LeakyReLU(0.2) is the DCGAN's; the write-up uses ELU after the hidden layers"),
         "dcgan-leaky-relu"),
        ({_OUTPUT: TANH}, _("D's output is a probability, so it ends in Sigmoid, not Tanh"), "output-tanh"),
    ]


@check
def check_discriminator(Discriminator) -> None:
    """Discriminator(input_size, hidden_size, output_size): Linear, ELU, Linear, ELU, Linear, Sigmoid."""
    require_student_code(Discriminator, "Discriminator")
    for dims in ((200, 50, 1), (6, 5, 3)):
        torch.manual_seed(0)
        model = build(f"Discriminator{dims}", Discriminator, *dims)
        size, hidden, output = dims
        layers = linears_with_widths(model, f"Discriminator{dims}", [(size, hidden), (hidden, hidden), (hidden, output)])
        x = torch.randn(4, size) * 3  # four minibatch rows; wide so ELU's negative side matters
        _judge(f"Discriminator{dims}", model, layers, x, DISCRIMINATOR_ACTIVATIONS, _discriminator_hints(),
               DISCRIMINATOR_SPEC, 4, output)


# --------------------------------------------------------------------------- preprocessing
def _decorated(data: torch.Tensor, exponent: float) -> torch.Tensor:
    return torch.cat([data, (data - data.mean(dim=1, keepdim=True)) ** exponent], dim=1)


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and max_difference(a, b) <= TOLERANCE


@check
def check_decorate_with_diffs(decorate_with_diffs) -> None:
    """decorate_with_diffs(data, exponent): (1, n) -> cat([data, (data - row mean) ** exponent], dim=1)."""
    require_student_code(decorate_with_diffs, "decorate_with_diffs")
    torch.manual_seed(0)
    n = 8
    data = 4 + 1.25 * torch.randn(1, n)
    for exponent in (2.0, 3.0, 1.0):
        # Translators: the student's call, as code with words: {shape} is a tensor shape, {exponent} a number.
        what = _("decorate_with_diffs(data of shape {shape}, {exponent})").format(shape=(1, n), exponent=exponent)
        given = data.clone()
        out = call_student(what, decorate_with_diffs, given, exponent)
        if not isinstance(out, torch.Tensor):
            fail(_("{what} return value").format(what=what), _("a torch tensor"), type(out).__name__)
        out = out.detach()
        if not torch.equal(given, data):
            fail(what, _("the input left unchanged"),
                 _("it was modified in place (e.g. data -= mean): compute a new tensor"), mistake="in-place")
        if out.shape == (2, n):
            # Translators: {n} is the number of samples in the row.
            fail(_("{what} shape").format(what=what), f"(1, {2 * n})",
                 _("(2, {n}): concatenated along dim 0; the deviations follow the samples in the same row "
                   "(dim=1)").format(n=n), mistake="cat-along-dim-0")
        if out.shape != (1, 2 * n):
            # Translators: {width} is twice {n}, the number of samples in the row.
            fail(_("{what} shape").format(what=what),
                 _("(1, {width}): the {n} values, then their {n} deviations").format(width=2 * n, n=n),
                 tuple(out.shape))
        expected = _decorated(data, exponent)
        if _close(out, expected):
            continue
        diffs = out[:, n:]
        if not torch.equal(out[:, :n], data) and torch.equal(diffs, data):
            fail(what, _("the data first, then the deviations"), _("the deviations first"), mistake="deviations-first")
        if _close(out, torch.cat([data, data ** exponent], dim=1)):
            fail(what, "(data - mean) ** exponent", _("data ** exponent: subtract the row's mean first"),
                 mistake="mean-not-subtracted")
        if diffs.abs().max().item() == 0:
            fail(what, _("deviations from the minibatch mean"),
                 _("all zeros: the mean was taken over dim 0 (each value's own column); take it along dim 1"),
                 mistake="mean-over-dim-0")
        # Translators: {exponent} is a number, e.g. 3.0.
        raised = _("deviations raised to the exponent ({exponent})").format(exponent=exponent)
        if exponent != 2.0 and _close(out, _decorated(data, 2.0)):
            fail(what, raised, _("squares: use the exponent argument"), mistake="always-squared")
        if _close(out, torch.cat([data, data - data.mean()], dim=1)):
            fail(what, raised, _("the plain deviations"), mistake="exponent-not-applied")
        fail(what, "cat([data, (data - data.mean(dim=1, keepdim=True)) ** exponent], dim=1)",
             _("different values (max difference {difference:.3g})").format(difference=max_difference(out, expected)))
    _check_gradients(decorate_with_diffs, data)


def _check_gradients(decorate_with_diffs, data: torch.Tensor) -> None:
    """G learns through D's input, so gradients must flow back through the decoration."""
    weights = torch.randn(1, 2 * data.shape[1])
    x = data.clone().requires_grad_(True)
    out = call_student(_("decorate_with_diffs (with gradients)"), decorate_with_diffs, x, 2.0)
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        fail(_("decorate_with_diffs gradients"), _("an output that gradients flow through (G learns through it)"),
             _("a result cut off from its input: avoid .data, .detach(), .item(), NumPy and torch.no_grad() here"),
             mistake="gradients-cut")
    (out * weights).sum().backward()
    found = x.grad
    if found is None:
        fail(_("decorate_with_diffs gradients"), _("gradients flowing back to the data"), _("none"),
             mistake="gradients-cut")
    accepted = []
    for detach_mean in (False, True):  # the write-up takes the mean from .data; both are fine
        y = data.clone().requires_grad_(True)
        mean = y.mean(dim=1, keepdim=True)
        reference = torch.cat([y, (y - (mean.detach() if detach_mean else mean)) ** 2.0], dim=1)
        (reference * weights).sum().backward()
        accepted.append(y.grad)
    if not any(max_difference(found, g) <= 1e-4 for g in accepted):
        fail(_("decorate_with_diffs gradients"), _("gradients through both the data and the squared deviations"),
             _("different gradients: is part of the result detached?"), mistake="partly-detached")


__all__ = ["GradingFailure", "check_decorate_with_diffs", "check_discriminator", "check_generator",
           "check_get_distribution_sampler", "check_get_generator_input_sampler"]
