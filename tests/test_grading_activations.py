"""Tests for gan_lab.grading.activations: naming the activation between Linear layers."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_lab.grading import GradingFailure, mistakes, mlp_gan
from gan_lab.grading.activations import (ELU, IDENTITY, RELU, SIGMOID, TANH, Activation, explain, identify,
                                         leaky_relu, place, trace_linears)
from student_code import notebook

CANDIDATES = [
    (IDENTITY, "no activation"),
    (RELU, "ReLU"),
    (leaky_relu(0.01), "LeakyReLU(0.01)"),
    (leaky_relu(0.1), "LeakyReLU(0.1)"),
    (leaky_relu(0.2), "LeakyReLU(0.2)"),
    (leaky_relu(0.37), "LeakyReLU(0.37)"),
    (ELU, "ELU"),
    (Activation("ELU", 0.5), "ELU(alpha=0.5)"),
    (SIGMOID, "Sigmoid"),
    (TANH, "Tanh"),
    (Activation("SELU"), "SELU"),
    (Activation("GELU"), "GELU"),
    (Activation("SiLU"), "SiLU"),
    (Activation("Softplus"), "Softplus"),
    (Activation("Hardtanh"), "Hardtanh"),
    (Activation("ReLU6"), "ReLU6"),
    (Activation("Softsign"), "Softsign"),
    (Activation("LogSigmoid"), "LogSigmoid"),
    (Activation("Tanh", first=SIGMOID), "Sigmoid, then Tanh"),
    (Activation("Sigmoid", first=SIGMOID), "Sigmoid, then Sigmoid"),
    (Activation("Sigmoid", first=leaky_relu(0.2)), "LeakyReLU(0.2), then Sigmoid"),
]


def _pre() -> torch.Tensor:
    """Pre-activations as a Linear layer makes them: both signs, a few wide values."""
    return torch.randn(32, 16, generator=torch.Generator().manual_seed(0)) * 3


@pytest.mark.parametrize("activation, name", CANDIDATES, ids=[name for _, name in CANDIDATES])
def test_every_candidate_is_named_from_its_numbers(activation, name):
    """Is each candidate found from float32 numbers alone, its slope or alpha fitted, and named?"""
    pre = _pre()
    post = activation(pre.double()).float()  # what float32 student code computes
    found = identify(pre, post)
    assert found is not None and found.matches(activation), found
    assert str(found) == name


@pytest.mark.parametrize("module, name", [
    (nn.ReLU(), "ReLU"), (nn.LeakyReLU(), "LeakyReLU(0.01)"), (nn.LeakyReLU(0.2, inplace=True), "LeakyReLU(0.2)"),
    (nn.ELU(), "ELU"), (nn.Sigmoid(), "Sigmoid"), (nn.Tanh(), "Tanh"), (nn.Identity(), "no activation"),
    (nn.SELU(), "SELU"), (nn.GELU(), "GELU"), (nn.Softplus(), "Softplus"),
])
def test_torch_modules_are_named_as_torch_names_them(module, name):
    pre = _pre()
    assert str(identify(pre, module(pre.clone()))) == name


def test_a_reshape_is_no_activation_and_a_size_change_is_unknown():
    pre = _pre()
    assert identify(pre, pre.reshape(16, 32)) == IDENTITY
    assert identify(pre, pre[:, :8]) is None


def test_something_else_is_unknown_not_a_guess():
    """Are a scaled output, a dropout-like mask and three functions in a row left unnamed?"""
    pre = _pre()
    assert identify(pre, 2 * torch.tanh(pre)) is None
    assert identify(pre, pre * (pre.abs() > 1)) is None
    assert identify(pre, torch.sigmoid(torch.tanh(torch.relu(pre)))) is None


def test_matching_compares_parameters_to_three_digits():
    assert leaky_relu(0.1).matches(leaky_relu(0.1000004))
    assert not leaky_relu(0.1).matches(leaky_relu(0.2))
    assert not RELU.matches(leaky_relu(0.0001)) and not RELU.matches(None)
    assert not TANH.matches(Activation("Tanh", first=SIGMOID))


@pytest.mark.parametrize("position, text", [
    (0, "before the first Linear layer"), (1, "after the first Linear layer"),
    (2, "after the second Linear layer"), (3, "after the third Linear layer (the output)"),
])
def test_places_are_named_for_a_student(position, text):
    assert place(position, 3) == text


STYLES = {
    "sequential": """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.LeakyReLU(0.01),
                                   nn.Linear(8, 3), nn.Tanh())

    def forward(self, x):
        return self.model(x)
""",
    "attributes": """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(6, 8), nn.Linear(8, 8), nn.Linear(8, 3)
        self.relu, self.leaky, self.tanh = nn.ReLU(inplace=True), nn.LeakyReLU(), nn.Tanh()

    def forward(self, x):
        return self.tanh(self.fc3(self.leaky(self.fc2(self.relu(self.fc1(x))))))
""",
    "functional": """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(6, 8), nn.Linear(8, 8), nn.Linear(8, 3)

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        h = F.leaky_relu(self.fc2(h), 0.01)
        return F.tanh(self.fc3(h))
""",
    "shared-function": """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(6, 8), nn.Linear(8, 8), nn.Linear(8, 3)])
        self.f = lambda h, i: torch.relu(h) if i == 0 else F.leaky_relu(h)

    def forward(self, x):
        for i, layer in enumerate(self.layers[:-1]):
            x = self.f(layer(x), i)
        return torch.tanh(self.layers[-1](x))
""",
}
EXPECTED = (IDENTITY, RELU, RELU, TANH)


@pytest.fixture
def in_a_check():
    """The finder's mistakes are keyed by the check that runs it: here lab 1's generator check."""
    with mistakes.checking(mlp_gan.check_generator) as record:
        yield record


def _traced(source: str):
    torch.manual_seed(0)
    model = notebook(source)["Net"]()
    layers = sorted((m for m in model.modules() if isinstance(m, nn.Linear)), key=lambda m: m.in_features)
    layers = [layers[0], *[m for m in layers if (m.in_features, m.out_features) == (8, 8)],
              *[m for m in layers if m.out_features == 3]]
    return trace_linears("Net", model, layers, torch.randn(10, 6) * 3)


@pytest.mark.parametrize("style", STYLES)
def test_every_style_of_network_gets_the_same_diagnosis(style, in_a_check):
    """Are modules, attributes, functional calls and a shared function all read the same way?"""
    trace = _traced(STYLES[style])
    assert [str(a) for a in trace.activations()] == ["no activation", "ReLU", "LeakyReLU(0.01)", "Tanh"]
    with pytest.raises(GradingFailure) as failure:
        explain("Net", trace, EXPECTED, "the spec", 1.0)
    assert str(failure.value) == "Net: after the second Linear layer: expected ReLU, found LeakyReLU(0.01)"
    assert failure.value.key == "mlp_gan.generator.wrong-activation"


def test_every_wrong_place_is_named_and_a_known_mistake_gets_its_hint(in_a_check):
    """Is every wrong place named, with the hint of a known mistake, and the failure keyed by the hint's slug?"""
    trace = _traced(STYLES["functional"].replace("torch.relu", "torch.sigmoid"))
    hints = [({1: SIGMOID}, "the hint for a Sigmoid first", "output-sigmoid")]
    with pytest.raises(GradingFailure, match=r"^Net: after the first Linear layer: expected ReLU, found Sigmoid; "
                                             r"after the second Linear layer: expected ReLU, found LeakyReLU\(0.01\): "
                                             r"the hint for a Sigmoid first$") as failure:
        explain("Net", trace, EXPECTED, "the spec", 1.0, hints)
    assert failure.value.key == "mlp_gan.generator.output-sigmoid"


def test_right_activations_but_different_outputs_say_so(in_a_check):
    """Does a forward whose activations are all right, yet whose output differs, say so (other-difference)?"""
    trace = _traced(STYLES["sequential"].replace("nn.LeakyReLU(0.01)", "nn.ReLU()"))
    with pytest.raises(GradingFailure, match="although each activation is the expected one") as failure:
        explain("Net", trace, EXPECTED, "the spec", 0.5)
    assert failure.value.key == "mlp_gan.generator.other-difference"


@pytest.mark.parametrize("forward, message, key", [
    ("return torch.tanh(self.fc3(torch.relu(self.fc1(x))))", "the Linear layer 8->8: expected used once in forward, "
                                                             "found it never runs", "mlp_gan.generator.linear-unused"),
    ("return torch.tanh(self.fc3(self.fc2(self.fc2(torch.relu(self.fc1(x))))))", "it runs 2 times",
     "mlp_gan.generator.linear-reused"),
])
def test_a_layer_left_out_or_used_twice_is_named(forward, message, key, in_a_check):
    source = STYLES["functional"].replace(
        "h = torch.relu(self.fc1(x))\n        h = F.leaky_relu(self.fc2(h), 0.01)\n        return F.tanh(self.fc3(h))",
        forward)
    assert source != STYLES["functional"]
    with pytest.raises(GradingFailure, match=message) as failure:
        _traced(source)
    assert failure.value.key == key
