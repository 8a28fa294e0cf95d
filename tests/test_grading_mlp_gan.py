"""Tests for gan_lab.grading.mlp_gan, on student code defined as a notebook defines it."""

import pytest
import torch

from gan_lab.grading import GradingFailure, mlp_gan
from student_code import notebook

FUNCTIONAL_GENERATOR = """
class Generator(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim):
        super().__init__()
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, hidden_dim)
        self.fc3 = nn.Linear(hidden_dim, output_dim)

    def forward(self, x):
        return torch.tanh(self.fc3(F.relu(self.fc2(F.relu(self.fc1(x))))))
"""


def test_a_functional_generator_passes(capfd):
    """Is a Module subclass with functional activations accepted, silently?"""
    state = torch.get_rng_state()
    mlp_gan.check_generator(notebook(FUNCTIONAL_GENERATOR)["Generator"])
    assert capfd.readouterr().err == "" and torch.equal(state, torch.get_rng_state())


def test_a_sigmoid_output_is_caught():
    """Does a generator ending in Sigmoid fail on its activations?"""
    source = FUNCTIONAL_GENERATOR.replace("torch.tanh", "torch.sigmoid")
    with pytest.raises(GradingFailure, match="check the activations"):
        mlp_gan.check_generator(notebook(source)["Generator"])


def test_subclassing_the_reference_is_delegation():
    """Does a Generator that subclasses gan_lab's reference model earn nothing?"""
    ns = notebook("""
        from gan_lab.models import MLPGenerator
        class Generator(MLPGenerator):
            pass
    """)
    with pytest.raises(GradingFailure, match="a subclass of gan_lab.models.mlp.MLPGenerator"):
        mlp_gan.check_generator(ns["Generator"])


def test_calling_the_reference_loss_is_delegation():
    """Does a training step that calls gan_lab.losses fail as delegation?"""
    ns = notebook("""
        from gan_lab import losses
        def train_generator(D, G, loss_func, optim_G, batch_size, input_dim, device):
            loss_G = losses.bce_generator_loss(D(G(torch.randn(batch_size, input_dim))))
            optim_G.zero_grad(); loss_G.backward(); optim_G.step()
            return loss_G.item()
    """)
    with pytest.raises(GradingFailure, match="a call into gan_lab.losses"):
        mlp_gan.check_train_generator(ns["train_generator"])


def test_the_release_stub_is_not_implemented():
    """Does the untouched stub fail with 'not implemented yet'?"""
    ns = notebook("""
        class Discriminator(nn.Module):
            def __init__(self, input_dim, hidden_dim):
                super().__init__()
                raise NotImplementedError()
    """)
    with pytest.raises(GradingFailure, match="not implemented yet"):
        mlp_gan.check_discriminator(ns["Discriminator"])


def test_swapped_optimizers_are_named():
    """Are optimizers built over the other network's parameters reported as swapped?"""
    ns = notebook(FUNCTIONAL_GENERATOR + """
class Discriminator(nn.Module):
    def __init__(self, input_dim, hidden_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.LeakyReLU(0.1),
                                 nn.Linear(hidden_dim, hidden_dim), nn.LeakyReLU(0.1),
                                 nn.Linear(hidden_dim, 1), nn.Sigmoid())

    def forward(self, x):
        return self.net(x)

def build_models(input_dim, hidden_dim, output_dim, device):
    G = Generator(input_dim, hidden_dim, output_dim).to(device)
    D = Discriminator(output_dim, hidden_dim).to(device)
    return G, D, torch.optim.Adam(D.parameters(), lr=2e-4), torch.optim.Adam(G.parameters(), lr=2e-4)
""")
    mlp_gan.check_discriminator(ns["Discriminator"])
    with pytest.raises(GradingFailure, match="swapped with"):
        mlp_gan.check_build_models(ns["build_models"], ns["Generator"], ns["Discriminator"])
