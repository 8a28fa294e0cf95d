"""Tests for gan_lab.models: shapes, output ranges, gradients, parameter counts, init, errors."""
from __future__ import annotations

import dataclasses
from typing import Callable, Optional

import pytest
import torch
from torch import nn

from gan_lab.models import (
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    ToyDiscriminator,
    ToyGenerator,
    build_dc_classifier,
    build_dc_generator,
    decorate_with_diffs,
    discriminator_block,
    discriminator_input_size,
    minibatch_features,
    vanilla_discriminator,
    vanilla_generator,
    weights_init_normal,
)

BATCH = 4


@dataclasses.dataclass(frozen=True)
class Case:
    """A model, an input shape it accepts, the output shape it promises, and its range."""

    build: Callable[[], nn.Module]
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    output_range: Optional[tuple[float, float]]  # None for logits and unbounded outputs


TANH, SIGMOID = (-1.0, 1.0), (0.0, 1.0)
CASES = {
    "mlp_generator": Case(MLPGenerator, (BATCH, 100), (BATCH, 784), TANH),
    "mlp_discriminator_flat": Case(MLPDiscriminator, (BATCH, 784), (BATCH, 1), SIGMOID),
    "mlp_discriminator_image": Case(MLPDiscriminator, (BATCH, 1, 28, 28), (BATCH, 1), SIGMOID),
    "vanilla_generator": Case(vanilla_generator, (BATCH, 96), (BATCH, 784), TANH),
    "vanilla_discriminator": Case(vanilla_discriminator, (BATCH, 784), (BATCH, 1), None),
    "dcgan_generator": Case(DCGANGenerator, (BATCH, 100), (BATCH, 1, 32, 32), TANH),
    "dcgan_discriminator": Case(DCGANDiscriminator, (BATCH, 1, 32, 32), (BATCH, 1), SIGMOID),
    "dc_generator": Case(build_dc_generator, (BATCH, 96), (BATCH, 784), TANH),
    "dc_classifier": Case(build_dc_classifier, (BATCH, 784), (BATCH, 1), None),
    "toy_generator": Case(ToyGenerator, (BATCH, 1), (BATCH, 1), None),
    "toy_discriminator": Case(ToyDiscriminator, (1, 200), (1, 1), SIGMOID),
}


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _biases_cancelled_by_batchnorm(model: nn.Module) -> set[int]:
    """ids of biases whose layer feeds straight into a BatchNorm.

    In training mode BatchNorm subtracts the per-channel batch mean, which removes any
    per-channel constant added just before it, so such a bias gets a zero gradient.
    """
    cancelled = set()
    for seq in model.modules():
        if not isinstance(seq, nn.Sequential):
            continue
        layers = list(seq)
        for layer, following in zip(layers, layers[1:]):
            bias = getattr(layer, "bias", None)
            if isinstance(following, (nn.BatchNorm1d, nn.BatchNorm2d)) and bias is not None:
                cancelled.add(id(bias))
    return cancelled


# --- shapes and ranges -------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_output_shape_and_range(name, device):
    """Does each model map its documented input shape to its documented output shape and range?"""
    case = CASES[name]
    torch.manual_seed(0)
    model = case.build().to(device)
    x = torch.randn(case.input_shape).to(device)
    out = model(x)
    assert out.shape == case.output_shape
    assert out.device.type == device.type
    assert torch.isfinite(out).all()
    if case.output_range is not None:
        low, high = case.output_range
        assert out.min().item() >= low and out.max().item() <= high


def test_mlp_discriminator_reads_flat_and_image_inputs_alike():
    """Does MLPDiscriminator give the same answer for a (B, 784) batch and its (B, 1, 28, 28) view?"""
    torch.manual_seed(0)
    discriminator = MLPDiscriminator()
    images = torch.randn(BATCH, 1, 28, 28)
    torch.testing.assert_close(discriminator(images), discriminator(images.view(BATCH, 784)))


@pytest.mark.parametrize("img_size", [16, 48])
def test_dcgan_pair_works_at_other_image_sizes(img_size):
    """Does a DCGAN discriminator score its generator's images at other multiples of 16?"""
    torch.manual_seed(0)
    generator = DCGANGenerator(latent_dim=8, img_size=img_size, channels=3)
    discriminator = DCGANDiscriminator(img_size=img_size, channels=3)
    images = generator(torch.randn(2, 8))
    assert images.shape == (2, 3, img_size, img_size)
    assert discriminator(images).shape == (2, 1)


def test_mlp_sizes_come_from_constructor_arguments():
    """Do the MLP models take every layer size from their arguments?"""
    generator = MLPGenerator(latent_dim=3, hidden_dim=5, output_dim=7)
    discriminator = MLPDiscriminator(input_dim=7, hidden_dim=5)
    assert discriminator(generator(torch.randn(2, 3))).shape == (2, 1)
    assert generator.model[0].in_features == 3 and generator.model[-2].out_features == 7


# --- gradients ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_every_parameter_gets_a_gradient(name):
    """Does backpropagating from the output reach every parameter (save biases BatchNorm cancels)?"""
    case = CASES[name]
    torch.manual_seed(0)
    # float64: a cancelled bias's gradient is zero only up to rounding, and this keeps the
    # rounding far below any real gradient.
    model = case.build().train().double()
    model(torch.randn(case.input_shape, dtype=torch.float64)).sum().backward()
    cancelled = _biases_cancelled_by_batchnorm(model)
    for param_name, param in model.named_parameters():
        assert param.grad is not None, f"{param_name} got no gradient"
        if id(param) in cancelled:
            assert param.grad.abs().max().item() < 1e-10, f"{param_name} should be inert"
        else:
            assert param.grad.abs().max().item() > 0, f"{param_name} got an all-zero gradient"


def test_only_the_dcgan_generator_has_biases_batchnorm_cancels():
    """Are the DCGAN generator's two pre-BatchNorm conv biases the only cancelled ones in the lab?"""
    assert len(_biases_cancelled_by_batchnorm(DCGANGenerator())) == 2
    for name in ("dcgan_discriminator", "dc_generator", "dc_classifier"):
        assert not _biases_cancelled_by_batchnorm(CASES[name].build())


# --- parameter counts --------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, expected",
    [
        (vanilla_discriminator, 267_009),
        (lambda: vanilla_generator(latent_dim=4), 1_858_320),
        (build_dc_classifier, 1_102_721),
        (lambda: build_dc_generator(latent_dim=4), 6_580_801),
    ],
    ids=["vanilla_discriminator", "vanilla_generator", "dc_classifier", "dc_generator"],
)
def test_cs231n_parameter_counts(build, expected):
    """Does each CS231n model have exactly the parameter count its handout checks for?"""
    assert _count(build()) == expected


# --- DCGAN initialisation and BatchNorm settings -----------------------------------------


def _weights(model: nn.Module, kinds: tuple[type, ...], attr: str = "weight") -> torch.Tensor:
    return torch.cat([getattr(m, attr).detach().flatten() for m in model.modules() if isinstance(m, kinds)])


@pytest.mark.parametrize("build", [DCGANGenerator, DCGANDiscriminator], ids=["generator", "discriminator"])
def test_dcgan_init_statistics(build):
    """Are DCGAN conv/linear weights ~ N(0, 0.02), BatchNorm scales ~ N(1, 0.02), biases 0?"""
    torch.manual_seed(0)
    model = build()
    conv = _weights(model, (nn.Conv2d,))
    assert conv.std().item() == pytest.approx(0.02, abs=0.002)
    assert abs(conv.mean().item()) < 0.002
    bn = _weights(model, (nn.BatchNorm2d,))
    assert bn.mean().item() == pytest.approx(1.0, abs=0.01)
    assert bn.std().item() == pytest.approx(0.02, abs=0.01)
    assert not _weights(model, (nn.BatchNorm2d,), "bias").any()
    assert not _weights(model, (nn.Conv2d, nn.Linear), "bias").any()


def test_dcgan_init_can_be_turned_off():
    """Does init_weights=False leave PyTorch's default init (BatchNorm scales exactly 1)?"""
    generator = DCGANGenerator(init_weights=False)
    assert torch.equal(_weights(generator, (nn.BatchNorm2d,)), torch.ones(128 + 128 + 64))


def test_weights_init_normal_uses_isinstance():
    """Does weights_init_normal reach subclasses and other layer kinds, and skip affine-free BatchNorm?"""

    class Widened(nn.Conv2d):  # a class-name search for "Conv" would miss this conv
        pass

    torch.manual_seed(0)
    model = nn.Sequential(
        Widened(64, 64, 3),
        nn.ConvTranspose2d(64, 64, 3),
        nn.BatchNorm1d(500),
        nn.BatchNorm2d(8, affine=False),
    )
    model.apply(weights_init_normal)
    assert model[0].weight.std().item() == pytest.approx(0.02, abs=0.002)
    assert model[1].weight.std().item() == pytest.approx(0.02, abs=0.002)
    assert not model[1].bias.any()
    assert model[2].weight.mean().item() == pytest.approx(1.0, abs=0.01)


def test_dcgan_batchnorm_eps_is_the_positional_point_eight():
    """Does BatchNorm2d(c, 0.8) set eps to 0.8 and leave momentum at its 0.1 default?"""
    generator_bns = [m for m in DCGANGenerator().modules() if isinstance(m, nn.BatchNorm2d)]
    discriminator_bns = [m for m in DCGANDiscriminator().modules() if isinstance(m, nn.BatchNorm2d)]
    assert generator_bns[0].eps == 1e-5  # the reference's first BatchNorm has no 0.8
    for bn in generator_bns[1:] + discriminator_bns:
        assert bn.eps == 0.8
        assert bn.momentum == 0.1
    assert len(discriminator_bns) == 3  # the first discriminator block has none


def test_discriminator_block_layout():
    """Is a discriminator block conv, LeakyReLU, Dropout2d, then BatchNorm only when asked?"""
    with_bn = discriminator_block(16, 32)
    without_bn = discriminator_block(1, 16, batch_norm=False)
    assert [type(m) for m in with_bn] == [nn.Conv2d, nn.LeakyReLU, nn.Dropout2d, nn.BatchNorm2d]
    assert [type(m) for m in without_bn] == [nn.Conv2d, nn.LeakyReLU, nn.Dropout2d]
    assert with_bn[0].stride == (2, 2) and with_bn[1].negative_slope == 0.2


# --- the 1-D toy -------------------------------------------------------------------------


def test_decorate_with_diffs_matches_hand_computation():
    """Does decorate_with_diffs append squared deviations from the row mean?"""
    data = torch.tensor([[1.0, 2.0, 6.0]])  # mean 3
    expected = torch.tensor([[1.0, 2.0, 6.0, 4.0, 1.0, 9.0]])
    torch.testing.assert_close(decorate_with_diffs(data), expected)


def test_decorate_with_diffs_keeps_sign_for_odd_exponents():
    """Does an exponent of 3 keep the sign of each deviation?"""
    data = torch.tensor([[1.0, 2.0, 3.0]])
    torch.testing.assert_close(decorate_with_diffs(data, exponent=3.0)[:, 3:], torch.tensor([[-1.0, 0.0, 1.0]]))


def test_minibatch_features_turns_a_batch_into_one_row():
    """Does minibatch_features turn (n, 1) samples into a (1, 2n) or (1, n) row?"""
    samples = torch.tensor([[1.0], [2.0], [6.0]])
    torch.testing.assert_close(minibatch_features(samples), torch.tensor([[1.0, 2.0, 6.0, 4.0, 1.0, 9.0]]))
    torch.testing.assert_close(minibatch_features(samples, decorate=False), torch.tensor([[1.0, 2.0, 6.0]]))


@pytest.mark.parametrize("decorate", [True, False])
def test_toy_pair_fits_together(decorate):
    """Does a ToyDiscriminator sized by discriminator_input_size score a generated minibatch?"""
    batch_size = 10
    generator = ToyGenerator()
    discriminator = ToyDiscriminator(input_size=discriminator_input_size(batch_size, decorate))
    samples = generator(torch.rand(batch_size, 1))  # (10, 1)
    assert discriminator(minibatch_features(samples, decorate=decorate)).shape == (1, 1)
    assert discriminator_input_size(batch_size, decorate) == (20 if decorate else 10)


def test_toy_default_sizes_match_a_decorated_batch_of_100():
    """Is ToyDiscriminator's default input size that of a decorated minibatch of 100?"""
    assert ToyDiscriminator().input_size == discriminator_input_size(100, decorate=True)


def test_toy_generator_nonlinearity_order():
    """Does ToyGenerator use ELU after its first layer and Sigmoid after its second, as the original?"""
    layers = [type(m) for m in ToyGenerator().model]
    assert layers == [nn.Linear, nn.ELU, nn.Linear, nn.Sigmoid, nn.Linear]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: decorate_with_diffs(torch.zeros(5)), r"expected a \(1, n\) row.*got shape \(5,\)"),
        (lambda: minibatch_features(torch.zeros(1, 5)), r"expected \(n, 1\) samples.*got shape \(1, 5\)"),
    ],
    ids=["decorate_1d", "features_row"],
)
def test_toy_helpers_reject_wrong_shapes(call, match):
    """Do the toy helpers say which shape they expected when given another?"""
    with pytest.raises(ValueError, match=match):
        call()


# --- constructor and input errors --------------------------------------------------------


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: MLPGenerator(latent_dim=0), r"latent_dim must be a positive integer \(>= 1\), got 0"),
        (lambda: MLPGenerator(output_dim=-2), r"output_dim .* got -2"),
        (lambda: MLPDiscriminator(hidden_dim=0), r"hidden_dim .* got 0"),
        (lambda: vanilla_generator(latent_dim=0), r"latent_dim .* got 0"),
        (lambda: build_dc_generator(latent_dim=-1), r"latent_dim .* got -1"),
        (lambda: DCGANGenerator(latent_dim=0), r"latent_dim .* got 0"),
        (lambda: DCGANGenerator(channels=0), r"channels .* got 0"),
        (lambda: DCGANGenerator(img_size=28), r"img_size must be a multiple of 16.*got 28"),
        (lambda: DCGANDiscriminator(img_size=40), r"multiple of 16.*got 40"),
        (lambda: DCGANDiscriminator(img_size=0), r"img_size .* got 0"),
        (lambda: ToyGenerator(hidden_size=0), r"hidden_size .* got 0"),
        (lambda: ToyDiscriminator(input_size=0), r"input_size .* got 0"),
        (lambda: discriminator_input_size(0, decorate=True), r"batch_size .* got 0"),
    ],
)
def test_constructors_reject_sizes_below_one(call, match):
    """Does each constructor refuse a size that cannot build a layer, naming the argument and value?"""
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("bad", [2.5, True, "64"], ids=["float", "bool", "str"])
def test_constructors_reject_non_integer_sizes(bad):
    """Does a non-integer size raise a TypeError naming the argument?"""
    with pytest.raises(TypeError, match="latent_dim must be an integer size"):
        MLPGenerator(latent_dim=bad)


def test_mlp_discriminator_rejects_wrong_image_size():
    """Does MLPDiscriminator say how many values it expected when given 32x32 images?"""
    with pytest.raises(ValueError, match="expected 784 values per sample, got 1024"):
        MLPDiscriminator()(torch.zeros(2, 1, 32, 32))
