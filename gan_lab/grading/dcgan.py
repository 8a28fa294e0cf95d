"""Hidden-test checks for the DCGAN lab (the DCGAN paper notes and their reference code).

- ``check_weights_init_normal``: applied to a probe model whose parameters are first set to a
  sentinel, so what the function set is visible; judged by the statistics of what it drew.
- ``check_discriminator_block``: the layers the function returns, in order, and their settings.
- ``check_generator``: the student's ``forward`` against the given layers of their own model.
- ``check_batchnorm_reading``: the reading exercise on ``nn.BatchNorm2d(c, 0.8)``; returns its
  points (one per answer), printing the reasons for any it withholds.

Every check but the last returns None on success and raises ``GradingFailure`` otherwise.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from gan_lab.grading.core import (
    GradingFailure,
    call_student,
    check,
    expect,
    fail,
    fill_gradients,
    max_difference,
    require_student_code,
    sgd_step_on_copy,
    weights_match,
)

Tensor = torch.Tensor

INIT_STD = 0.02
SENTINEL = 5.0  # every probe parameter starts here, so an untouched one is recognisable
TOLERANCE = 1e-5


# --------------------------------------------------------------------------- weights_init_normal
def _init_probe() -> nn.Sequential:
    """Layers of both DCGAN networks, large enough that sample statistics are precise."""
    return nn.Sequential(
        nn.Linear(8, 8),
        nn.BatchNorm2d(4096),  # 4,096 scales: their std is known to about 1%
        nn.Conv2d(64, 64, 3),  # 36,864 weights
        nn.LeakyReLU(0.2),
        nn.Dropout2d(0.25),
        nn.Upsample(scale_factor=2),
        nn.Tanh(),
    )


def _stats(t: Tensor) -> tuple[float, float]:
    t = t.detach().double()
    return t.mean().item(), t.std().item()


def _spread_hint(std: float) -> str:
    if abs(std - math.sqrt(INIT_STD)) < 0.01:
        return ": did you pass the variance 0.02 where init.normal_ takes the standard deviation?"
    if abs(std - 10 * INIT_STD) < 0.01:
        return ": 0.2 is ten times the paper's spread (0.02)"
    return ""


def _unchanged(t: Tensor) -> bool:
    return bool((t == SENTINEL).all())


@check
def check_weights_init_normal(weights_init_normal) -> None:
    """Conv weights ~ N(0, 0.02); BatchNorm weights ~ N(1, 0.02) and biases 0."""
    require_student_code(weights_init_normal, "weights_init_normal")
    torch.manual_seed(0)
    probe = _init_probe()
    with torch.no_grad():
        for parameter in probe.parameters():
            parameter.fill_(SENTINEL)
    torch.manual_seed(1)
    call_student("model.apply(weights_init_normal)", probe.apply, weights_init_normal)
    batch_norm, conv = probe[1], probe[2]

    if _unchanged(conv.weight):
        fail("Conv2d weights", "N(0, 0.02) draws", "the weights left as they were: does your test "
             "recognise nn.Conv2d (isinstance(m, nn.Conv2d))?")
    mean, std = _stats(conv.weight)
    if abs(mean) > 0.002 or abs(std - INIT_STD) > 0.001:
        fail("Conv2d weights", "mean 0 and standard deviation 0.02",
             f"mean {mean:.4f} and standard deviation {std:.4f}{_spread_hint(std)}")

    if _unchanged(batch_norm.weight):
        fail("BatchNorm2d weights", "N(1, 0.02) draws", "the weights left as they were: does your "
             "test recognise nn.BatchNorm2d?")
    mean, std = _stats(batch_norm.weight)
    if abs(mean) < 0.05 and abs(std - INIT_STD) < 0.005:
        fail("BatchNorm2d weights", "mean 1 and standard deviation 0.02",
             f"mean {mean:.4f}: centred at 0 like the conv weights. The BatchNorm weight (gamma) "
             "scales each normalised channel, so it starts near 1, with the same small spread")
    if abs(mean - 1.0) > 0.003 or abs(std - INIT_STD) > 0.002:
        fail("BatchNorm2d weights", "mean 1 and standard deviation 0.02",
             f"mean {mean:.4f} and standard deviation {std:.4f}{_spread_hint(std)}")

    bias = batch_norm.bias.detach()
    if _unchanged(bias):
        fail("BatchNorm2d biases", "all 0 (the shift beta starts at 0)", "the biases left as they were")
    if bias.abs().max().item() != 0.0:
        fail("BatchNorm2d biases", "all 0 (the shift beta starts at 0)",
             f"values up to {bias.abs().max().item():.4f} in size")


# --------------------------------------------------------------------------- discriminator_block
_POOLING = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


def _leaves(result: Any, what: str) -> list[nn.Module]:
    """The layers returned, flattened through any containers."""
    if isinstance(result, nn.Module) and not isinstance(result, (nn.Sequential, nn.ModuleList)):
        fail(what, "a list of layers (so that blocks can be spliced with *)", f"a single {type(result).__name__}")
    try:
        items = list(result)
    except TypeError:
        fail(what, "a list of layers", type(result).__name__)
    for item in items:
        if not isinstance(item, nn.Module):
            fail(f"{what} items", "nn.Module layers", type(item).__name__)
    return [m for item in items for m in item.modules() if not list(m.children())]


def _describe(layers: list[nn.Module]) -> str:
    return " -> ".join(type(m).__name__ for m in layers) or "no layers"


def _check_block(discriminator_block, in_filters: int, out_filters: int, bn: bool | None) -> None:
    call = f"discriminator_block({in_filters}, {out_filters}" + ("" if bn is None else f", bn={bn}") + ")"
    args = {} if bn is None else {"bn": bn}
    layers = _leaves(call_student(call, discriminator_block, in_filters, out_filters, **args), call)
    with_bn = bn is not False

    pools = [m for m in layers if isinstance(m, _POOLING)]
    if pools:
        fail(f"{call} downsampling", "a stride-2 convolution and no pooling layer (the paper's first "
             "guideline)", f"a {type(pools[0]).__name__}")
    convs = [m for m in layers if isinstance(m, nn.Conv2d)]
    expect(len(convs) == 1, f"{call} convolutions", "exactly one Conv2d", f"{len(convs)} ({_describe(layers)})")
    conv = convs[0]
    expect((conv.in_channels, conv.out_channels) == (in_filters, out_filters), f"{call} Conv2d channels",
           f"{in_filters} -> {out_filters}", f"{conv.in_channels} -> {conv.out_channels}")
    if conv.stride != (2, 2):
        fail(f"{call} Conv2d stride", "2 (a strided convolution halves height and width, in place of "
             "pooling)", conv.stride[0] if conv.stride[0] == conv.stride[1] else conv.stride)
    expect(conv.kernel_size == (3, 3), f"{call} Conv2d kernel_size", 3, conv.kernel_size)
    expect(conv.padding == (1, 1), f"{call} Conv2d padding", 1, conv.padding)

    activations = [m for m in layers if isinstance(m, (nn.LeakyReLU, nn.ReLU, nn.ELU, nn.Tanh, nn.Sigmoid))]
    expect(len(activations) == 1 and isinstance(activations[0], nn.LeakyReLU), f"{call} activation",
           "one LeakyReLU(0.2)", _describe(activations))
    slope = activations[0].negative_slope
    if abs(slope - 0.2) > 1e-9:
        hint = " (nn.LeakyReLU() defaults to 0.01; the paper sets 0.2)" if abs(slope - 0.01) < 1e-9 else ""
        fail(f"{call} LeakyReLU slope", "negative_slope=0.2", f"{slope}{hint}")

    dropouts = [m for m in layers if isinstance(m, nn.modules.dropout._DropoutNd)]
    if len(dropouts) != 1 or type(dropouts[0]) is not nn.Dropout2d:
        fail(f"{call} dropout", "one Dropout2d(0.25), which drops whole feature maps",
             _describe(dropouts) if dropouts else "none")
    expect(abs(dropouts[0].p - 0.25) < 1e-9, f"{call} Dropout2d probability", 0.25, dropouts[0].p)

    norms = [m for m in layers if isinstance(m, nn.modules.batchnorm._NormBase)]
    if not with_bn:
        expect(not norms, f"{call} normalisation", "no BatchNorm2d when bn=False (the paper leaves it "
               "out of D's input layer)", _describe(norms))
    else:
        if not norms:
            fail(f"{call} normalisation", "a BatchNorm2d at the end of the block when bn is True "
                 "(the default)", "none")
        norm = norms[0]
        expect(len(norms) == 1 and type(norm) is nn.BatchNorm2d, f"{call} normalisation",
               "one BatchNorm2d", _describe(norms))
        expect(norm.num_features == out_filters, f"{call} BatchNorm2d num_features", out_filters, norm.num_features)
        if abs(norm.eps - 0.8) > 1e-9 or abs((norm.momentum or 0) - 0.1) > 1e-9:
            found = f"eps={norm.eps}, momentum={norm.momentum}"
            hint = ""
            if abs((norm.momentum or 0) - 0.8) < 1e-9:
                hint = ": momentum=0.8 is not what the reference writes; its positional 0.8 sets eps"
            elif abs(norm.eps - 1e-5) < 1e-12:
                hint = ": keep the reference's second argument, nn.BatchNorm2d(out_filters, 0.8)"
            fail(f"{call} BatchNorm2d settings", "those of nn.BatchNorm2d(out_filters, 0.8) "
                 "(eps=0.8, momentum=0.1)", found + hint)

    order = [nn.Conv2d, nn.LeakyReLU, nn.Dropout2d] + ([nn.BatchNorm2d] if with_bn else [])
    expect([type(m) for m in layers] == order, f"{call} layer order",
           " -> ".join(k.__name__ for k in order) + " (as in the reference)", _describe(layers))

    x = torch.randn(2, in_filters, 8, 8)
    with torch.no_grad():
        out = call_student(f"{call} as nn.Sequential", nn.Sequential(*layers).eval(), x)
    expect(tuple(out.shape) == (2, out_filters, 4, 4), f"{call} output for a (2, {in_filters}, 8, 8) input",
           f"shape (2, {out_filters}, 4, 4)", tuple(out.shape))


@check
def check_discriminator_block(discriminator_block) -> None:
    """[Conv2d(in, out, 3, 2, 1), LeakyReLU(0.2), Dropout2d(0.25)] + [BatchNorm2d(out, 0.8)] if bn."""
    require_student_code(discriminator_block, "discriminator_block")
    torch.manual_seed(0)
    for in_filters, out_filters in ((1, 16), (5, 7)):  # a second size catches fixed channel counts
        for bn in (False, True, None):  # None: the default, which must mean bn=True
            _check_block(discriminator_block, in_filters, out_filters, bn)


# --------------------------------------------------------------------------- Generator.forward
def _conv_stack(model: nn.Module, what: str) -> nn.Module:
    blocks = getattr(model, "conv_blocks", None)
    if not isinstance(blocks, nn.Module):
        fail(f"{what}.conv_blocks", "the nn.Sequential that the given __init__ builds (keep __init__ "
             "as given)", "no such attribute")
    return blocks


def _forward_recording(model: nn.Module, blocks: nn.Module, z: Tensor, what: str, expected: str):
    """The student's output, and what went into and came out of ``blocks`` (None if not called).

    An error inside forward is reported with what forward is expected to do (``expected``).
    """
    seen: dict[str, Tensor] = {}
    hooks = [blocks.register_forward_pre_hook(lambda _m, args: seen.setdefault("input", args[0].clone())),
             blocks.register_forward_hook(lambda _m, _args, output: seen.setdefault("output", output))]
    try:
        out = call_student(f"{what}.forward on z of shape {tuple(z.shape)}", model, z)
    except GradingFailure as failure:
        if "not implemented" in str(failure):
            raise
        raise GradingFailure(f"{failure}; expected: {expected}") from None
    finally:
        for hook in hooks:
            hook.remove()
    return out, seen.get("input"), seen.get("output")


def _first_block(what: str, linear: nn.Linear, latent_dim: int, size: int) -> None:
    """l1 must make, from each noise vector, the 128 maps of size x size that forward reshapes."""
    maps = 128 * size ** 2
    if (linear.in_features, linear.out_features) == (latent_dim, maps):
        return
    found = f"Linear({linear.in_features}, {linear.out_features})"
    if linear.in_features == latent_dim and linear.out_features % (size * size) == 0:
        found += f", {linear.out_features // (size * size)} maps of {size} x {size}"
    raise GradingFailure(f"{what}.l1: expected Linear({latent_dim}, {maps}), which makes the 128 maps of "
                         f"{size} x {size} (img_size // 4) that conv_blocks starts from, found {found}: keep "
                         "the given __init__ (Linear(latent_dim, 128 * self.init_size ** 2))")


@check
def check_generator(Generator) -> None:
    """forward: l1, reshape (B, 128*s*s) -> (B, 128, s, s) with s = init_size, conv_blocks."""
    require_student_code(Generator, "Generator")
    for latent_dim, img_size, channels in ((100, 32, 1), (12, 16, 3)):  # 16 catches a fixed 8
        what = f"Generator(latent_dim={latent_dim}, img_size={img_size}, channels={channels})"
        torch.manual_seed(0)
        model = call_student(what, Generator, latent_dim=latent_dim, img_size=img_size, channels=channels)
        expect(isinstance(model, nn.Module), what, "an nn.Module", type(model).__name__)
        model.eval()  # BatchNorm on its running statistics: the output depends on nothing else
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        expect(len(linears) == 1, f"{what} Linear layers", "one (from the given __init__)", len(linears))
        blocks = _conv_stack(model, what)
        size = img_size // 4
        _first_block(what, linears[0], latent_dim, size)
        z = torch.randn(2, latent_dim)
        expected_shape = (2, channels, img_size, img_size)
        task = (f"l1's output, shape (2, {128 * size ** 2}), read as 128 maps of {size} x {size} "
                f"(a view to (z.shape[0], 128, self.init_size, self.init_size)), then "
                f"self.conv_blocks, giving images of shape {expected_shape}")
        if img_size != 32:
            task += "; with img_size=16 a fixed 8 breaks: reshape with self.init_size (img_size // 4)"
        with torch.no_grad():
            out, blocks_in, blocks_out = _forward_recording(model, blocks, z, what, task)
            if not isinstance(out, torch.Tensor) or tuple(out.shape) != expected_shape:
                found = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                hint = ""
                if found == (2, 128, size, size):
                    hint = ": return the image that self.conv_blocks makes from the reshaped map"
                fail(f"{what} output shape", expected_shape, f"{found}{hint}")
            feature_map = call_student(f"{what}.l1", linears[0], z).view(2, 128, size, size)  # (2, 128*s*s) -> (2, 128, s, s)
            if blocks_in is not None and blocks_out is not None:  # conv_blocks called once: compare its input
                same_input = tuple(blocks_in.shape) == tuple(feature_map.shape)
                difference = max_difference(blocks_in, feature_map) if same_input else math.inf
                difference = max(difference, max_difference(out, blocks_out))
            else:  # conv_blocks' layers called one by one: recompute the whole image
                difference = max_difference(out, call_student(f"{what}.conv_blocks", blocks, feature_map))
        if difference > TOLERANCE:
            fail(f"{what} output", "self.conv_blocks applied to the output of self.l1 with each row of "
                 "128*init_size**2 numbers read, in order, as 128 maps of init_size x init_size",
                 "different images; a permute or a channels-last view puts the numbers in the wrong places")


# --------------------------------------------------------------------------- reading exercise
def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


@check
def check_batchnorm_reading(bn_second_argument, bn_momentum) -> float:
    """2 points: which parameter the positional 0.8 sets (1), the momentum actually used (1)."""
    points, reasons = 0.0, []
    name = bn_second_argument.strip().lower() if isinstance(bn_second_argument, str) else None
    if name in ("eps", "epsilon"):
        points += 1
    elif name == "momentum":
        reasons.append("bn_second_argument: expected 'eps', found 'momentum': positional arguments fill "
                       "the signature BatchNorm2d(num_features, eps=1e-05, momentum=0.1, ...) in order")
    else:
        reasons.append(f"bn_second_argument: expected the name of a BatchNorm2d parameter as a string, "
                       f"found {bn_second_argument!r}")

    momentum = _number(bn_momentum)
    if momentum is not None and abs(momentum - 0.1) < 1e-9:
        points += 1
    elif momentum is not None and abs(momentum - 0.8) < 1e-9:
        reasons.append("bn_momentum: expected the momentum these layers really use, found 0.8: the 0.8 went "
                       "to eps, so momentum keeps its default")
    elif momentum is not None and min(abs(momentum - 0.9), abs(momentum - 0.99)) < 1e-9:
        reasons.append(f"bn_momentum: expected PyTorch's value, found {momentum}: that is the Keras convention, "
                       "where momentum weights the old running value; PyTorch's weights the new batch statistic")
    else:
        reasons.append(f"bn_momentum: expected the momentum of nn.BatchNorm2d(128, 0.8) as a number, "
                       f"found {bn_momentum!r}")
    if reasons:
        print("BatchNorm2d reading: " + "; ".join(reasons))
    return points


# --------------------------------------------------------------------------- training_step
class _StandInGenerator(nn.Module):
    """z (B, 5) -> (B, 1, 4, 4) images in [-1, 1]: small, deterministic, no BatchNorm or Dropout."""

    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(5, 16)

    def forward(self, z):
        return torch.tanh(self.l1(z)).view(len(z), 1, 4, 4)


class _StandInDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(16, 1)

    def forward(self, img):
        return torch.sigmoid(self.l1(img.reshape(len(img), -1)))


def _load(model: nn.Module, weights: list[Tensor]) -> nn.Module:
    import copy

    twin = copy.deepcopy(model)
    with torch.no_grad():
        for p, w in zip(twin.parameters(), weights):
            p.copy_(w)
    return twin


STEP_LR = 0.1
STALE = 3.0  # every .grad holds this when the step starts


def _returned_losses(result) -> list[float]:
    if not isinstance(result, (tuple, list)) or len(result) != 4:
        fail("training_step's return value", "the four losses (g_loss, real_loss, fake_loss, d_loss)",
             type(result).__name__ if not isinstance(result, (tuple, list)) else f"{len(result)} values")
    values = []
    for name, value in zip(("g_loss", "real_loss", "fake_loss", "d_loss"), result):
        if isinstance(value, Tensor) and value.numel() == 1:
            values.append(float(value.detach()))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            values.append(float(value))
        else:
            fail(f"training_step's {name}", "a one-number loss (a tensor or a float)", type(value).__name__)
    return values


@check
def check_training_step(training_step) -> float:
    """4 points: G's half (2): g_loss = BCE(D(G(z)), valid) and one clean optimizer_G step, taken
    first, on the D it was given; D's half (2): real_loss, fake_loss on G's images detached,
    d_loss = their mean, and one clean optimizer_D step.

    Stand-in networks without BatchNorm or Dropout make one step deterministic, and both start
    with stale gradients (as every step after the first does), so a missing zero_grad shows.
    D's fakes may be the images G made before its update (the reference reuses ``gen_imgs``) or
    fresh ones from the updated G with the same z; both are accepted.
    """
    require_student_code(training_step, "training_step")
    torch.manual_seed(3)
    generator, discriminator = _StandInGenerator(), _StandInDiscriminator()
    batch = 6
    real = torch.rand(batch, 1, 4, 4) * 2 - 1
    z = torch.randn(batch, 5)
    valid, fake = torch.ones(batch, 1), torch.zeros(batch, 1)
    bce = nn.functional.binary_cross_entropy

    # G first, against the D it was given.
    g_after = sgd_step_on_copy(generator, lambda g: bce(discriminator(g(z)), valid), STEP_LR)
    with torch.no_grad():
        g_loss = bce(discriminator(generator(z)), valid).item()
        g_saturating = bce(discriminator(generator(z)), fake).item()
    # Then D, on the fakes G made before its update or after it.
    d_expected = {}
    for when, images in (("before", generator(z).detach()), ("after", _load(generator, g_after)(z).detach())):
        with torch.no_grad():
            real_loss, fake_loss = bce(discriminator(real), valid).item(), bce(discriminator(images), fake).item()
        d_after = sgd_step_on_copy(
            discriminator, lambda d, images=images: (bce(d(real), valid) + bce(d(images), fake)) / 2, STEP_LR)
        d_expected[when] = (real_loss, fake_loss, (real_loss + fake_loss) / 2, d_after)
    # The lab-1 order, D first: G would then step against the updated D.
    d_first = _load(discriminator, d_expected["before"][3])
    g_after_d_first = sgd_step_on_copy(generator, lambda g: bce(d_first(g(z)), valid), STEP_LR)
    with torch.no_grad():
        g_loss_d_first = bce(d_first(generator(z)), valid).item()

    g_grads = [(p.detach() - w) / STEP_LR for p, w in zip(generator.parameters(), g_after)]
    for model in (generator, discriminator):
        fill_gradients(model, STALE)
    optimizer_g = torch.optim.SGD(generator.parameters(), lr=STEP_LR)
    optimizer_d = torch.optim.SGD(discriminator.parameters(), lr=STEP_LR)
    try:
        result = call_student("training_step", training_step, generator, discriminator, optimizer_g,
                              optimizer_d, real.clone(), z.clone(), nn.BCELoss())
    except GradingFailure as failure:
        if "backward through the graph a second time" not in str(failure):
            raise
        raise GradingFailure("training_step: fake_loss ran backward through G's graph a second time (g_loss "
                             "already used it): pass gen_imgs.detach() to D for fake_loss") from None
    found = _returned_losses(result)

    def close(a, b):
        return abs(a - b) <= 1e-5 * max(1.0, abs(b))

    reasons, points = [], 0.0
    if close(found[0], g_loss) and weights_match(generator, g_after):
        points += 2
    elif close(found[0], g_loss_d_first) and weights_match(generator, g_after_d_first):
        reasons.append("G was updated after D: the notes train G first, against the D of the previous step")
    elif not close(found[0], g_loss):
        hint = " (G's images must be labelled valid, ones)" if close(found[0], g_saturating) else ""
        reasons.append(f"g_loss: expected BCE(D(G(z)), valid) = {g_loss:.4f}, found {found[0]:.4f}{hint}")
    elif weights_match(generator, [w - STEP_LR * STALE for w in g_after]):
        reasons.append("G's update used gradients left over from the previous step: call "
                       "optimizer_G.zero_grad() before g_loss.backward()")
    else:
        reasons.append("G's weights did not take one step of optimizer_G on g_loss's gradients")

    matched = [when for when, (r, f, d, _) in d_expected.items()
               if close(found[1], r) and close(found[2], f)]
    if not matched:
        r, f, _, _ = d_expected["before"]
        reasons.append(f"real_loss, fake_loss: expected BCE(D(real), valid) = {r:.4f} and "
                       f"BCE(D(G(z).detach()), fake) = {f:.4f}, found {found[1]:.4f} and {found[2]:.4f}")
    else:
        r, f, d, d_after = d_expected[matched[0]]
        if close(found[3], r + f):
            reasons.append(f"d_loss: expected the mean (real_loss + fake_loss) / 2 = {d:.4f}, found the "
                           f"sum {found[3]:.4f}")
        elif not close(found[3], d):
            reasons.append(f"d_loss: expected (real_loss + fake_loss) / 2 = {d:.4f}, found {found[3]:.4f}")
        elif not weights_match(discriminator, d_after):
            reasons.append("D's weights did not take one clean step of optimizer_D on d_loss's gradients "
                           "(call optimizer_D.zero_grad() first: G's step left gradients in D)")
        elif any(p.grad is not None and not torch.allclose(p.grad, g, atol=1e-5)
                 for p, g in zip(generator.parameters(), g_grads)) and points == 2:
            reasons.append("D's loss sent gradients into G: pass gen_imgs.detach() to D for fake_loss")
        else:
            points += 2
    if reasons:
        print("training_step: " + "; ".join(reasons))
    return points


__all__ = ["GradingFailure", "check_batchnorm_reading", "check_discriminator_block", "check_generator",
           "check_training_step",
           "check_weights_init_normal"]
