"""No check lets a raw error stand: odd student objects get a GradingFailure that explains them."""

import inspect

import pytest

from gan_lab.grading import GradingFailure, dcgan, gan_losses, mlp_gan, toy_1d
from student_code import notebook

ODD = notebook("""
def returns_none(*args, **kwargs):
    return None

def returns_a_number(*args, **kwargs):
    return 3

def returns_text(*args, **kwargs):
    return "a string"

def returns_a_pair(*args, **kwargs):
    return (1, 2)

def returns_four_strings(*args, **kwargs):
    return ["a", "b", "c", "d"]

def returns_a_vector(*args, **kwargs):
    return torch.zeros(3)

def returns_nan(*args, **kwargs):
    return torch.tensor(float("nan"))

def returns_float64(*args, **kwargs):
    return torch.zeros(2, 2, dtype=torch.float64)

def raises_type_error(*args, **kwargs):
    raise TypeError("an argument the student did not expect")

def takes_nothing():
    return 1

class ReturnsAPair(nn.Module):
    def __init__(self, *args, **kwargs):
        super().__init__()
        self.layer = nn.Linear(3, 3)

    def forward(self, x):
        return x, x

class ReturnsNone(nn.Module):
    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return None

class ConvOnly(nn.Module):
    def __init__(self, *args, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3)

    def forward(self, x):
        return x.double()

def pair_model(*args, **kwargs):
    return ReturnsAPair()

def conv_model(*args, **kwargs):
    return ConvOnly()

def sampler_of_numbers(*args, **kwargs):
    return lambda *shape: 3

def sampler_of_lists(*args, **kwargs):
    return lambda *shape: [1.0, 2.0]

def sampler_of_vectors(*args, **kwargs):
    return lambda *shape: torch.zeros(shape[0])

def models_without_optimizers(*args, **kwargs):
    return ConvOnly(), ConvOnly(), None, None
""")
OBJECTS = {name: value for name, value in ODD.items()
           if callable(value) and getattr(value, "__module__", "") == "__main__"}
CHECKS = {f"{module.__name__.rsplit('.', 1)[1]}.{name}": getattr(module, name)
          for module in (mlp_gan, dcgan, gan_losses, toy_1d) for name in dir(module) if name.startswith("check_")}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_every_check_answers_odd_code_with_a_reason(name, capfd):
    """Does each check turn every odd answer into a GradingFailure (or partial points), never a
    raw error from deep inside torch, and never write to stderr?"""
    check = CHECKS[name]
    arity = len(inspect.signature(check.__wrapped__).parameters)
    for label, obj in OBJECTS.items():
        try:
            check(*[obj] * arity)
        except GradingFailure as failure:
            assert str(failure), (name, label)
        except Exception as error:  # noqa: BLE001 - the point of the test
            pytest.fail(f"{name}({label}) raised {type(error).__name__}: {error}")
    assert capfd.readouterr().err == ""


def test_build_models_with_networks_that_have_no_linear_layer_is_explained():
    with pytest.raises(GradingFailure, match="G's first layer: expected input_dim -> hidden_dim"):
        mlp_gan.check_build_models(ODD["models_without_optimizers"], ODD["ConvOnly"], ODD["ConvOnly"])
