"""Hidden-test checks for the MLP GAN lab (the handout's TODOs).

Each check takes the student's object, runs it on small seeded inputs on the CPU, and compares
behaviour with the handout's specification computed from the student's own weights, so any
correct way of writing it passes (nn.Sequential or not, functional or module activations).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gan_lab.grading.core import (GradingFailure, build, call_student, check, describe_linears, expect,
                                  fail, linear_layers, linears_with_widths, max_difference,
                                  require_student_code)

TOLERANCE = 1e-5


def _generator_reference(layers, z):
    h = F.relu(layers[0](z))
    h = F.relu(layers[1](h))
    return torch.tanh(layers[2](h))


def _discriminator_reference(layers, x, slope=0.1, sigmoid=True):
    h = F.leaky_relu(layers[0](x), slope)
    h = F.leaky_relu(layers[1](h), slope)
    out = layers[2](h)
    return torch.sigmoid(out) if sigmoid else out


@check
def check_generator(Generator) -> None:
    """Generator(input_dim, hidden_dim, output_dim): Linear, ReLU, Linear, ReLU, Linear, Tanh."""
    require_student_code(Generator, "Generator")
    for dims in ((100, 256, 784), (7, 12, 5)):  # a second size catches hard-coded widths
        torch.manual_seed(0)
        model = build(f"Generator{dims}", Generator, *dims)
        latent, hidden, output = dims
        layers = linears_with_widths(model, f"Generator{dims}",
                                [(latent, hidden), (hidden, hidden), (hidden, output)])
        z = torch.randn(16, latent)
        with torch.no_grad():
            out = call_student(f"Generator{dims}.forward", model, z)
            expect(isinstance(out, torch.Tensor) and out.shape == (16, output),
                   f"Generator{dims} output shape", (16, output), getattr(out, "shape", type(out).__name__))
            if out.min() < -1 or out.max() > 1:
                fail(f"Generator{dims} output range", "values in [-1, 1] (Tanh)",
                     f"values from {out.min().item():.3f} to {out.max().item():.3f}")
            difference = max_difference(out, _generator_reference(layers, z))
        if difference > TOLERANCE:
            fail(f"Generator{dims}", "Linear -> ReLU -> Linear -> ReLU -> Linear -> Tanh in that order",
                 f"different outputs (max difference {difference:.3g}); check the activations")


@check
def check_discriminator(Discriminator) -> None:
    """Discriminator(input_dim, hidden_dim): Linear, LeakyReLU(0.1) x2, Linear(hidden, 1), Sigmoid."""
    require_student_code(Discriminator, "Discriminator")
    for dims in ((784, 256), (9, 6)):
        torch.manual_seed(0)
        model = build(f"Discriminator{dims}", Discriminator, *dims)
        size, hidden = dims
        layers = linears_with_widths(model, f"Discriminator{dims}", [(size, hidden), (hidden, hidden), (hidden, 1)])
        x = torch.randn(32, size) * 3  # wide inputs so negative slopes matter
        with torch.no_grad():
            out = call_student(f"Discriminator{dims}.forward", model, x)
            expect(isinstance(out, torch.Tensor) and out.shape == (32, 1),
                   f"Discriminator{dims} output shape", (32, 1), getattr(out, "shape", type(out).__name__))
            if max_difference(out, _discriminator_reference(layers, x)) <= TOLERANCE:
                continue
            if out.min() < 0 or out.max() > 1:
                fail(f"Discriminator{dims} output", "probabilities in [0, 1] (a final Sigmoid)",
                     f"values from {out.min().item():.3f} to {out.max().item():.3f}: is the Sigmoid missing?")
            for slope in (0.01, 0.2, 0.0):
                if max_difference(out, _discriminator_reference(layers, x, slope)) <= TOLERANCE:
                    name = "ReLU" if slope == 0 else f"LeakyReLU({slope})"
                    fail(f"Discriminator{dims} activations", "LeakyReLU with negative_slope=0.1", name)
            fail(f"Discriminator{dims}", "Linear -> LeakyReLU(0.1) -> Linear -> LeakyReLU(0.1) -> Linear -> Sigmoid",
                 "different outputs; check the order of the layers and the activations")


class _TinyGenerator(nn.Module):
    def __init__(self, latent_dim: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent_dim, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class _TinyDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 1), nn.Sigmoid())

    def forward(self, x):
        return self.net(x.reshape(len(x), -1))  # (B, 1, 28, 28) or (B, 784) -> (B, 784)


def _pair(latent_dim: int):
    torch.manual_seed(1)
    generator, discriminator = _TinyGenerator(latent_dim), _TinyDiscriminator()
    return generator, discriminator


def _snapshot(model):
    return [p.detach().clone() for p in model.parameters()]


def _unchanged(before, model) -> bool:
    return all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def _loss_reason(name: str, found: float, expected: float, formula: str, mistake: float,
                 hint: str) -> str | None:
    """None when ``found`` is the expected loss; else why not, naming a known mistake."""
    def close(a, b):
        return abs(a - b) <= 1e-4 * max(1.0, abs(b))

    if close(found, expected):
        return None
    if close(found, mistake):
        return f"{name}: expected {expected:.4f}, found {found:.4f}: {hint}"
    return f"{name}: expected {formula} = {expected:.4f}, found {found:.4f}"


def _as_float(value, what: str) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    if isinstance(value, float):
        return value
    fail(f"{what} return value", "the loss as a number (loss.item())", type(value).__name__)


@check
def check_train_discriminator(train_discriminator) -> float:
    """3 points: the loss value BCE(D(x), 1) + BCE(D(G(z)), 0) (2), G left alone via detach (1)."""
    require_student_code(train_discriminator, "train_discriminator")
    batch, latent = 8, 5
    generator, discriminator = _pair(latent)
    real = torch.rand(batch, 1, 28, 28) * 2 - 1
    with torch.no_grad():  # the expected loss, from the same noise the student will draw
        torch.manual_seed(7)
        z = torch.randn(batch, latent)
        expected = (F.binary_cross_entropy(discriminator(real), torch.ones(batch, 1))
                    + F.binary_cross_entropy(discriminator(generator(z)), torch.zeros(batch, 1))).item()
        swapped = (F.binary_cross_entropy(discriminator(real), torch.zeros(batch, 1))
                   + F.binary_cross_entropy(discriminator(generator(z)), torch.ones(batch, 1))).item()
    g_before, d_before = _snapshot(generator), _snapshot(discriminator)
    optimizer = torch.optim.SGD(discriminator.parameters(), lr=0.1)
    torch.manual_seed(7)
    value = call_student("train_discriminator", train_discriminator, real, discriminator, generator,
                         nn.BCELoss(), optimizer, batch, latent, "cpu")
    found = _as_float(value, "train_discriminator")
    reason = _loss_reason("loss_D", found, expected, "real_loss + fake_loss", swapped,
                          "the labels are swapped (real images are labelled 1, fakes 0)")
    points, reasons = (2.0, []) if reason is None else (0.0, [reason])
    if _unchanged(d_before, discriminator):
        reasons.append("D's weights did not change: call optim_D.step() after backward()")
        points = 0.0
    grads = [p.grad for p in generator.parameters() if p.grad is not None and p.grad.abs().sum() > 0]
    if grads or not _unchanged(g_before, generator):
        reasons.append("G received gradients from D's loss: detach the fake images (G(noise).detach())")
    else:
        points += 1
    if reasons:
        print("train_discriminator: " + "; ".join(reasons))
    return points


@check
def check_train_generator(train_generator) -> float:
    """2 points: the loss value BCE(D(G(z)), 1) (1), G updated and D left unchanged (1)."""
    require_student_code(train_generator, "train_generator")
    batch, latent = 8, 5
    generator, discriminator = _pair(latent)
    with torch.no_grad():
        torch.manual_seed(11)
        z = torch.randn(batch, latent)
        probs = discriminator(generator(z))
        expected = F.binary_cross_entropy(probs, torch.ones(batch, 1)).item()
        saturating = F.binary_cross_entropy(probs, torch.zeros(batch, 1)).item()
    g_before, d_before = _snapshot(generator), _snapshot(discriminator)
    optimizer = torch.optim.SGD(generator.parameters(), lr=0.1)
    torch.manual_seed(11)
    value = call_student("train_generator", train_generator, discriminator, generator, nn.BCELoss(),
                         optimizer, batch, latent, "cpu")
    found = _as_float(value, "train_generator")
    reason = _loss_reason("loss_G", found, expected, "BCE(D(G(z)), ones)", saturating,
                          "G's fakes must be labelled real (ones), not fake")
    points, reasons = (1.0, []) if reason is None else (0.0, [reason])
    if _unchanged(g_before, generator):
        reasons.append("G's weights did not change: call optim_G.step() after backward()")
    elif not _unchanged(d_before, discriminator):
        reasons.append("D's weights changed during the generator step")
    else:
        points += 1
    if reasons:
        print("train_generator: " + "; ".join(reasons))
    return points


@check
def check_build_models(build_models, Generator, Discriminator) -> None:
    """build_models(input_dim, hidden_dim, output_dim, device) -> G, D, optim_G, optim_D (Adam 2e-4)."""
    require_student_code(build_models, "build_models")
    torch.manual_seed(0)
    result = call_student("build_models", build_models, 6, 10, 784, torch.device("cpu"))
    if not isinstance(result, tuple) or len(result) != 4:
        fail("build_models return value", "a tuple (G, D, optim_G, optim_D)", repr(type(result).__name__))
    generator, discriminator, optim_g, optim_d = result
    expect(type(generator) is Generator, "G", "an instance of your Generator", type(generator).__name__)
    expect(type(discriminator) is Discriminator, "D", "an instance of your Discriminator", type(discriminator).__name__)
    expect([(m.in_features, m.out_features) for m in linear_layers(generator)][0] == (6, 10),
           "G's first layer", "input_dim -> hidden_dim (6->10 here)", describe_linears(linear_layers(generator)))
    expect(linear_layers(discriminator)[0].in_features == 784,
           "D's first layer", "output_dim inputs (784)", describe_linears(linear_layers(discriminator)))
    for name, optimizer, model in (("optim_G", optim_g, generator), ("optim_D", optim_d, discriminator)):
        expect(isinstance(optimizer, torch.optim.Adam), name, "torch.optim.Adam", type(optimizer).__name__)
        lr = optimizer.param_groups[0]["lr"]
        expect(abs(lr - 2e-4) < 1e-12, f"{name} learning rate", 0.0002, lr)
        owned = {id(p) for group in optimizer.param_groups for p in group["params"]}
        if owned != {id(p) for p in model.parameters()}:
            other = "D" if model is generator else "G"
            fail(name, f"an optimizer over {'G' if model is generator else 'D'}'s parameters",
                 f"one over other parameters (swapped with {other}'s?)")
    for name, model in (("G", generator), ("D", discriminator)):
        devices = {p.device.type for p in model.parameters()}
        expect(devices == {"cpu"}, f"{name}'s device", "the device passed in (cpu here)", devices)


__all__ = ["GradingFailure", "check_build_models", "check_discriminator", "check_generator",
           "check_train_discriminator", "check_train_generator"]
