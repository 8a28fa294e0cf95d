"""Tests for gan_lab.grading.toy_1d, on student code defined as a notebook defines it."""

import numpy as np
import pytest
import torch

from gan_lab.grading import GradingFailure, toy_1d
from student_code import notebook

def passes_silently(check, obj, capfd) -> None:
    """The check passes, writes nothing to stderr and leaves the RNGs where they were."""
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    check(obj)
    assert capfd.readouterr().err == ""
    assert torch.equal(torch_state, torch.get_rng_state())
    assert np.array_equal(numpy_state[1], np.random.get_state()[1])


# --------------------------------------------------------------------------- R: the real data
SAMPLER = """
def get_distribution_sampler(mu, sigma):
    def sample(n):
        return mu + sigma * torch.randn(n, 1)
    return sample
"""


@pytest.mark.parametrize("source", [
    SAMPLER,
    "def get_distribution_sampler(mu, sigma):\n    return lambda n: torch.normal(mu, sigma, size=(n, 1))\n",
    "def get_distribution_sampler(mu, sigma):\n"
    "    return lambda n: torch.tensor(np.random.normal(mu, sigma, (n, 1)), dtype=torch.float32)\n",
], ids=["randn", "torch.normal", "numpy"])
def test_correct_distribution_samplers_pass(source, capfd):
    """Do randn, torch.normal and the write-up's NumPy sampler all pass, silently?"""
    passes_silently(toy_1d.check_get_distribution_sampler, notebook(source)["get_distribution_sampler"], capfd)


@pytest.mark.parametrize("old, new, message, key", [
    ("sigma * torch.randn(n, 1)", "sigma ** 2 * torch.randn(n, 1)", "the variance", "variance-not-std"),
    ("mu + sigma * torch.randn(n, 1)", "sigma + mu * torch.randn(n, 1)", "mu and sigma are swapped",
     "swapped-mu-sigma"),
    ("mu + sigma * torch.randn(n, 1)", "sigma * torch.randn(n, 1)", "add mu", "mu-not-added"),
    ("torch.randn(n, 1)", "torch.randn(1, n)", "one sample per row", "row-not-column"),
    ("torch.randn(n, 1)", "(torch.rand(n, 1) - 0.5) * 12 ** 0.5", "torch.rand is uniform", "uniform-not-normal"),
    ("mu + sigma * torch.randn(n, 1)", "torch.from_numpy(np.random.normal(mu, sigma, (n, 1)))", "float64",
     "not-float32"),
], ids=["variance", "swapped", "no-mean", "row", "uniform", "float64"])
def test_sampler_mistakes_are_named(old, new, message, key):
    """Does each classic sampler mistake fail with its own explanation?"""
    source = SAMPLER.replace(old, new)
    with pytest.raises(GradingFailure, match=message) as failure:
        toy_1d.check_get_distribution_sampler(notebook(source)["get_distribution_sampler"])
    assert failure.value.key == f"toy_1d.get_distribution_sampler.{key}"


def test_a_sampler_returning_the_same_values_fails():
    """Is a sampler that draws once and returns the same batch every call rejected?"""
    ns = notebook("""
        def get_distribution_sampler(mu, sigma):
            fixed = mu + sigma * torch.randn(100_000, 1)
            return lambda n: fixed[:n]
    """)
    with pytest.raises(GradingFailure, match="fresh random numbers on every call") as failure:
        toy_1d.check_get_distribution_sampler(ns["get_distribution_sampler"])
    assert failure.value.key == "toy_1d.get_distribution_sampler.same-draws"


def test_a_sampler_that_returns_samples_instead_of_a_function_fails():
    ns = notebook("def get_distribution_sampler(mu, sigma):\n    return mu + sigma * torch.randn(100, 1)\n")
    with pytest.raises(GradingFailure, match="a function that draws samples") as failure:
        toy_1d.check_get_distribution_sampler(ns["get_distribution_sampler"])
    assert failure.value.key == "toy_1d.get_distribution_sampler.not-a-sampler"


def test_the_sampler_stub_is_not_implemented():
    """Does the untouched stub fail with 'not implemented yet'?"""
    ns = notebook("def get_distribution_sampler(mu, sigma):\n    raise NotImplementedError()\n")
    with pytest.raises(GradingFailure, match="not implemented yet"):
        toy_1d.check_get_distribution_sampler(ns["get_distribution_sampler"])


def test_gan_lab_data_helpers_are_allowed_but_not_its_answers():
    """gan_lab.data's noise helper may build a sampler; its gaussian_samples (the answer) may not."""
    ns = notebook("""
        from gan_lab.data import latent_noise
        def get_distribution_sampler(mu, sigma):
            return lambda n: mu + sigma * latent_noise(n, 1)
    """)
    toy_1d.check_get_distribution_sampler(ns["get_distribution_sampler"])
    for source in ("""
        from gan_lab.data import gaussian_samples
        def get_distribution_sampler(mu, sigma):
            return lambda n: gaussian_samples(n, mu, sigma)
    """, """
        def get_distribution_sampler(mu, sigma):
            def sample(n):
                from gan_lab.data import gaussian_samples
                return gaussian_samples(n, mu, sigma)
            return sample
    """):
        with pytest.raises(GradingFailure, match="gan_lab.data.gaussian_samples") as failure:
            toy_1d.check_get_distribution_sampler(notebook(source)["get_distribution_sampler"])
        assert failure.value.key == "toy_1d.get_distribution_sampler.uses-reference-code"


# --------------------------------------------------------------------------- I: the noise
NOISE = """
def get_generator_input_sampler():
    return lambda m, n: torch.rand(m, n)
"""


def test_uniform_noise_passes(capfd):
    passes_silently(toy_1d.check_get_generator_input_sampler, notebook(NOISE)["get_generator_input_sampler"], capfd)


@pytest.mark.parametrize("new, message, key", [
    ("torch.randn(m, n)", "Gaussian noise", "gaussian-noise"),
    ("torch.rand(m, n) * 2 - 1", "U\\(-1, 1\\) is lab 3's noise", "noise-in-minus-1-1"),
    ("torch.rand(n, m)", "the arguments are \\(rows m, columns n\\)", "swapped-m-n"),
    ("torch.rand(m, n) ** 2", "uniform on \\[0, 1\\)", "noise-not-uniform"),
], ids=["gaussian", "minus-one-to-one", "transposed", "not-uniform"])
def test_noise_mistakes_are_named(new, message, key):
    source = NOISE.replace("torch.rand(m, n)", new)
    with pytest.raises(GradingFailure, match=message) as failure:
        toy_1d.check_get_generator_input_sampler(notebook(source)["get_generator_input_sampler"])
    assert failure.value.key == f"toy_1d.get_generator_input_sampler.{key}"


# --------------------------------------------------------------------------- G
SEQUENTIAL_GENERATOR = """
class Generator(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(input_size, hidden_size), nn.ELU(),
                                   nn.Linear(hidden_size, hidden_size), nn.Sigmoid(),
                                   nn.Linear(hidden_size, output_size))

    def forward(self, x):
        return self.model(x)
"""

FUNCTIONAL_GENERATOR = """
class Generator(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.map3 = nn.Linear(hidden_size, output_size)  # registered out of order on purpose
        self.map1 = nn.Linear(input_size, hidden_size)
        self.map2 = nn.Linear(hidden_size, hidden_size)

    def forward(self, x):
        x = F.elu(self.map1(x))
        x = torch.sigmoid(self.map2(x))
        return self.map3(x)
"""


@pytest.mark.parametrize("source", [SEQUENTIAL_GENERATOR, FUNCTIONAL_GENERATOR], ids=["sequential", "functional"])
def test_correct_generators_pass(source, capfd):
    """Are nn.Sequential and the write-up's functional style both accepted, silently?"""
    passes_silently(toy_1d.check_generator, notebook(source)["Generator"], capfd)


@pytest.mark.parametrize("old, new, message, key", [
    ("x = F.elu(self.map1(x))\n        x = torch.sigmoid(self.map2(x))",
     "x = torch.sigmoid(self.map1(x))\n        x = F.elu(self.map2(x))", "Sigmoid then ELU", "swapped-activations"),
    ("return self.map3(x)", "return torch.sigmoid(self.map3(x))", "can never reach the target mean of 4",
     "output-sigmoid"),
    ("return self.map3(x)", "return torch.tanh(self.map3(x))", "a Tanh on the output", "output-tanh"),
    ("F.elu(self.map1(x))", "F.relu(self.map1(x))", "after the first Linear layer: expected ELU, found ReLU",
     "relu-not-elu"),
    ("torch.sigmoid(self.map2(x))", "F.elu(self.map2(x))", "the discriminator's pattern", "discriminator-pattern"),
    ("nn.Linear(hidden_size, hidden_size)", "nn.Linear(hidden_size, 30)", "the Linear layers: expected",
     "layer-widths"),
], ids=["swapped", "sigmoid-output", "tanh-output", "relu", "elu-twice", "width"])
def test_generator_mistakes_are_named(old, new, message, key):
    source = FUNCTIONAL_GENERATOR.replace(old, new)
    assert source != FUNCTIONAL_GENERATOR
    with pytest.raises(GradingFailure, match=message) as failure:
        toy_1d.check_generator(notebook(source)["Generator"])
    assert failure.value.key == f"toy_1d.generator.{key}"


def test_subclassing_the_reference_generator_is_delegation():
    """Does a Generator that subclasses gan_lab's ToyGenerator earn nothing?"""
    ns = notebook("""
        from gan_lab.models import ToyGenerator
        class Generator(ToyGenerator):
            pass
    """)
    with pytest.raises(GradingFailure, match="a subclass of gan_lab.models.toy1d.ToyGenerator") as failure:
        toy_1d.check_generator(ns["Generator"])
    assert failure.value.key == "toy_1d.generator.uses-reference-code"


def test_the_generator_stub_is_not_implemented():
    ns = notebook("""
        class Generator(nn.Module):
            def __init__(self, input_size, hidden_size, output_size):
                super().__init__()
                raise NotImplementedError()
    """)
    with pytest.raises(GradingFailure, match="not implemented yet"):
        toy_1d.check_generator(ns["Generator"])


# --------------------------------------------------------------------------- D
DISCRIMINATOR = """
class Discriminator(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.map1 = nn.Linear(input_size, hidden_size)
        self.map2 = nn.Linear(hidden_size, hidden_size)
        self.map3 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x = F.elu(self.map1(x))
        x = F.elu(self.map2(x))
        return torch.sigmoid(self.map3(x))
"""

SEQUENTIAL_DISCRIMINATOR = """
class Discriminator(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(input_size, hidden_size), nn.ELU(),
                                   nn.Linear(hidden_size, hidden_size), nn.ELU(),
                                   nn.Linear(hidden_size, output_size), nn.Sigmoid())

    def forward(self, x):
        return self.model(x)
"""


@pytest.mark.parametrize("source", [DISCRIMINATOR, SEQUENTIAL_DISCRIMINATOR], ids=["functional", "sequential"])
def test_correct_discriminators_pass(source, capfd):
    passes_silently(toy_1d.check_discriminator, notebook(source)["Discriminator"], capfd)


@pytest.mark.parametrize("old, new, message, key", [
    ("return torch.sigmoid(self.map3(x))", "return self.map3(x)", "expected Sigmoid, found no activation",
     "no-sigmoid"),
    ("x = F.elu(self.map2(x))", "x = torch.sigmoid(self.map2(x))", "the generator's pattern", "generator-pattern"),
    ("F.elu", "F.relu", "after the second Linear layer: expected ELU, found ReLU", "relu-not-elu"),
    ("F.elu", "F.leaky_relu", "after the first Linear layer: expected ELU, found LeakyReLU\\(0.01\\)",
     "wrong-activation"),
], ids=["no-sigmoid", "generator-pattern", "relu", "leaky-0.01"])
def test_discriminator_mistakes_are_named(old, new, message, key):
    source = DISCRIMINATOR.replace(old, new)
    with pytest.raises(GradingFailure, match=message) as failure:
        toy_1d.check_discriminator(notebook(source)["Discriminator"])
    assert failure.value.key == f"toy_1d.discriminator.{key}"


def test_a_discriminator_from_gan_lab_is_delegation():
    ns = notebook("from gan_lab.models import ToyDiscriminator as Discriminator\n")
    with pytest.raises(GradingFailure, match="one imported from gan_lab.models.toy1d") as failure:
        toy_1d.check_discriminator(ns["Discriminator"])
    assert failure.value.key == "toy_1d.discriminator.not-in-notebook"


# --------------------------------------------------------------------------- data and variances
DECORATE = """
def decorate_with_diffs(data, exponent):
    mean = data.mean(dim=1, keepdim=True)
    return torch.cat([data, (data - mean) ** exponent], dim=1)
"""

WRITE_UP_DECORATE = """
def decorate_with_diffs(data, exponent):
    mean = torch.mean(data.data, 1, keepdim=True)
    mean_broadcast = torch.mul(torch.ones(data.size()), mean.tolist()[0][0])
    diffs = torch.pow(data - mean_broadcast, exponent)
    return torch.cat([data, diffs], 1)
"""


@pytest.mark.parametrize("source", [DECORATE, WRITE_UP_DECORATE], ids=["mean-keepdim", "write-up"])
def test_correct_decorations_pass(source, capfd):
    """Is the write-up's version (mean taken from .data) accepted along with the plain one?"""
    passes_silently(toy_1d.check_decorate_with_diffs, notebook(source)["decorate_with_diffs"], capfd)


@pytest.mark.parametrize("old, new, message, key", [
    ("(data - mean) ** exponent", "data ** exponent", "subtract the row's mean first", "mean-not-subtracted"),
    ("dim=1)\n", "dim=0)\n", "concatenated along dim 0", "cat-along-dim-0"),
    ("data.mean(dim=1, keepdim=True)", "data.mean(dim=0, keepdim=True)", "take it along dim 1", "mean-over-dim-0"),
    ("** exponent", "** 2", "use the exponent argument", "always-squared"),
    ("[data, (data - mean) ** exponent]", "[(data - mean) ** exponent, data]", "the deviations first",
     "deviations-first"),
    ("return torch.cat", "return torch.cat([data, (data - mean) ** exponent], dim=1).detach()\n    torch.cat",
     "a result cut off from its input", "gradients-cut"),
], ids=["no-mean", "dim-0", "mean-dim-0", "ignores-exponent", "order", "detached"])
def test_decoration_mistakes_are_named(old, new, message, key):
    source = DECORATE.replace(old, new)
    assert source != DECORATE
    with pytest.raises(GradingFailure, match=message) as failure:
        toy_1d.check_decorate_with_diffs(notebook(source)["decorate_with_diffs"])
    assert failure.value.key == f"toy_1d.decorate_with_diffs.{key}"


def test_decorating_in_place_fails():
    ns = notebook("""
        def decorate_with_diffs(data, exponent):
            original = data.clone()
            data -= data.mean(dim=1, keepdim=True)
            return torch.cat([original, data ** exponent], dim=1)
    """)
    with pytest.raises(GradingFailure, match="modified in place") as failure:
        toy_1d.check_decorate_with_diffs(ns["decorate_with_diffs"])
    assert failure.value.key == "toy_1d.decorate_with_diffs.in-place"


def test_calling_the_reference_decoration_is_delegation():
    ns = notebook("""
        from gan_lab.models import toy1d
        def decorate_with_diffs(data, exponent):
            return toy1d.decorate_with_diffs(data, exponent)
    """)
    with pytest.raises(GradingFailure, match="a call into gan_lab.models.toy1d") as failure:
        toy_1d.check_decorate_with_diffs(ns["decorate_with_diffs"])
    assert failure.value.key == "toy_1d.decorate_with_diffs.uses-reference-code"


def test_the_decoration_stub_is_not_implemented():
    ns = notebook("def decorate_with_diffs(data, exponent):\n    raise NotImplementedError()\n")
    with pytest.raises(GradingFailure, match="not implemented yet"):
        toy_1d.check_decorate_with_diffs(ns["decorate_with_diffs"])
