"""Hidden-test checks for the GAN losses lab: vanilla GAN, LSGAN and a small DCGAN (CS231n).

Losses are checked by value against their formulas on seeded random logits, with real and fake
batches of different sizes (a "sum of two means" and a "mean over both batches" then differ),
and the classic mistakes are recognised by name. Models are checked by their layer shapes,
parameter counts and a forward pass recomputed from the student's own weights, so any correct
way of writing them passes (nn.Sequential or a Module subclass, module or functional
activations). Every check returns None on success, except ``check_minimax_answers``, which
returns its points.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from gan_lab.grading import mistakes as registry  # the name `mistakes` is a parameter below
from gan_lab.grading.activations import (IDENTITY, RELU, TANH, Activation, identify, leaky_relu,
                                         record_layers, unknown)
from gan_lab.grading.core import (GradingFailure, build, call_student, check, describe_linears, expect,
                                  fail, linear_layers, note, parameter_count, require_student_code)
from gan_lab.i18n import _, clauses

Tensor = torch.Tensor
Formula = Callable[..., Tensor]  # float64 tensors -> a float64 scalar

RTOL, ATOL = 1e-4, 2e-5  # float32 student code against float64 formulas
NOISE_DIM = 4  # the handout's parameter counts for the generators are given for noise_dim 4


# --------------------------------------------------------------------------- loss checks
def _loss_value(what: str, loss) -> Tensor:
    if not isinstance(loss, torch.Tensor):
        fail(what, _("a torch tensor (so that backward() works)"),
             # Translators: {type} is a Python type's name, e.g. float.
             _("a {type}").format(type=type(loss).__name__))
    if loss.numel() != 1:
        # Translators: {shape} is a tensor shape, e.g. (4, 1).
        fail(what, _("a scalar loss (one number)"),
             _("a tensor of shape {shape}; did you forget to take the mean?").format(shape=tuple(loss.shape)),
             mistake="not-reduced")
    return loss


def _close(found: float, expected: float) -> bool:
    return abs(found - expected) <= ATOL + RTOL * abs(expected)


def _loss_inputs(sizes: Sequence[tuple[int, ...]], scale: float, shift: float) -> list[list[Tensor]]:
    """Seeded random scores, one list of flat (N,) tensors per case."""
    gen = torch.Generator().manual_seed(231)
    return [[torch.randn(n, generator=gen) * scale + shift for n in case] for case in sizes]


def _as_layout(x: Tensor, layout: str) -> Tensor:
    return x.reshape(-1, 1) if layout == "(N, 1)" else x.reshape(-1)  # (N,) <-> (N, 1)


def _call_loss(name: str, fn: Callable, arg_names: Sequence[str], inputs: list[Tensor],
               layout: str) -> tuple[str, float]:
    args = [_as_layout(x, layout) for x in inputs]
    # Translators: {name} is an argument's name, e.g. logits_real; {shape} a tensor shape.
    shapes = ", ".join(_("{name} of shape {shape}").format(name=a, shape=tuple(x.shape))
                       for a, x in zip(arg_names, args))
    what = f"{name}({shapes})"
    try:
        loss = fn(*args)
    except NotImplementedError:
        raise GradingFailure(_("{what} is not implemented yet (it raises NotImplementedError)").format(what=name),
                             cause="NotImplementedError") from None
    except Exception as exc:  # student code: any error costs the points, with its reason
        if "between 0 and 1" in str(exc):
            # Translators: {what} is the student's call, as code; {error} the exception's type and
            # {message} its message, in English, as Python wrote it.
            message = _("{what} raised {error}: {message} (binary_cross_entropy expects probabilities, but these "
                        "are logits: use binary_cross_entropy_with_logits)")
            mistake = "bce-on-logits"
        else:
            message, mistake = _("{what} raised {error}: {message}"), None
        raise GradingFailure(message.format(what=what, error=type(exc).__name__, message=exc),
                             key=registry.key_of(mistake), cause=type(exc).__name__) from None
    return what, _loss_value(what, loss).item()


def _check_loss(name: str, fn: Callable, arg_names: Sequence[str], cases: list[list[Tensor]],
                formula: Formula, meaning: str, mistakes: Sequence[tuple[Formula, str, str]]) -> None:
    """Compare ``fn`` with ``formula`` on every case; name the mistake that explains a mismatch
    (``mistakes``: the formula a mistake computes, the sentence that explains it, its slug).

    The student's loss may expect (N,) or (N, 1) scores: it passes if it is right for either.
    """
    expected = [formula(*(x.double() for x in case)).item() for case in cases]
    first_failure = None
    for layout in ("(N, 1)", "(N,)"):
        try:
            results = [_call_loss(name, fn, arg_names, case, layout) for case in cases]
        except GradingFailure as failure:
            first_failure = first_failure or failure
            continue
        found = [value for _what, value in results]
        if all(_close(f, e) for f, e in zip(found, expected)):
            _check_backward(name, fn, arg_names, cases[0], layout)
            return
        for mistake, hint, slug in mistakes:
            wrong = [mistake(*(x.double() for x in case)).item() for case in cases]
            if all(_close(f, w) for f, w in zip(found, wrong)):
                first_failure = first_failure or _mismatch(results, expected, meaning, hint, slug)
                break
        else:
            first_failure = first_failure or _mismatch(results, expected, meaning, "")
    raise first_failure


def _mismatch(results: list[tuple[str, float]], expected: list[float], meaning: str,
              hint: str, mistake: str | None = None) -> GradingFailure:
    for (what, found), value in zip(results, expected):
        if not _close(found, value):
            # Translators: {what} is the student's call, as code; {meaning} the loss's formula in
            # words or code; {hint} a sentence on the likely mistake.
            message = (_("{what}: expected {meaning} = {value:.4f}, found {found:.4f}; {hint}") if hint
                       else _("{what}: expected {meaning} = {value:.4f}, found {found:.4f}"))
            return GradingFailure(message.format(what=what, meaning=meaning, value=value, found=found, hint=hint),
                                  key=registry.key_of(mistake))
    return GradingFailure(_("expected {meaning}").format(meaning=meaning))  # unreachable: some case mismatched


def _check_backward(name: str, fn: Callable, arg_names: Sequence[str], inputs: list[Tensor],
                    layout: str) -> None:
    args = [_as_layout(x, layout).clone().requires_grad_(True) for x in inputs]
    loss = call_student(name, fn, *args)
    try:
        loss.backward()
    except RuntimeError as exc:
        # Translators: {message} is the error's message, in English, as torch wrote it.
        fail(f"{name}: backward()", _("gradients flowing back to the scores"),
             _("RuntimeError: {message} (did you use .item(), .detach() or torch.tensor(...) on them?)").format(
                 message=exc), mistake="graph-cut")
    for arg_name, arg in zip(arg_names, args):
        if arg.grad is None or not torch.isfinite(arg.grad).all():
            # Translators: {name} is an argument's name, e.g. logits_fake.
            fail(f"{name}: backward()", _("finite gradients for {name}").format(name=arg_name),
                 _("none (is the loss cut off from its input by .detach() or .item()?)"), mistake="graph-cut")


def _bce_real(x: Tensor) -> Tensor:
    return F.softplus(-x)  # -log(sigmoid(x)), per element


def _bce_fake(x: Tensor) -> Tensor:
    return F.softplus(x)  # -log(1 - sigmoid(x)), per element


# Hints that several checks share; read when a check runs, in the course's language then.
def _sigmoid_twice() -> str:
    return _("did you apply a sigmoid first? The scores are already logits, so "
             "binary_cross_entropy_with_logits applied the sigmoid twice")


def _sum_not_mean() -> str:
    return _("did you sum over the batch instead of taking the mean?")


def _averaged() -> str:
    return _("did you average the two terms instead of adding them?")


def _one_mean() -> str:
    return _("did you take one mean over real and fake scores together? Take one mean per batch "
             "and add them")


def _d_loss(r: Tensor, f: Tensor) -> Tensor:
    return _bce_real(r).mean() + _bce_fake(f).mean()


def _ls_d_loss(r: Tensor, f: Tensor) -> Tensor:
    return 0.5 * (r - 1).pow(2).mean() + 0.5 * f.pow(2).mean()


_TWO_BATCHES = [(4, 7), (9, 3), (5, 8)]  # real and fake batches of different sizes
_ONE_BATCH = [(5,), (8,), (3,)]


@check
def check_discriminator_loss(discriminator_loss) -> None:
    """discriminator_loss(logits_real, logits_fake): mean BCE on real + mean BCE on fake."""
    require_student_code(discriminator_loss, "discriminator_loss")
    mistakes = [
        (lambda r, f: 0.5 * _d_loss(r, f), _averaged(), "mean-not-sum"),
        (lambda r, f: torch.cat([_bce_real(r), _bce_fake(f)]).mean(), _one_mean(), "one-mean-over-both"),
        (lambda r, f: _bce_fake(r).mean() + _bce_real(f).mean(),
         _("are the labels swapped? Real logits go with label 1, fake logits with label 0"), "swapped-labels"),
        (lambda r, f: _d_loss(torch.sigmoid(r), torch.sigmoid(f)), _sigmoid_twice(), "sigmoid-twice"),
        (lambda r, f: _bce_real(r).sum() + _bce_fake(f).sum(), _sum_not_mean(), "sum-not-mean"),
        (lambda r, f: -_d_loss(r, f), _("the sign is flipped: BCE is a negative log-likelihood"), "sign-flipped"),
        (lambda r, f: _bce_real(r).mean(), _("did you leave out the fake term?"), "no-fake-term"),
        (lambda r, f: _bce_fake(f).mean(), _("did you leave out the real term?"), "no-real-term"),
    ]
    _check_loss("discriminator_loss", discriminator_loss, ("logits_real", "logits_fake"),
                _loss_inputs(_TWO_BATCHES, 1.5, 0.0), _d_loss,
                _("the sum of two means (real term + fake term)"), mistakes)


@check
def check_generator_loss(generator_loss) -> None:
    """generator_loss(logits_fake): mean BCE of the fake logits against the label "real"."""
    require_student_code(generator_loss, "generator_loss")
    mistakes = [
        (lambda f: _bce_fake(f).mean(), _("are the labels swapped? The generator wants D to call "
                                          "its samples real (label 1)"), "swapped-labels"),
        (lambda f: -_bce_fake(f).mean(), _("this is the saturating loss log(1 - D(G(z))); the "
                                           "handout asks for -log D(G(z)) (label 1)"), "saturating-loss"),
        (lambda f: _bce_real(torch.sigmoid(f)).mean(), _sigmoid_twice(), "sigmoid-twice"),
        (lambda f: _bce_real(f).sum(), _sum_not_mean(), "sum-not-mean"),
        (lambda f: -_bce_real(f).mean(), _("the sign is flipped: BCE is a negative log-likelihood"), "sign-flipped"),
    ]
    _check_loss("generator_loss", generator_loss, ("logits_fake",),
                _loss_inputs(_ONE_BATCH, 1.5, 0.0), lambda f: _bce_real(f).mean(),
                _("the mean BCE of the fake logits against label 1"), mistakes)


@check
def check_ls_discriminator_loss(ls_discriminator_loss) -> None:
    """ls_discriminator_loss(scores_real, scores_fake): 0.5 mean((real-1)^2) + 0.5 mean(fake^2)."""
    require_student_code(ls_discriminator_loss, "ls_discriminator_loss")
    mistakes = [
        (lambda r, f: 2 * _ls_d_loss(r, f), _("did you leave out the factor 1/2 on each term?"), "no-half"),
        (lambda r, f: 0.5 * _ls_d_loss(r, f), _("found half the expected value: did you average the "
                                                "two terms (or halve them twice)?"), "mean-not-sum"),
        (lambda r, f: 0.5 * torch.cat([(r - 1).pow(2), f.pow(2)]).mean(), _one_mean(), "one-mean-over-both"),
        (lambda r, f: 0.5 * r.pow(2).mean() + 0.5 * (f - 1).pow(2).mean(),
         _("are the targets swapped? Real scores are pulled to 1, fake scores to 0"), "swapped-targets"),
        (lambda r, f: _ls_d_loss(torch.sigmoid(r), torch.sigmoid(f)),
         _("did you apply a sigmoid? LSGAN uses the raw scores"), "sigmoid-applied"),
        (lambda r, f: 0.5 * ((r - 1).pow(2).sum() + f.pow(2).sum()), _sum_not_mean(), "sum-not-mean"),
        (lambda r, f: 0.5 * (r - 1).pow(2).mean(), _("did you leave out the fake term?"), "no-fake-term"),
        (lambda r, f: 0.5 * f.pow(2).mean(), _("did you leave out the real term?"), "no-real-term"),
    ]
    _check_loss("ls_discriminator_loss", ls_discriminator_loss, ("scores_real", "scores_fake"),
                _loss_inputs(_TWO_BATCHES, 1.0, 0.5), _ls_d_loss,
                "0.5 * mean((scores_real - 1)^2) + 0.5 * mean(scores_fake^2)", mistakes)


@check
def check_ls_generator_loss(ls_generator_loss) -> None:
    """ls_generator_loss(scores_fake): 0.5 * mean((scores_fake - 1)^2)."""
    require_student_code(ls_generator_loss, "ls_generator_loss")
    mistakes = [
        (lambda f: (f - 1).pow(2).mean(), _("did you leave out the factor 1/2?"), "no-half"),
        (lambda f: 0.5 * f.pow(2).mean(), _("is the target swapped? The generator pulls its scores "
                                            "to 1 (real), not 0"), "swapped-targets"),
        (lambda f: 0.5 * (torch.sigmoid(f) - 1).pow(2).mean(),
         _("did you apply a sigmoid? LSGAN uses the raw scores"), "sigmoid-applied"),
        (lambda f: 0.5 * (f - 1).pow(2).sum(), _sum_not_mean(), "sum-not-mean"),
    ]
    _check_loss("ls_generator_loss", ls_generator_loss, ("scores_fake",),
                _loss_inputs(_ONE_BATCH, 1.0, 0.5), lambda f: 0.5 * (f - 1).pow(2).mean(),
                "0.5 * mean((scores_fake - 1)^2)", mistakes)


# --------------------------------------------------------------------------- noise, optimizer
@check
def check_sample_noise(sample_noise) -> None:
    """sample_noise(batch_size, dim, seed=None): uniform noise in (-1, 1), reproducible by seed."""
    require_student_code(sample_noise, "sample_noise")
    torch.manual_seed(0)
    small = call_student("sample_noise(3, 5)", sample_noise, 3, 5)
    expect(isinstance(small, torch.Tensor), "sample_noise(3, 5)", _("a torch tensor"),
           type(small).__name__)
    # Translators: {shape} is a tensor shape, e.g. (3, 5).
    expect(tuple(small.shape) == (3, 5), "sample_noise(3, 5)", _("shape {shape}").format(shape=(3, 5)),
           tuple(small.shape))
    expect(small.is_floating_point(), "sample_noise(3, 5)", _("a float tensor"), small.dtype)

    noise = call_student("sample_noise(2000, 50, seed=0)", sample_noise, 2000, 50, seed=0).double()
    low, high, mean = noise.min().item(), noise.max().item(), noise.mean().item()
    found = _("values from {low:.3f} to {high:.3f} (mean {mean:.3f})").format(low=low, high=high, mean=mean)
    what = _("sample_noise: noise values")
    if low >= 0:
        fail(what, _("uniform in (-1, 1)"),
             # Translators: {found} is "values from X to Y (mean Z)", translated.
             _("{found}, all in [0, 1): scale torch.rand's [0, 1) to (-1, 1), e.g. 2 * torch.rand(...) - 1").format(
                 found=found), mistake="noise-in-0-1")
    if low < -1 or high > 1:
        normal = abs(noise.std().item() - 1) < 0.05
        fail(what, _("uniform in (-1, 1)"),
             _("{found} (that looks like torch.randn, a normal distribution)").format(found=found) if normal else found,
             mistake="gaussian-noise" if normal else "noise-out-of-range")
    if low > -0.9 or high < 0.9:
        fail(what, _("uniform over the whole of (-1, 1)"), _("{found}, a narrower range").format(found=found),
             mistake="noise-too-narrow")
    expect(abs(mean) < 0.02, what, _("a mean near 0"), found, mistake="noise-off-centre")
    share = torch.histc(noise, bins=10, min=-1, max=1) / noise.numel()
    expect(bool(((share - 0.1).abs() < 0.01).all()), what,
           _("a uniform distribution (each tenth of (-1, 1) about equally often)"),
           # Translators: {shares} is a list of ten fractions, e.g. 0.10, 0.09, ...
           _("shares per tenth {shares}").format(shares=", ".join(f"{s:.2f}" for s in share.tolist())),
           mistake="noise-not-uniform")

    first = call_student("sample_noise(4, 6, seed=3)", sample_noise, 4, 6, seed=3)
    again = call_student("sample_noise(4, 6, seed=3)", sample_noise, 4, 6, seed=3)
    other = call_student("sample_noise(4, 6, seed=4)", sample_noise, 4, 6, seed=4)
    expect(torch.equal(first, again), _("sample_noise with seed=3 twice"), _("the same noise both times"),
           _("different noise (use the seed, e.g. torch.manual_seed(seed), when it is given)"), mistake="seed-ignored")
    expect(not torch.equal(first, other), _("sample_noise with seed=3 and seed=4"),
           _("different noise for different seeds"), _("the same noise (is the seed fixed?)"), mistake="fixed-seed")
    unseeded = [call_student("sample_noise(4, 6)", sample_noise, 4, 6) for _call in range(2)]
    expect(not torch.equal(*unseeded), _("sample_noise(4, 6) twice without a seed"),
           _("different noise each call"), _("the same noise (seed only when seed is not None)"),
           mistake="seeded-without-seed")


@check
def check_get_optimizer(get_optimizer) -> None:
    """get_optimizer(model): Adam over all of the model's parameters, lr 1e-3, betas (0.5, 0.999)."""
    require_student_code(get_optimizer, "get_optimizer")
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    optimizer = call_student("get_optimizer(model)", get_optimizer, model)
    is_adam = isinstance(optimizer, torch.optim.Adam) and not isinstance(optimizer, torch.optim.AdamW)
    expect(is_adam, "get_optimizer(model)", _("a torch.optim.Adam"), type(optimizer).__name__, mistake="not-adam")
    wanted = [id(p) for p in model.parameters()]
    given = [id(p) for group in optimizer.param_groups for p in group["params"]]
    # Translators: {count}, {given} and {own} are numbers of tensors.
    expect(sorted(given) == sorted(wanted), _("get_optimizer(model): the parameters it updates"),
           _("exactly the model's {count} parameter tensors").format(count=len(wanted)),
           _("{given} tensors, {own} of them the model's").format(given=len(given), own=len(set(given) & set(wanted))),
           mistake="wrong-parameters")
    for group in optimizer.param_groups:
        expect(abs(group["lr"] - 1e-3) < 1e-12, _("get_optimizer(model): learning rate"), "1e-3",
               group["lr"], mistake="wrong-lr")
        betas = tuple(float(b) for b in group["betas"])
        default = betas == (0.9, 0.999)
        # Translators: {betas} is a pair of numbers, e.g. (0.9, 0.999).
        expect(betas == (0.5, 0.999), _("get_optimizer(model): betas"), (0.5, 0.999),
               _("{betas} (Adam's default betas)").format(betas=betas) if default else f"{betas}",
               mistake="default-betas" if default else "wrong-betas")
        expect(not group.get("decoupled_weight_decay", False), "get_optimizer(model)",
               "Adam", _("AdamW-style decoupled weight decay"), mistake="decoupled-weight-decay")


# --------------------------------------------------------------------------- architectures
def _trace(model: nn.Module, layers: Sequence[nn.Module], what: str, x: Tensor
           ) -> tuple[Tensor, list[tuple[Tensor, Tensor] | None]]:
    """Run the student's model: its output, and each layer's first input and output (None for
    a layer that never ran)."""
    out, calls = record_layers(what, model, layers, x)
    seen: dict[int, tuple[Tensor, Tensor]] = {}
    for index, inputs, output in calls:
        seen.setdefault(index, (inputs, output))
    return out, [seen.get(i) for i in range(len(layers))]


def _hints() -> dict:
    """(expected, found) -> (why it matters, the mistake's slug); each one function, by its name
    (``Activation.name``, "identity" for no activation), read in the course's language."""
    return {
        ("Tanh", "identity"): (_("missing Tanh: images must lie in [-1, 1]"), "no-tanh"),
        ("Tanh", "Sigmoid"): (_("Sigmoid gives [0, 1]; images must lie in [-1, 1]"), "output-sigmoid"),
        ("identity", "Sigmoid"): (_("return raw logits: the loss applies the sigmoid"), "sigmoid-on-logits"),
    }


def _single(activation: Activation | None) -> str | None:
    """The name of a single function with no parameter to show ("Tanh", "identity"), else None."""
    if activation is None or activation.first is not None or activation.name in ("LeakyReLU", "ELU"):
        return None
    return activation.name


def _diagnose(what: str, gaps: list[tuple[str, Callable[[], tuple[Tensor, Tensor]], Activation]],
              difference: float, spec: str) -> None:
    """Name the first place where the student's activation differs from the expected one."""
    for where, pair, wanted in gaps:
        try:
            pre, post = pair()
        except (TypeError, IndexError, RuntimeError):  # a layer never ran or shapes disagree
            continue
        found = identify(pre, post)
        if not wanted.matches(found):
            shown = unknown() if found is None else str(found)
            hint, mistake = _hints().get((_single(wanted), _single(found)), ("", "wrong-activation"))
            # Translators: {what} is the student's model, as code; {where} a place in it, e.g.
            # "after the first Linear layer".
            fail(_("{what}: the activation {where}").format(what=what, where=where), wanted,
                 # Translators: {found} is a function, e.g. Sigmoid; {hint} why it is wrong.
                 _("{found} ({hint})").format(found=shown, hint=hint) if hint else shown, mistake=mistake)
    # Translators: {spec} is the model's expected layers, e.g. "Linear, ReLU, Linear, Tanh".
    fail(what, _("the output of {spec} computed with your own weights").format(spec=spec),
         _("a different output (max difference {difference:.3g})").format(difference=difference),
         mistake="other-difference")


def _output_difference(out: Tensor, reference: Tensor) -> float:
    return (out.double().reshape(reference.shape) - reference).abs().max().item()


def _noise_dim_hint() -> str:
    return _("did you use NOISE_DIM instead of the noise_dim argument?")


def _expect_widths(what: str, model: nn.Module, widths: list[tuple[int, int]], hint: str = ""
                   ) -> list[nn.Linear]:
    """``hint``: a sentence shown after the widths found, unless the first layer is right."""
    layers = linear_layers(model)
    found = [(m.in_features, m.out_features) for m in layers]
    if found != widths:
        expected = ", ".join(f"{a}->{b}" for a, b in widths)
        shown = hint if found[:1] != widths[:1] else ""
        # the hint's guess, when the first layer exists and takes another number of inputs
        global_dim = bool(shown) and bool(found) and found[0][0] != widths[0][0]
        # Translators: {what} is the student's call, as code, e.g. generator(4).
        fail(_("{what}: the Linear layers (in->out features)").format(what=what), expected,
             _("{found} ({hint})").format(found=describe_linears(layers), hint=shown) if shown
             else describe_linears(layers), mistake="global-noise-dim" if global_dim else "layer-widths")
    missing_bias = [i + 1 for i, m in enumerate(layers) if m.bias is None]
    expect(not missing_bias, _("{what}: Linear layers").format(what=what), _("with biases"),
           # Translators: {layers} is a list of layer numbers, e.g. [1, 3].
           _("layer(s) {layers} built with bias=False").format(layers=missing_bias), mistake="no-bias")
    return layers


def _expect_parameters(what: str, model: nn.Module, count: int) -> None:
    found = parameter_count(model)
    expect(found == count, _("{what}: number of parameters").format(what=what), f"{count:,}", f"{found:,}",
           mistake="parameter-count")


def _leaky(x: Tensor) -> Tensor:
    return F.leaky_relu(x, 0.01)


def _linear(layer: nn.Linear, x: Tensor) -> Tensor:
    return F.linear(x, layer.weight.double(), layer.bias.double())


@check
def check_discriminator(discriminator) -> None:
    """discriminator(): Flatten, Linear 784->256, LeakyReLU(0.01), 256->256, LeakyReLU(0.01),
    256->1, returning (B, 1) logits; 267,009 parameters."""
    require_student_code(discriminator, "discriminator")
    torch.manual_seed(0)
    model = build("discriminator()", discriminator)
    what = "discriminator()"
    layers = _expect_widths(what, model, [(784, 256), (256, 256), (256, 1)])
    _expect_parameters(what, model, 267_009)
    x = torch.randn(16, 1, 28, 28)
    # Translators: {what} is the student's call, as code; {shape} a tensor shape.
    out, seen = _trace(model, layers, _("{what} on images of shape {shape}").format(what=what, shape=(16, 1, 28, 28)),
                       x)
    # Translators: {shape} is a tensor shape.
    expect(out.numel() == 16, what, _("one logit per image, shape {shape}").format(shape=(16, 1)), tuple(out.shape))
    h = _leaky(_linear(layers[0], x.double().flatten(1)))  # (B, 1, 28, 28) -> (B, 784)
    h = _leaky(_linear(layers[1], h))
    difference = _output_difference(out, _linear(layers[2], h))
    if difference > ATOL + RTOL:
        slope = leaky_relu(0.01)
        _diagnose(what, [(_("before the first Linear layer"), lambda: (x.flatten(1), seen[0][0]), IDENTITY),
                         (_("after the first Linear layer"), lambda: (seen[0][1], seen[1][0]), slope),
                         (_("after the second Linear layer"), lambda: (seen[1][1], seen[2][0]), slope),
                         (_("at the output"), lambda: (seen[2][1], out), IDENTITY)],
                  difference, "Linear, LeakyReLU(0.01), Linear, LeakyReLU(0.01), Linear")


@check
def check_generator(generator) -> None:
    """generator(noise_dim): Linear noise_dim->1024, ReLU, 1024->1024, ReLU, 1024->784, Tanh;
    1,858,320 parameters for noise_dim 4."""
    require_student_code(generator, "generator")
    torch.manual_seed(0)
    what = f"generator({NOISE_DIM})"
    model = build(what, generator, NOISE_DIM)
    layers = _expect_widths(what, model, [(NOISE_DIM, 1024), (1024, 1024), (1024, 784)], _noise_dim_hint())
    _expect_parameters(what, model, 1_858_320)
    z = torch.rand(16, NOISE_DIM) * 2 - 1
    # Translators: {what} is the student's call, as code; {shape} a tensor shape.
    out, seen = _trace(model, layers, _("{what} on noise of shape {shape}").format(what=what, shape=(16, NOISE_DIM)), z)
    # Translators: {shape} is a tensor shape.
    expect(tuple(out.shape) == (16, 784), what, _("flat images of shape {shape}").format(shape=(16, 784)),
           tuple(out.shape))
    h = F.relu(_linear(layers[0], z.double()))
    h = F.relu(_linear(layers[1], h))
    difference = _output_difference(out, torch.tanh(_linear(layers[2], h)))
    if difference > ATOL + RTOL:
        _diagnose(what, [(_("before the first Linear layer"), lambda: (z, seen[0][0]), IDENTITY),
                         (_("after the first Linear layer"), lambda: (seen[0][1], seen[1][0]), RELU),
                         (_("after the second Linear layer"), lambda: (seen[1][1], seen[2][0]), RELU),
                         (_("at the output"), lambda: (seen[2][1], out), TANH)],
                  difference, "Linear, ReLU, Linear, ReLU, Linear, Tanh")


def _expect_convs(what: str, model: nn.Module, kind: type, shapes: list[tuple[int, int, int]]
                  ) -> list[nn.Module]:
    convs = [m for m in model.modules() if type(m) is kind]
    found = [(m.in_channels, m.out_channels, m.kernel_size[0]) for m in convs]

    def describe(items):
        # Translators: one convolution: {inputs}->{outputs} channels, a {k}x{k} kernel, e.g. "1->32 channels 5x5".
        return ", ".join(_("{inputs}->{outputs} channels {k}x{k}").format(inputs=a, outputs=b, k=k)
                         for a, b, k in items) or _("none")

    if found != shapes or any(m.kernel_size[0] != m.kernel_size[1] for m in convs):
        # Translators: {what} is the student's call, as code; {kind} a layer class, e.g. Conv2d.
        fail(_("{what}: the {kind} layers").format(what=what, kind=kind.__name__), describe(shapes), describe(found),
             mistake="conv-layers")
    return convs


def _conv(layer: nn.Conv2d, x: Tensor) -> Tensor:
    return F.conv2d(x, layer.weight.double(), layer.bias.double(), layer.stride, layer.padding,
                    layer.dilation, layer.groups)


@check
def check_build_dc_classifier(build_dc_classifier) -> None:
    """build_dc_classifier(): (B, 784) -> (B, 1) logits through Conv2d 1->32 5x5, LeakyReLU(0.01),
    MaxPool 2, Conv2d 32->64 5x5, LeakyReLU(0.01), MaxPool 2, Flatten, Linear 1024->1024,
    LeakyReLU(0.01), Linear 1024->1; 1,102,721 parameters."""
    require_student_code(build_dc_classifier, "build_dc_classifier")
    torch.manual_seed(0)
    what = "build_dc_classifier()"
    model = build(what, build_dc_classifier)
    convs = _expect_convs(what, model, nn.Conv2d, [(1, 32, 5), (32, 64, 5)])
    layers = _expect_widths(what, model, [(1024, 1024), (1024, 1)])
    _expect_parameters(what, model, 1_102_721)
    x = torch.rand(8, 784) * 2 - 1
    out, seen = _trace(model, [*convs, *layers],
                       # Translators: {shape} is a tensor shape.
                       _("the classifier on flat images of shape {shape}").format(shape=(8, 784)), x)
    expect(out.numel() == 8, what, _("one logit per image, shape {shape}").format(shape=(8, 1)), tuple(out.shape))
    h = F.max_pool2d(_leaky(_conv(convs[0], x.double().view(8, 1, 28, 28))), 2, 2)  # (B, 32, 12, 12)
    h = F.max_pool2d(_leaky(_conv(convs[1], h)), 2, 2).flatten(1)  # (B, 64, 4, 4) -> (B, 1024)
    difference = _output_difference(out, _linear(layers[1], _leaky(_linear(layers[0], h))))
    if difference > ATOL + RTOL:
        # LeakyReLU and max pooling commute (both monotone), so pool first, then compare.
        slope = leaky_relu(0.01)
        _diagnose(what, [
            (_("after the first Conv2d (and pooling)"),
             lambda: (F.max_pool2d(seen[0][1], 2, 2), seen[1][0]), slope),
            (_("after the second Conv2d (and pooling)"),
             lambda: (F.max_pool2d(seen[1][1], 2, 2).flatten(1), seen[2][0]), slope),
            (_("after the first Linear layer"), lambda: (seen[2][1], seen[3][0]), slope),
            (_("at the output"), lambda: (seen[3][1], out), IDENTITY),
        ], difference, _("conv, LeakyReLU(0.01), max pool (twice), Linear, LeakyReLU(0.01), Linear"))


def _batch_norm(layer: nn.Module, x: Tensor) -> Tensor:
    """``layer`` in eval mode, in float64."""
    def as_double(t):
        return None if t is None else t.double()
    training = layer.running_mean is None  # track_running_stats=False normalises by the batch
    return F.batch_norm(x, as_double(layer.running_mean), as_double(layer.running_var),
                        as_double(layer.weight), as_double(layer.bias), training, 0.0, layer.eps)


@check
def check_build_dc_generator(build_dc_generator) -> None:
    """build_dc_generator(noise_dim): Linear noise_dim->1024, ReLU, BatchNorm, Linear 1024->6272,
    ReLU, BatchNorm, reshape to (128, 7, 7), ConvTranspose2d 128->64 4x4 stride 2, ReLU,
    BatchNorm, ConvTranspose2d 64->1 4x4 stride 2, Tanh, flatten to (B, 784); 6,580,801
    parameters for noise_dim 4.

    The forward pass is compared in eval mode, where fresh BatchNorm layers are (almost) the
    identity, so BatchNorm placed before or after its ReLU both pass.
    """
    require_student_code(build_dc_generator, "build_dc_generator")
    torch.manual_seed(0)
    what = f"build_dc_generator({NOISE_DIM})"
    model = build(what, build_dc_generator, NOISE_DIM)
    layers = _expect_widths(what, model, [(NOISE_DIM, 1024), (1024, 7 * 7 * 128)], _noise_dim_hint())
    deconvs = _expect_convs(what, model, nn.ConvTranspose2d, [(128, 64, 4), (64, 1, 4)])
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    expect([m.num_features for m in norms] == [1024, 6272, 64], _("{what}: BatchNorm layers").format(what=what),
           _("over 1024, 6272 and 64 features"), [m.num_features for m in norms] or _("none"),
           mistake="batchnorm-layers")
    _expect_parameters(what, model, 6_580_801)

    z = torch.rand(8, NOISE_DIM) * 2 - 1
    model.eval()
    out, seen = _trace(model, [*layers, *deconvs],
                       # Translators: {what} is the student's call, as code; {shape} a tensor shape.
                       _("{what} in eval mode on noise of shape {shape}").format(what=what, shape=(8, NOISE_DIM)), z)
    expect(tuple(out.shape) == (8, 784), what, _("flat images of shape {shape}").format(shape=(8, 784)),
           tuple(out.shape))
    h = _batch_norm(norms[0], F.relu(_linear(layers[0], z.double())))
    h = _batch_norm(norms[1], F.relu(_linear(layers[1], h)))
    h = h.view(8, 128, 7, 7)  # (B, 6272) -> (B, 128, 7, 7)
    d = deconvs[0]
    h = F.conv_transpose2d(h, d.weight.double(), d.bias.double(), d.stride, d.padding, d.output_padding)
    if h.shape[-2:] != (14, 14):
        fail(_("{what}: the first ConvTranspose2d").format(what=what),
             _("a 14x14 output from 7x7 (stride 2, padding 1)"),
             f"{tuple(h.shape[-2:])}", mistake="deconv-size")
    h = _batch_norm(norms[2], F.relu(h))
    d = deconvs[1]
    h = F.conv_transpose2d(h, d.weight.double(), d.bias.double(), d.stride, d.padding, d.output_padding)
    difference = _output_difference(out, torch.tanh(h).flatten(1))  # (B, 1, 28, 28) -> (B, 784)
    if difference > ATOL + RTOL:
        _diagnose(what, [
            (_("after the first Linear layer"), lambda: (seen[0][1], seen[1][0]), RELU),
            (_("after the second Linear layer"), lambda: (seen[1][1], seen[2][0].flatten(1)), RELU),
            (_("after the first ConvTranspose2d"), lambda: (seen[2][1], seen[3][0]), RELU),
            (_("at the output"), lambda: (seen[3][1].flatten(1), out), TANH),
        ], difference, _("the handout's layers"))
    model.train()  # and it must run on a training batch too
    # Translators: {what} is the student's call, as code.
    batch = call_student(_("{what} in train mode").format(what=what), model, z)
    expect(isinstance(batch, torch.Tensor) and tuple(batch.shape) == (8, 784),
           _("{what} in train mode").format(what=what), _("shape {shape}").format(shape=(8, 784)),
           tuple(getattr(batch, "shape", ())))


# --------------------------------------------------------------------------- Inline Question 4
def _alternating(x: float, y: float, *, y_first: bool, simultaneous: bool = False) -> list[tuple]:
    points = []
    for _step in range(6):
        if simultaneous:
            x, y = x - y, y + x
        elif y_first:
            y = y + x
            x = x - y
        else:
            x = x - y
            y = y + x
        points.append((x, y))
    return points


def _as_points(points) -> list[tuple[float, float]] | None:
    try:
        pairs = [tuple(float(v) for v in point) for point in points]
    except (TypeError, ValueError):
        return None
    return pairs if all(len(p) == 2 for p in pairs) else None


@check
def check_minimax_answers(minimax_value, points) -> float:
    """Inline Question 4: the value of min_x max_y xy, and the six points that alternating
    gradient steps of size 1 visit from (1, 1), y first.

    Points: 1 for the value, 1 for the six points (all in order); returns the points earned
    (2.0 or 1.0) and fails when neither part is right.
    """
    if callable(minimax_value):
        require_student_code(minimax_value, "minimax_value")
        minimax_value = call_student("minimax_value()", minimax_value)
    problems, slugs = [], []  # what the student reads; the mistakes' slugs, in the same order
    if minimax_value is None:
        problems.append(_("Inline Question 4: the minimax value is not answered yet"))
        slugs.append("value-unanswered")
    else:
        try:
            value = float(minimax_value)
        except (TypeError, ValueError):
            value = None
        if value is None or abs(value) > 1e-6:
            # Translators: {found} is the student's answer, as Python writes it.
            problems.append(_("Inline Question 4: expected the value of min_x max_y xy as one "
                              "number, found {found}").format(found=repr(minimax_value)))
            slugs.append("wrong-value")

    pairs = None if points is None else _as_points(points)
    expected = _alternating(1.0, 1.0, y_first=True)

    def same(a, b):
        return len(a) == len(b) and all(abs(p - q) < 1e-6 for u, v in zip(a, b) for p, q in zip(u, v))

    if points is None or (pairs is not None and not pairs):
        problems.append(_("Inline Question 4: the six points are not answered yet"))
        slugs.append("points-unanswered")
    elif pairs is None:
        # Translators: {found} is the student's answer, as Python writes it.
        problems.append(_("Inline Question 4: expected a list of six (x, y) pairs, found {found}").format(
            found=repr(points)))
        slugs.append(None)
    elif not same(pairs, expected):
        if len(pairs) == 7 and same(pairs[1:], expected):
            hint, slug = _("a list that starts with (1, 1): list only the points after each step"), "start-point-listed"
        elif len(pairs) != 6:
            # Translators: {count} is a number of points.
            hint, slug = _("{count} points").format(count=len(pairs)), "wrong-point-count"
        elif same([(y, x) for x, y in pairs], expected):
            hint, slug = _("pairs that look like (y, x): write each point as (x, y)"), "points-as-y-x"
        elif same(pairs, _alternating(1.0, 1.0, y_first=False)):
            hint, slug = _("the points when x moves first: the question has y move first"), "x-moves-first"
        elif same(pairs, _alternating(1.0, 1.0, y_first=True, simultaneous=True)):
            hint, slug = (_("the points of simultaneous updates: y moves first, and x uses the new y"),
                          "simultaneous-updates")
        else:
            wrong = next(i for i, (a, b) in enumerate(zip(pairs, expected)) if not same([a], [b]))
            # Translators: {number} is the wrong point's number (1 to 6); {found} the point, e.g. (0.0, 1.0).
            hint, slug = _("point {number} of 6 is wrong (found {found})").format(number=wrong + 1,
                                                                                 found=pairs[wrong]), "wrong-point"
        # Translators: {found} says what the answer holds instead, e.g. "7 points".
        problems.append(_("Inline Question 4: expected the six points visited after each step, "
                          "found {found}").format(found=hint))
        slugs.append(slug)

    named = [note(slug) for slug in slugs if slug is not None]
    if len(problems) == 2:
        raise GradingFailure(clauses(problems), key=named[0] if named else None)
    for problem in problems:
        print(problem)  # stdout shows in the feedback; stderr would zero the cell
    return 2.0 - len(problems)
