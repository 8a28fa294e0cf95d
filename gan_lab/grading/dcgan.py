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

from gan_lab.grading import mistakes
from gan_lab.grading.core import (
    GradingFailure,
    call_student,
    check,
    expect,
    fail,
    fill_gradients,
    max_difference,
    note,
    require_student_code,
    sgd_step_on_copy,
    weights_match,
)
from gan_lab.i18n import _, clauses

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


def _spread_hint(std: float, otherwise: str) -> tuple[str, str]:
    """The sentence that explains a wrong spread ``std``, and the mistake's slug (``otherwise``
    when no known mistake gives it)."""
    if abs(std - math.sqrt(INIT_STD)) < 0.01:
        return _("did you pass the variance 0.02 where init.normal_ takes the standard deviation?"), "variance-not-std"
    if abs(std - 10 * INIT_STD) < 0.01:
        return _("0.2 is ten times the paper's spread (0.02)"), "spread-ten-times"
    return "", otherwise


def _spread(mean: float, std: float, hint: str) -> str:
    """What was drawn, with the sentence of ``_spread_hint`` when there is one."""
    if hint:
        # Translators: {hint} is a sentence on the likely mistake.
        return _("mean {mean:.4f} and standard deviation {std:.4f}: {hint}").format(mean=mean, std=std, hint=hint)
    return _("mean {mean:.4f} and standard deviation {std:.4f}").format(mean=mean, std=std)


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
        fail(_("Conv2d weights"), _("N(0, 0.02) draws"), _("the weights left as they were: does your test "
             "recognise nn.Conv2d (isinstance(m, nn.Conv2d))?"), mistake="conv-not-initialized")
    mean, std = _stats(conv.weight)
    if abs(mean) > 0.002 or abs(std - INIT_STD) > 0.001:
        hint, mistake = _spread_hint(std, "conv-init-distribution")
        fail(_("Conv2d weights"), _("mean 0 and standard deviation 0.02"), _spread(mean, std, hint), mistake=mistake)

    if _unchanged(batch_norm.weight):
        fail(_("BatchNorm2d weights"), _("N(1, 0.02) draws"), _("the weights left as they were: does your "
             "test recognise nn.BatchNorm2d?"), mistake="bn-not-initialized")
    mean, std = _stats(batch_norm.weight)
    if abs(mean) < 0.05 and abs(std - INIT_STD) < 0.005:
        fail(_("BatchNorm2d weights"), _("mean 1 and standard deviation 0.02"),
             _("mean {mean:.4f}: centred at 0 like the conv weights. The BatchNorm weight (gamma) "
               "scales each normalised channel, so it starts near 1, with the same small spread").format(mean=mean),
             mistake="bn-weight-centred-at-0")
    if abs(mean - 1.0) > 0.003 or abs(std - INIT_STD) > 0.002:
        hint, mistake = _spread_hint(std, "bn-init-distribution")
        fail(_("BatchNorm2d weights"), _("mean 1 and standard deviation 0.02"), _spread(mean, std, hint),
             mistake=mistake)

    bias = batch_norm.bias.detach()
    if _unchanged(bias):
        fail(_("BatchNorm2d biases"), _("all 0 (the shift beta starts at 0)"), _("the biases left as they were"),
             mistake="bn-bias-not-initialized")
    if bias.abs().max().item() != 0.0:
        fail(_("BatchNorm2d biases"), _("all 0 (the shift beta starts at 0)"),
             _("values up to {value:.4f} in size").format(value=bias.abs().max().item()), mistake="bn-bias-not-zero")


# --------------------------------------------------------------------------- discriminator_block
_POOLING = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


def _leaves(result: Any, what: str) -> list[nn.Module]:
    """The layers returned, flattened through any containers."""
    if isinstance(result, nn.Module) and not isinstance(result, (nn.Sequential, nn.ModuleList)):
        # Translators: {layer} is a class name, e.g. Conv2d.
        fail(what, _("a list of layers (so that blocks can be spliced with *)"),
             _("a single {layer}").format(layer=type(result).__name__), mistake="single-layer-not-list")
    try:
        items = list(result)
    except TypeError:
        fail(what, _("a list of layers"), type(result).__name__)
    for item in items:
        if not isinstance(item, nn.Module):
            # Translators: {what} is the student's call, as code.
            fail(_("{what} items").format(what=what), _("nn.Module layers"), type(item).__name__)
    return [m for item in items for m in item.modules() if not list(m.children())]


def _describe(layers: list[nn.Module]) -> str:
    return " -> ".join(type(m).__name__ for m in layers) or _("no layers")


def _check_block(discriminator_block, in_filters: int, out_filters: int, bn: bool | None) -> None:
    call = f"discriminator_block({in_filters}, {out_filters}" + ("" if bn is None else f", bn={bn}") + ")"
    args = {} if bn is None else {"bn": bn}
    layers = _leaves(call_student(call, discriminator_block, in_filters, out_filters, **args), call)
    with_bn = bn is not False

    pools = [m for m in layers if isinstance(m, _POOLING)]
    if pools:
        # Translators: {call} is the student's call, as code, e.g. discriminator_block(1, 16, bn=False);
        # {layer} a class name, e.g. MaxPool2d.
        fail(_("{call} downsampling").format(call=call), _("a stride-2 convolution and no pooling layer (the "
             "paper's first guideline)"), _("a {layer}").format(layer=type(pools[0]).__name__), mistake="uses-pooling")
    convs = [m for m in layers if isinstance(m, nn.Conv2d)]
    expect(len(convs) == 1, _("{call} convolutions").format(call=call), _("exactly one Conv2d"),
           f"{len(convs)} ({_describe(layers)})", mistake="conv-count")
    conv = convs[0]
    expect((conv.in_channels, conv.out_channels) == (in_filters, out_filters),
           _("{call} Conv2d channels").format(call=call), f"{in_filters} -> {out_filters}",
           f"{conv.in_channels} -> {conv.out_channels}", mistake="conv-channels")
    if conv.stride != (2, 2):
        fail(_("{call} Conv2d stride").format(call=call), _("2 (a strided convolution halves height and width, in "
             "place of pooling)"), conv.stride[0] if conv.stride[0] == conv.stride[1] else conv.stride,
             mistake="wrong-stride")
    expect(conv.kernel_size == (3, 3), _("{call} Conv2d kernel_size").format(call=call), 3, conv.kernel_size,
           mistake="wrong-kernel-size")
    expect(conv.padding == (1, 1), _("{call} Conv2d padding").format(call=call), 1, conv.padding,
           mistake="wrong-padding")

    activations = [m for m in layers if isinstance(m, (nn.LeakyReLU, nn.ReLU, nn.ELU, nn.Tanh, nn.Sigmoid))]
    expect(len(activations) == 1 and isinstance(activations[0], nn.LeakyReLU),
           _("{call} activation").format(call=call), _("one LeakyReLU(0.2)"), _describe(activations),
           mistake="wrong-activation")
    slope = activations[0].negative_slope
    if abs(slope - 0.2) > 1e-9:
        default = abs(slope - 0.01) < 1e-9
        found = (_("{slope} (nn.LeakyReLU() defaults to 0.01; the paper sets 0.2)").format(slope=slope) if default
                 else slope)
        fail(_("{call} LeakyReLU slope").format(call=call), "negative_slope=0.2", found,
             mistake="default-slope" if default else "wrong-slope")

    dropouts = [m for m in layers if isinstance(m, nn.modules.dropout._DropoutNd)]
    if len(dropouts) != 1 or type(dropouts[0]) is not nn.Dropout2d:
        fail(_("{call} dropout").format(call=call), _("one Dropout2d(0.25), which drops whole feature maps"),
             _describe(dropouts) if dropouts else _("none"), mistake="no-dropout2d")
    expect(abs(dropouts[0].p - 0.25) < 1e-9, _("{call} Dropout2d probability").format(call=call), 0.25,
           dropouts[0].p, mistake="dropout-rate")

    norms = [m for m in layers if isinstance(m, nn.modules.batchnorm._NormBase)]
    if not with_bn:
        expect(not norms, _("{call} normalisation").format(call=call), _("no BatchNorm2d when bn=False (the paper "
               "leaves it out of D's input layer)"), _describe(norms), mistake="batchnorm-when-bn-false")
    else:
        if not norms:
            fail(_("{call} normalisation").format(call=call), _("a BatchNorm2d at the end of the block when bn is "
                 "True (the default)"), _("none"), mistake="no-batchnorm")
        norm = norms[0]
        expect(len(norms) == 1 and type(norm) is nn.BatchNorm2d, _("{call} normalisation").format(call=call),
               _("one BatchNorm2d"), _describe(norms), mistake="wrong-normalisation")
        expect(norm.num_features == out_filters, _("{call} BatchNorm2d num_features").format(call=call), out_filters,
               norm.num_features, mistake="batchnorm-features")
        if abs(norm.eps - 0.8) > 1e-9 or abs((norm.momentum or 0) - 0.1) > 1e-9:
            found = f"eps={norm.eps}, momentum={norm.momentum}"
            mistake = "batchnorm-settings"
            if abs((norm.momentum or 0) - 0.8) < 1e-9:
                # Translators: {settings} is code, e.g. eps=1e-05, momentum=0.8.
                found = _("{settings}: momentum=0.8 is not what the reference writes; its positional 0.8 sets "
                          "eps").format(settings=found)
                mistake = "momentum-set-to-0-8"
            elif abs(norm.eps - 1e-5) < 1e-12:
                found = _("{settings}: keep the reference's second argument, nn.BatchNorm2d(out_filters, "
                          "0.8)").format(settings=found)
                mistake = "default-eps"
            fail(_("{call} BatchNorm2d settings").format(call=call), _("those of nn.BatchNorm2d(out_filters, 0.8) "
                 "(eps=0.8, momentum=0.1)"), found, mistake=mistake)

    order = [nn.Conv2d, nn.LeakyReLU, nn.Dropout2d] + ([nn.BatchNorm2d] if with_bn else [])
    # Translators: {layers} is a sequence of layer classes, e.g. Conv2d -> LeakyReLU -> Dropout2d.
    expect([type(m) for m in layers] == order, _("{call} layer order").format(call=call),
           _("{layers} (as in the reference)").format(layers=" -> ".join(k.__name__ for k in order)),
           _describe(layers), mistake="layer-order")

    x = torch.randn(2, in_filters, 8, 8)
    with torch.no_grad():
        out = call_student(_("{call} as nn.Sequential").format(call=call), nn.Sequential(*layers).eval(), x)
    expect(tuple(out.shape) == (2, out_filters, 4, 4),
           # Translators: {shape} is a tensor shape, e.g. (2, 1, 8, 8).
           _("{call} output for a {shape} input").format(call=call, shape=(2, in_filters, 8, 8)),
           _("shape {shape}").format(shape=(2, out_filters, 4, 4)), tuple(out.shape))


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
        # Translators: {what} is the student's model as built, e.g. Generator(latent_dim=100, img_size=32, channels=1).
        fail(_("{what}.conv_blocks").format(what=what), _("the nn.Sequential that the given __init__ builds (keep "
             "__init__ as given)"), _("no such attribute"), mistake="changed-init")
    return blocks


def _forward_recording(model: nn.Module, blocks: nn.Module, z: Tensor, what: str, expected: str,
                       mistake: str | None = None):
    """The student's output, and what went into and came out of ``blocks`` (None if not called).

    An error inside forward is reported with what forward is expected to do (``expected``), as
    the mistake ``mistake`` when one is known to cause it.
    """
    seen: dict[str, Tensor] = {}
    hooks = [blocks.register_forward_pre_hook(lambda _m, args: seen.setdefault("input", args[0].clone())),
             blocks.register_forward_hook(lambda _m, _args, output: seen.setdefault("output", output))]
    try:
        # Translators: {what} is the student's model as built; {shape} a tensor shape.
        out = call_student(_("{what}.forward on z of shape {shape}").format(what=what, shape=tuple(z.shape)), model, z)
    except GradingFailure as failure:
        # Not implemented yet: said as it is. (The English text is still matched, as it always
        # was, so that an error whose own message says "not implemented" is reported the same.)
        if failure.cause == "NotImplementedError" or "not implemented" in str(failure):
            raise
        # Translators: {failure} is the error the student's code raised, already a sentence;
        # {expected} what forward is expected to do.
        raise GradingFailure(_("{failure}; expected: {expected}").format(failure=failure, expected=expected),
                             key=mistakes.key_of(mistake), cause=failure.cause) from None
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
        # Translators: {layer} is code, e.g. Linear(100, 4096); {count} a number of maps of {size} x {size} pixels.
        found = _("{layer}, {count} maps of {size} x {size}").format(layer=found,
                                                                     count=linear.out_features // (size * size),
                                                                     size=size)
    # Translators: {what} is the student's model as built; {latent_dim}, {maps} and {size} numbers;
    # {found} the layer found, as code.
    raise GradingFailure(_("{what}.l1: expected Linear({latent_dim}, {maps}), which makes the 128 maps of "
                           "{size} x {size} (img_size // 4) that conv_blocks starts from, found {found}: keep "
                           "the given __init__ (Linear(latent_dim, 128 * self.init_size ** 2))").format(
                               what=what, latent_dim=latent_dim, maps=maps, size=size, found=found),
                         key=mistakes.key_of("l1-wrong-size"))


@check
def check_generator(Generator) -> None:
    """forward: l1, reshape (B, 128*s*s) -> (B, 128, s, s) with s = init_size, conv_blocks."""
    require_student_code(Generator, "Generator")
    for latent_dim, img_size, channels in ((100, 32, 1), (12, 16, 3)):  # 16 catches a fixed 8
        what = f"Generator(latent_dim={latent_dim}, img_size={img_size}, channels={channels})"
        torch.manual_seed(0)
        model = call_student(what, Generator, latent_dim=latent_dim, img_size=img_size, channels=channels)
        expect(isinstance(model, nn.Module), what, _("an nn.Module"), type(model).__name__)
        model.eval()  # BatchNorm on its running statistics: the output depends on nothing else
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        expect(len(linears) == 1, _("{what} Linear layers").format(what=what), _("one (from the given __init__)"),
               len(linears), mistake="changed-init")
        blocks = _conv_stack(model, what)
        size = img_size // 4
        _first_block(what, linears[0], latent_dim, size)
        z = torch.randn(2, latent_dim)
        expected_shape = (2, channels, img_size, img_size)
        # Translators: {shape} and {images} are tensor shapes; {size} a number.
        task = _("l1's output, shape {shape}, read as 128 maps of {size} x {size} "
                 "(a view to (z.shape[0], 128, self.init_size, self.init_size)), then "
                 "self.conv_blocks, giving images of shape {images}").format(shape=(2, 128 * size ** 2), size=size,
                                                                            images=expected_shape)
        fixed_size = None  # the first size ran, so an error at the second is a size written in
        if img_size != 32:
            # Translators: {task} is the sentence above: what forward is expected to do.
            task = _("{task}; with img_size=16 a fixed 8 breaks: reshape with self.init_size (img_size // 4)").format(
                task=task)
            fixed_size = "fixed-init-size"
        with torch.no_grad():
            out, blocks_in, blocks_out = _forward_recording(model, blocks, z, what, task, fixed_size)
            if not isinstance(out, torch.Tensor) or tuple(out.shape) != expected_shape:
                found = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                mistake = None
                if found == (2, 128, size, size):
                    # Translators: {shape} is the tensor shape the student's forward returned.
                    found = _("{shape}: return the image that self.conv_blocks makes from the reshaped map").format(
                        shape=found)
                    mistake = "conv-blocks-not-applied"
                fail(_("{what} output shape").format(what=what), expected_shape, found, mistake=mistake)
            feature_map = call_student(f"{what}.l1", linears[0], z).view(2, 128, size, size)  # (2, 128*s*s) -> (2, 128, s, s)
            if blocks_in is not None and blocks_out is not None:  # conv_blocks called once: compare its input
                same_input = tuple(blocks_in.shape) == tuple(feature_map.shape)
                difference = max_difference(blocks_in, feature_map) if same_input else math.inf
                difference = max(difference, max_difference(out, blocks_out))
            else:  # conv_blocks' layers called one by one: recompute the whole image
                difference = max_difference(out, call_student(f"{what}.conv_blocks", blocks, feature_map))
        if difference > TOLERANCE:
            fail(_("{what} output").format(what=what), _("self.conv_blocks applied to the output of self.l1 with each "
                 "row of 128*init_size**2 numbers read, in order, as 128 maps of init_size x init_size"),
                 _("different images; a permute or a channels-last view puts the numbers in the wrong places"),
                 mistake="maps-in-wrong-order")


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
        note("answered-momentum")
        reasons.append(_("bn_second_argument: expected 'eps', found 'momentum': positional arguments fill "
                         "the signature BatchNorm2d(num_features, eps=1e-05, momentum=0.1, ...) in order"))
    else:
        # Translators: {found} is the student's answer, as Python writes it.
        reasons.append(_("bn_second_argument: expected the name of a BatchNorm2d parameter as a string, "
                         "found {found}").format(found=repr(bn_second_argument)))

    momentum = _number(bn_momentum)
    if momentum is not None and abs(momentum - 0.1) < 1e-9:
        points += 1
    elif momentum is not None and abs(momentum - 0.8) < 1e-9:
        note("answered-momentum-0-8")
        reasons.append(_("bn_momentum: expected the momentum these layers really use, found 0.8: the 0.8 went "
                         "to eps, so momentum keeps its default"))
    elif momentum is not None and min(abs(momentum - 0.9), abs(momentum - 0.99)) < 1e-9:
        note("keras-momentum")
        # Translators: {found} is the student's answer, a number.
        reasons.append(_("bn_momentum: expected PyTorch's value, found {found}: that is the Keras convention, "
                         "where momentum weights the old running value; PyTorch's weights the new batch "
                         "statistic").format(found=momentum))
    else:
        # Translators: {found} is the student's answer, as Python writes it.
        reasons.append(_("bn_momentum: expected the momentum of nn.BatchNorm2d(128, 0.8) as a number, "
                         "found {found}").format(found=repr(bn_momentum)))
    if reasons:
        # Translators: the partial-credit line of a check; {reasons} lists why points were withheld.
        print(_("BatchNorm2d reading: {reasons}").format(reasons=clauses(reasons)))
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
        fail(_("training_step's return value"), _("the four losses (g_loss, real_loss, fake_loss, d_loss)"),
             type(result).__name__ if not isinstance(result, (tuple, list))
             # Translators: {count} is a number of values.
             else _("{count} values").format(count=len(result)))
    values = []
    for name, value in zip(("g_loss", "real_loss", "fake_loss", "d_loss"), result):
        if isinstance(value, Tensor) and value.numel() == 1:
            values.append(float(value.detach()))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            values.append(float(value))
        else:
            # Translators: {name} is one of the returned losses, as code, e.g. g_loss.
            fail(_("training_step's {name}").format(name=name), _("a one-number loss (a tensor or a float)"),
                 type(value).__name__)
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
        raise GradingFailure(_("training_step: fake_loss ran backward through G's graph a second time (g_loss "
                               "already used it): pass gen_imgs.detach() to D for fake_loss"),
                             key=mistakes.key_of("no-detach"), cause=failure.cause) from None
    found = _returned_losses(result)

    def close(a, b):
        return abs(a - b) <= 1e-5 * max(1.0, abs(b))

    reasons, points = [], 0.0
    if close(found[0], g_loss) and weights_match(generator, g_after):
        points += 2
    elif close(found[0], g_loss_d_first) and weights_match(generator, g_after_d_first):
        note("g-after-d")
        reasons.append(_("G was updated after D: the notes train G first, against the D of the previous step"))
    elif not close(found[0], g_loss):
        if close(found[0], g_saturating):
            note("g-labelled-fake")
            reasons.append(_("g_loss: expected BCE(D(G(z)), valid) = {expected:.4f}, found {found:.4f} (G's images "
                             "must be labelled valid, ones)").format(expected=g_loss, found=found[0]))
        else:
            reasons.append(_("g_loss: expected BCE(D(G(z)), valid) = {expected:.4f}, found {found:.4f}").format(
                expected=g_loss, found=found[0]))
    elif weights_match(generator, [w - STEP_LR * STALE for w in g_after]):
        note("g-stale-gradients")
        reasons.append(_("G's update used gradients left over from the previous step: call "
                         "optimizer_G.zero_grad() before g_loss.backward()"))
    else:
        note("g-not-one-step")
        reasons.append(_("G's weights did not take one step of optimizer_G on g_loss's gradients"))

    matched = [when for when, (r, f, _d, _after) in d_expected.items()
               if close(found[1], r) and close(found[2], f)]
    if not matched:
        r, f = d_expected["before"][:2]
        reasons.append(_("real_loss, fake_loss: expected BCE(D(real), valid) = {real:.4f} and "
                         "BCE(D(G(z).detach()), fake) = {fake:.4f}, found {found_real:.4f} and "
                         "{found_fake:.4f}").format(real=r, fake=f, found_real=found[1], found_fake=found[2]))
    else:
        r, f, d, d_after = d_expected[matched[0]]
        if close(found[3], r + f):
            note("d-loss-sum-not-mean")
            reasons.append(_("d_loss: expected the mean (real_loss + fake_loss) / 2 = {expected:.4f}, found the "
                             "sum {found:.4f}").format(expected=d, found=found[3]))
        elif not close(found[3], d):
            reasons.append(_("d_loss: expected (real_loss + fake_loss) / 2 = {expected:.4f}, found "
                             "{found:.4f}").format(expected=d, found=found[3]))
        elif not weights_match(discriminator, d_after):
            note("d-not-one-step")
            reasons.append(_("D's weights did not take one clean step of optimizer_D on d_loss's gradients "
                             "(call optimizer_D.zero_grad() first: G's step left gradients in D)"))
        elif any(p.grad is not None and not torch.allclose(p.grad, g, atol=1e-5)
                 for p, g in zip(generator.parameters(), g_grads)) and points == 2:
            note("no-detach")
            reasons.append(_("D's loss sent gradients into G: pass gen_imgs.detach() to D for fake_loss"))
        else:
            points += 2
    if reasons:
        # Translators: the partial-credit line of a check; {reasons} lists why points were withheld.
        print(_("training_step: {reasons}").format(reasons=clauses(reasons)))
    return points


__all__ = ["GradingFailure", "check_batchnorm_reading", "check_discriminator_block", "check_generator",
           "check_training_step",
           "check_weights_init_normal"]
