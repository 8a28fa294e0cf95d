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

from gan_lab.grading.activations import (IDENTITY, RELU, TANH, UNKNOWN, Activation, identify,
                                         leaky_relu, record_layers)
from gan_lab.grading.core import (GradingFailure, build, call_student, check, describe_linears, expect,
                                  fail, linear_layers, parameter_count, require_student_code)

Tensor = torch.Tensor
Formula = Callable[..., Tensor]  # float64 tensors -> a float64 scalar

RTOL, ATOL = 1e-4, 2e-5  # float32 student code against float64 formulas
NOISE_DIM = 4  # the handout's parameter counts for the generators are given for noise_dim 4


# --------------------------------------------------------------------------- loss checks
def _loss_value(what: str, loss) -> Tensor:
    if not isinstance(loss, torch.Tensor):
        fail(what, "a torch tensor (so that backward() works)", f"a {type(loss).__name__}")
    if loss.numel() != 1:
        fail(what, "a scalar loss (one number)",
             f"a tensor of shape {tuple(loss.shape)}; did you forget to take the mean?")
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
    shapes = ", ".join(f"{a} of shape {tuple(x.shape)}" for a, x in zip(arg_names, args))
    what = f"{name}({shapes})"
    try:
        loss = fn(*args)
    except NotImplementedError:
        raise GradingFailure(f"{name} is not implemented yet (it raises NotImplementedError)") from None
    except Exception as exc:  # student code: any error costs the points, with its reason
        hint = ""
        if "between 0 and 1" in str(exc):
            hint = (" (binary_cross_entropy expects probabilities, but these are logits: use "
                    "binary_cross_entropy_with_logits)")
        raise GradingFailure(f"{what} raised {type(exc).__name__}: {exc}{hint}") from None
    return what, _loss_value(what, loss).item()


def _check_loss(name: str, fn: Callable, arg_names: Sequence[str], cases: list[list[Tensor]],
                formula: Formula, meaning: str, mistakes: Sequence[tuple[Formula, str]]) -> None:
    """Compare ``fn`` with ``formula`` on every case; name the mistake that explains a mismatch.

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
        found = [value for _, value in results]
        if all(_close(f, e) for f, e in zip(found, expected)):
            _check_backward(name, fn, arg_names, cases[0], layout)
            return
        for mistake, hint in mistakes:
            wrong = [mistake(*(x.double() for x in case)).item() for case in cases]
            if all(_close(f, w) for f, w in zip(found, wrong)):
                first_failure = first_failure or _mismatch(results, expected, meaning, hint)
                break
        else:
            first_failure = first_failure or _mismatch(results, expected, meaning, "")
    raise first_failure


def _mismatch(results: list[tuple[str, float]], expected: list[float], meaning: str,
              hint: str) -> GradingFailure:
    for (what, found), value in zip(results, expected):
        if not _close(found, value):
            return GradingFailure(f"{what}: expected {meaning} = {value:.4f}, found {found:.4f}"
                                  + (f"; {hint}" if hint else ""))
    return GradingFailure(f"expected {meaning}")  # unreachable: some case mismatched


def _check_backward(name: str, fn: Callable, arg_names: Sequence[str], inputs: list[Tensor],
                    layout: str) -> None:
    args = [_as_layout(x, layout).clone().requires_grad_(True) for x in inputs]
    loss = call_student(name, fn, *args)
    try:
        loss.backward()
    except RuntimeError as exc:
        fail(f"{name}: backward()", "gradients flowing back to the scores",
             f"RuntimeError: {exc} (did you use .item(), .detach() or torch.tensor(...) on them?)")
    for arg_name, arg in zip(arg_names, args):
        if arg.grad is None or not torch.isfinite(arg.grad).all():
            fail(f"{name}: backward()", f"finite gradients for {arg_name}",
                 "none (is the loss cut off from its input by .detach() or .item()?)")


def _bce_real(x: Tensor) -> Tensor:
    return F.softplus(-x)  # -log(sigmoid(x)), per element


def _bce_fake(x: Tensor) -> Tensor:
    return F.softplus(x)  # -log(1 - sigmoid(x)), per element


_SIGMOID_TWICE = ("did you apply a sigmoid first? The scores are already logits, so "
                  "binary_cross_entropy_with_logits applied the sigmoid twice")
_SUM_NOT_MEAN = "did you sum over the batch instead of taking the mean?"
_AVERAGED = "did you average the two terms instead of adding them?"
_ONE_MEAN = ("did you take one mean over real and fake scores together? Take one mean per batch "
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
        (lambda r, f: 0.5 * _d_loss(r, f), _AVERAGED),
        (lambda r, f: torch.cat([_bce_real(r), _bce_fake(f)]).mean(), _ONE_MEAN),
        (lambda r, f: _bce_fake(r).mean() + _bce_real(f).mean(),
         "are the labels swapped? Real logits go with label 1, fake logits with label 0"),
        (lambda r, f: _d_loss(torch.sigmoid(r), torch.sigmoid(f)), _SIGMOID_TWICE),
        (lambda r, f: _bce_real(r).sum() + _bce_fake(f).sum(), _SUM_NOT_MEAN),
        (lambda r, f: -_d_loss(r, f), "the sign is flipped: BCE is a negative log-likelihood"),
        (lambda r, f: _bce_real(r).mean(), "did you leave out the fake term?"),
        (lambda r, f: _bce_fake(f).mean(), "did you leave out the real term?"),
    ]
    _check_loss("discriminator_loss", discriminator_loss, ("logits_real", "logits_fake"),
                _loss_inputs(_TWO_BATCHES, 1.5, 0.0), _d_loss,
                "the sum of two means (real term + fake term)", mistakes)


@check
def check_generator_loss(generator_loss) -> None:
    """generator_loss(logits_fake): mean BCE of the fake logits against the label "real"."""
    require_student_code(generator_loss, "generator_loss")
    mistakes = [
        (lambda f: _bce_fake(f).mean(), "are the labels swapped? The generator wants D to call "
                                        "its samples real (label 1)"),
        (lambda f: -_bce_fake(f).mean(), "this is the saturating loss log(1 - D(G(z))); the "
                                         "handout asks for -log D(G(z)) (label 1)"),
        (lambda f: _bce_real(torch.sigmoid(f)).mean(), _SIGMOID_TWICE),
        (lambda f: _bce_real(f).sum(), _SUM_NOT_MEAN),
        (lambda f: -_bce_real(f).mean(), "the sign is flipped: BCE is a negative log-likelihood"),
    ]
    _check_loss("generator_loss", generator_loss, ("logits_fake",),
                _loss_inputs(_ONE_BATCH, 1.5, 0.0), lambda f: _bce_real(f).mean(),
                "the mean BCE of the fake logits against label 1", mistakes)


@check
def check_ls_discriminator_loss(ls_discriminator_loss) -> None:
    """ls_discriminator_loss(scores_real, scores_fake): 0.5 mean((real-1)^2) + 0.5 mean(fake^2)."""
    require_student_code(ls_discriminator_loss, "ls_discriminator_loss")
    mistakes = [
        (lambda r, f: 2 * _ls_d_loss(r, f), "did you leave out the factor 1/2 on each term?"),
        (lambda r, f: 0.5 * _ls_d_loss(r, f), "found half the expected value: did you average the "
                                              "two terms (or halve them twice)?"),
        (lambda r, f: 0.5 * torch.cat([(r - 1).pow(2), f.pow(2)]).mean(), _ONE_MEAN),
        (lambda r, f: 0.5 * r.pow(2).mean() + 0.5 * (f - 1).pow(2).mean(),
         "are the targets swapped? Real scores are pulled to 1, fake scores to 0"),
        (lambda r, f: _ls_d_loss(torch.sigmoid(r), torch.sigmoid(f)),
         "did you apply a sigmoid? LSGAN uses the raw scores"),
        (lambda r, f: 0.5 * ((r - 1).pow(2).sum() + f.pow(2).sum()), _SUM_NOT_MEAN),
        (lambda r, f: 0.5 * (r - 1).pow(2).mean(), "did you leave out the fake term?"),
        (lambda r, f: 0.5 * f.pow(2).mean(), "did you leave out the real term?"),
    ]
    _check_loss("ls_discriminator_loss", ls_discriminator_loss, ("scores_real", "scores_fake"),
                _loss_inputs(_TWO_BATCHES, 1.0, 0.5), _ls_d_loss,
                "0.5 * mean((scores_real - 1)^2) + 0.5 * mean(scores_fake^2)", mistakes)


@check
def check_ls_generator_loss(ls_generator_loss) -> None:
    """ls_generator_loss(scores_fake): 0.5 * mean((scores_fake - 1)^2)."""
    require_student_code(ls_generator_loss, "ls_generator_loss")
    mistakes = [
        (lambda f: (f - 1).pow(2).mean(), "did you leave out the factor 1/2?"),
        (lambda f: 0.5 * f.pow(2).mean(), "is the target swapped? The generator pulls its scores "
                                          "to 1 (real), not 0"),
        (lambda f: 0.5 * (torch.sigmoid(f) - 1).pow(2).mean(),
         "did you apply a sigmoid? LSGAN uses the raw scores"),
        (lambda f: 0.5 * (f - 1).pow(2).sum(), _SUM_NOT_MEAN),
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
    expect(isinstance(small, torch.Tensor), "sample_noise(3, 5)", "a torch tensor",
           type(small).__name__)
    expect(tuple(small.shape) == (3, 5), "sample_noise(3, 5)", "shape (3, 5)", tuple(small.shape))
    expect(small.is_floating_point(), "sample_noise(3, 5)", "a float tensor", small.dtype)

    noise = call_student("sample_noise(2000, 50, seed=0)", sample_noise, 2000, 50, seed=0).double()
    low, high, mean = noise.min().item(), noise.max().item(), noise.mean().item()
    found = f"values from {low:.3f} to {high:.3f} (mean {mean:.3f})"
    what = "sample_noise: noise values"
    if low >= 0:
        fail(what, "uniform in (-1, 1)", f"{found}, all in [0, 1): scale torch.rand's [0, 1) to "
             "(-1, 1), e.g. 2 * torch.rand(...) - 1")
    if low < -1 or high > 1:
        normal = abs(noise.std().item() - 1) < 0.05
        fail(what, "uniform in (-1, 1)", found + (" (that looks like torch.randn, a normal "
                                                   "distribution)" if normal else ""))
    if low > -0.9 or high < 0.9:
        fail(what, "uniform over the whole of (-1, 1)", found + ", a narrower range")
    expect(abs(mean) < 0.02, what, "a mean near 0", found)
    share = torch.histc(noise, bins=10, min=-1, max=1) / noise.numel()
    expect(bool(((share - 0.1).abs() < 0.01).all()), what,
           "a uniform distribution (each tenth of (-1, 1) about equally often)",
           "shares per tenth " + ", ".join(f"{s:.2f}" for s in share.tolist()))

    first = call_student("sample_noise(4, 6, seed=3)", sample_noise, 4, 6, seed=3)
    again = call_student("sample_noise(4, 6, seed=3)", sample_noise, 4, 6, seed=3)
    other = call_student("sample_noise(4, 6, seed=4)", sample_noise, 4, 6, seed=4)
    expect(torch.equal(first, again), "sample_noise with seed=3 twice", "the same noise both times",
           "different noise (use the seed, e.g. torch.manual_seed(seed), when it is given)")
    expect(not torch.equal(first, other), "sample_noise with seed=3 and seed=4",
           "different noise for different seeds", "the same noise (is the seed fixed?)")
    unseeded = [call_student("sample_noise(4, 6)", sample_noise, 4, 6) for _ in range(2)]
    expect(not torch.equal(*unseeded), "sample_noise(4, 6) twice without a seed",
           "different noise each call", "the same noise (seed only when seed is not None)")


@check
def check_get_optimizer(get_optimizer) -> None:
    """get_optimizer(model): Adam over all of the model's parameters, lr 1e-3, betas (0.5, 0.999)."""
    require_student_code(get_optimizer, "get_optimizer")
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    optimizer = call_student("get_optimizer(model)", get_optimizer, model)
    is_adam = isinstance(optimizer, torch.optim.Adam) and not isinstance(optimizer, torch.optim.AdamW)
    expect(is_adam, "get_optimizer(model)", "a torch.optim.Adam", type(optimizer).__name__)
    wanted = [id(p) for p in model.parameters()]
    given = [id(p) for group in optimizer.param_groups for p in group["params"]]
    expect(sorted(given) == sorted(wanted), "get_optimizer(model): the parameters it updates",
           f"exactly the model's {len(wanted)} parameter tensors",
           f"{len(given)} tensors, {len(set(given) & set(wanted))} of them the model's")
    for group in optimizer.param_groups:
        expect(abs(group["lr"] - 1e-3) < 1e-12, "get_optimizer(model): learning rate", "1e-3",
               group["lr"])
        betas = tuple(float(b) for b in group["betas"])
        hint = " (Adam's default betas)" if betas == (0.9, 0.999) else ""
        expect(betas == (0.5, 0.999), "get_optimizer(model): betas", (0.5, 0.999), f"{betas}{hint}")
        expect(not group.get("decoupled_weight_decay", False), "get_optimizer(model)",
               "Adam", "AdamW-style decoupled weight decay")


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


_HINTS = {  # (expected, found) -> why it matters
    ("Tanh", "no activation"): "missing Tanh: images must lie in [-1, 1]",
    ("Tanh", "Sigmoid"): "Sigmoid gives [0, 1]; images must lie in [-1, 1]",
    ("no activation", "Sigmoid"): "return raw logits: the loss applies the sigmoid",
}


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
            shown = UNKNOWN if found is None else str(found)
            hint = _HINTS.get((str(wanted), shown))
            fail(f"{what}: the activation {where}", wanted, shown + (f" ({hint})" if hint else ""))
    fail(what, f"the output of {spec} computed with your own weights",
         f"a different output (max difference {difference:.3g})")


def _output_difference(out: Tensor, reference: Tensor) -> float:
    return (out.double().reshape(reference.shape) - reference).abs().max().item()


def _expect_widths(what: str, model: nn.Module, widths: list[tuple[int, int]], hint: str = ""
                   ) -> list[nn.Linear]:
    layers = linear_layers(model)
    found = [(m.in_features, m.out_features) for m in layers]
    if found != widths:
        expected = ", ".join(f"{a}->{b}" for a, b in widths)
        fail(f"{what}: the Linear layers (in->out features)", expected,
             describe_linears(layers) + (hint if found[:1] != widths[:1] else ""))
    missing_bias = [i + 1 for i, m in enumerate(layers) if m.bias is None]
    expect(not missing_bias, f"{what}: Linear layers", "with biases",
           f"layer(s) {missing_bias} built with bias=False")
    return layers


def _expect_parameters(what: str, model: nn.Module, count: int) -> None:
    found = parameter_count(model)
    expect(found == count, f"{what}: number of parameters", f"{count:,}", f"{found:,}")


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
    out, seen = _trace(model, layers, f"{what} on images of shape (16, 1, 28, 28)", x)
    expect(out.numel() == 16, what, "one logit per image, shape (16, 1)", tuple(out.shape))
    h = _leaky(_linear(layers[0], x.double().flatten(1)))  # (B, 1, 28, 28) -> (B, 784)
    h = _leaky(_linear(layers[1], h))
    difference = _output_difference(out, _linear(layers[2], h))
    if difference > ATOL + RTOL:
        slope = leaky_relu(0.01)
        _diagnose(what, [("before the first Linear layer", lambda: (x.flatten(1), seen[0][0]), IDENTITY),
                         ("after the first Linear layer", lambda: (seen[0][1], seen[1][0]), slope),
                         ("after the second Linear layer", lambda: (seen[1][1], seen[2][0]), slope),
                         ("at the output", lambda: (seen[2][1], out), IDENTITY)],
                  difference, "Linear, LeakyReLU(0.01), Linear, LeakyReLU(0.01), Linear")


@check
def check_generator(generator) -> None:
    """generator(noise_dim): Linear noise_dim->1024, ReLU, 1024->1024, ReLU, 1024->784, Tanh;
    1,858,320 parameters for noise_dim 4."""
    require_student_code(generator, "generator")
    torch.manual_seed(0)
    what = f"generator({NOISE_DIM})"
    model = build(what, generator, NOISE_DIM)
    layers = _expect_widths(what, model, [(NOISE_DIM, 1024), (1024, 1024), (1024, 784)],
                            " (did you use NOISE_DIM instead of the noise_dim argument?)")
    _expect_parameters(what, model, 1_858_320)
    z = torch.rand(16, NOISE_DIM) * 2 - 1
    out, seen = _trace(model, layers, f"{what} on noise of shape (16, {NOISE_DIM})", z)
    expect(tuple(out.shape) == (16, 784), what, "flat images of shape (16, 784)", tuple(out.shape))
    h = F.relu(_linear(layers[0], z.double()))
    h = F.relu(_linear(layers[1], h))
    difference = _output_difference(out, torch.tanh(_linear(layers[2], h)))
    if difference > ATOL + RTOL:
        _diagnose(what, [("before the first Linear layer", lambda: (z, seen[0][0]), IDENTITY),
                         ("after the first Linear layer", lambda: (seen[0][1], seen[1][0]), RELU),
                         ("after the second Linear layer", lambda: (seen[1][1], seen[2][0]), RELU),
                         ("at the output", lambda: (seen[2][1], out), TANH)],
                  difference, "Linear, ReLU, Linear, ReLU, Linear, Tanh")


def _expect_convs(what: str, model: nn.Module, kind: type, shapes: list[tuple[int, int, int]]
                  ) -> list[nn.Module]:
    convs = [m for m in model.modules() if type(m) is kind]
    found = [(m.in_channels, m.out_channels, m.kernel_size[0]) for m in convs]

    def describe(items):
        return ", ".join(f"{a}->{b} channels {k}x{k}" for a, b, k in items) or "none"

    if found != shapes or any(m.kernel_size[0] != m.kernel_size[1] for m in convs):
        fail(f"{what}: the {kind.__name__} layers", describe(shapes), describe(found))
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
    out, seen = _trace(model, [*convs, *layers], "the classifier on flat images of shape (8, 784)", x)
    expect(out.numel() == 8, what, "one logit per image, shape (8, 1)", tuple(out.shape))
    h = F.max_pool2d(_leaky(_conv(convs[0], x.double().view(8, 1, 28, 28))), 2, 2)  # (B, 32, 12, 12)
    h = F.max_pool2d(_leaky(_conv(convs[1], h)), 2, 2).flatten(1)  # (B, 64, 4, 4) -> (B, 1024)
    difference = _output_difference(out, _linear(layers[1], _leaky(_linear(layers[0], h))))
    if difference > ATOL + RTOL:
        # LeakyReLU and max pooling commute (both monotone), so pool first, then compare.
        slope = leaky_relu(0.01)
        _diagnose(what, [
            ("after the first Conv2d (and pooling)",
             lambda: (F.max_pool2d(seen[0][1], 2, 2), seen[1][0]), slope),
            ("after the second Conv2d (and pooling)",
             lambda: (F.max_pool2d(seen[1][1], 2, 2).flatten(1), seen[2][0]), slope),
            ("after the first Linear layer", lambda: (seen[2][1], seen[3][0]), slope),
            ("at the output", lambda: (seen[3][1], out), IDENTITY),
        ], difference, "conv, LeakyReLU(0.01), max pool (twice), Linear, LeakyReLU(0.01), Linear")


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
    layers = _expect_widths(what, model, [(NOISE_DIM, 1024), (1024, 7 * 7 * 128)],
                            " (did you use NOISE_DIM instead of the noise_dim argument?)")
    deconvs = _expect_convs(what, model, nn.ConvTranspose2d, [(128, 64, 4), (64, 1, 4)])
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    expect([m.num_features for m in norms] == [1024, 6272, 64], f"{what}: BatchNorm layers",
           "over 1024, 6272 and 64 features", [m.num_features for m in norms] or "none")
    _expect_parameters(what, model, 6_580_801)

    z = torch.rand(8, NOISE_DIM) * 2 - 1
    model.eval()
    out, seen = _trace(model, [*layers, *deconvs],
                       f"{what} in eval mode on noise of shape (8, {NOISE_DIM})", z)
    expect(tuple(out.shape) == (8, 784), what, "flat images of shape (8, 784)", tuple(out.shape))
    h = _batch_norm(norms[0], F.relu(_linear(layers[0], z.double())))
    h = _batch_norm(norms[1], F.relu(_linear(layers[1], h)))
    h = h.view(8, 128, 7, 7)  # (B, 6272) -> (B, 128, 7, 7)
    d = deconvs[0]
    h = F.conv_transpose2d(h, d.weight.double(), d.bias.double(), d.stride, d.padding, d.output_padding)
    if h.shape[-2:] != (14, 14):
        fail(f"{what}: the first ConvTranspose2d", "a 14x14 output from 7x7 (stride 2, padding 1)",
             f"{tuple(h.shape[-2:])}")
    h = _batch_norm(norms[2], F.relu(h))
    d = deconvs[1]
    h = F.conv_transpose2d(h, d.weight.double(), d.bias.double(), d.stride, d.padding, d.output_padding)
    difference = _output_difference(out, torch.tanh(h).flatten(1))  # (B, 1, 28, 28) -> (B, 784)
    if difference > ATOL + RTOL:
        _diagnose(what, [
            ("after the first Linear layer", lambda: (seen[0][1], seen[1][0]), RELU),
            ("after the second Linear layer", lambda: (seen[1][1], seen[2][0].flatten(1)), RELU),
            ("after the first ConvTranspose2d", lambda: (seen[2][1], seen[3][0]), RELU),
            ("at the output", lambda: (seen[3][1].flatten(1), out), TANH),
        ], difference, "the handout's layers")
    model.train()  # and it must run on a training batch too
    batch = call_student(f"{what} in train mode", model, z)
    expect(isinstance(batch, torch.Tensor) and tuple(batch.shape) == (8, 784),
           f"{what} in train mode", "shape (8, 784)", tuple(getattr(batch, "shape", ())))


# --------------------------------------------------------------------------- Inline Question 4
def _alternating(x: float, y: float, *, y_first: bool, simultaneous: bool = False) -> list[tuple]:
    points = []
    for _ in range(6):
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
    problems = []
    if minimax_value is None:
        problems.append("Inline Question 4: the minimax value is not answered yet")
    else:
        try:
            value = float(minimax_value)
        except (TypeError, ValueError):
            value = None
        if value is None or abs(value) > 1e-6:
            problems.append(f"Inline Question 4: expected the value of min_x max_y xy as one "
                            f"number, found {minimax_value!r}")

    pairs = None if points is None else _as_points(points)
    expected = _alternating(1.0, 1.0, y_first=True)

    def same(a, b):
        return len(a) == len(b) and all(abs(p - q) < 1e-6 for u, v in zip(a, b) for p, q in zip(u, v))

    if points is None or (pairs is not None and not pairs):
        problems.append("Inline Question 4: the six points are not answered yet")
    elif pairs is None:
        problems.append(f"Inline Question 4: expected a list of six (x, y) pairs, found {points!r}")
    elif not same(pairs, expected):
        if len(pairs) == 7 and same(pairs[1:], expected):
            hint = "a list that starts with (1, 1): list only the points after each step"
        elif len(pairs) != 6:
            hint = f"{len(pairs)} points"
        elif same([(y, x) for x, y in pairs], expected):
            hint = "pairs that look like (y, x): write each point as (x, y)"
        elif same(pairs, _alternating(1.0, 1.0, y_first=False)):
            hint = "the points when x moves first: the question has y move first"
        elif same(pairs, _alternating(1.0, 1.0, y_first=True, simultaneous=True)):
            hint = "the points of simultaneous updates: y moves first, and x uses the new y"
        else:
            wrong = next(i for i, (a, b) in enumerate(zip(pairs, expected)) if not same([a], [b]))
            hint = f"point {wrong + 1} of 6 is wrong (found {pairs[wrong]})"
        problems.append(f"Inline Question 4: expected the six points visited after each step, "
                        f"found {hint}")

    if len(problems) == 2:
        raise GradingFailure("; ".join(problems))
    for problem in problems:
        print(problem)  # stdout shows in the feedback; stderr would zero the cell
    return 2.0 - len(problems)
