"""Tests for gan_lab.grading.gan_losses: right answers pass, classic mistakes fail by name.

Student code is exec'd in a namespace named "__main__", as notebook code is.
"""
from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch

from gan_lab.grading import gan_losses
from gan_lab.grading.core import GradingFailure

ANY = object()  # fails(): whatever key the failure carries


def student(source: str, name: str):
    """The object ``name`` defined by notebook-like ``source``."""
    namespace = {"__name__": "__main__"}
    exec(textwrap.dedent(source), namespace)
    return namespace[name]


def passes(check, *args, capfd):
    """Run ``check``; assert it leaves stderr empty and torch's global RNG state unchanged."""
    state = torch.get_rng_state()
    result = check(*args)
    assert capfd.readouterr().err == ""
    assert torch.equal(torch.get_rng_state(), state)
    return result


def fails(check, *args, match: str, capfd, key=ANY) -> str:
    """Run ``check``; assert it fails quietly with ``match`` in its message (and the mistake's key
    ``key``, None for a failure that names no mistake), leaving torch's global RNG state alone."""
    state = torch.get_rng_state()
    with pytest.raises(GradingFailure) as caught:
        check(*args)
    assert capfd.readouterr().err == ""
    assert torch.equal(torch.get_rng_state(), state)
    message = str(caught.value)
    assert match in message, message
    if key is not ANY:
        assert caught.value.key == key, message
    return message


def full_key(todo: str, slug: str | None) -> str | None:
    return None if slug is None else f"gan_losses.{todo}.{slug}"


HEADER = """
import torch
import torch.nn.functional as F
from torch import nn
NOISE_DIM = 96
"""

# --------------------------------------------------------------------------- discriminator_loss
D_LOSS_FUNCTIONAL = HEADER + """
def discriminator_loss(logits_real, logits_fake):
    real = F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real))
    fake = F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))
    return real + fake
"""
D_LOSS_MODULE_COLUMN = HEADER + """
def discriminator_loss(logits_real, logits_fake):
    bce = nn.BCEWithLogitsLoss()
    return (bce(logits_real, torch.ones(logits_real.size(0), 1))
            + bce(logits_fake, torch.zeros(logits_fake.size(0), 1)))
"""
D_LOSS_HAND_WRITTEN = HEADER + """
def bce_loss(input, target):
    neg_abs = -input.abs()
    return (input.clamp(min=0) - input * target + (1 + neg_abs.exp()).log()).mean()

def discriminator_loss(logits_real, logits_fake):
    N, M = logits_real.shape[0], logits_fake.shape[0]
    return bce_loss(logits_real.view(N), torch.ones(N)) + bce_loss(logits_fake.view(M), torch.zeros(M))
"""
D_LOSS_FLAT_ONLY = HEADER + """
def bce(x, z):
    return (x.clamp(min=0) - x * z + (1 + (-x.abs()).exp()).log()).mean()

def discriminator_loss(logits_real, logits_fake):
    # right for (N,) scores only: (N, 1) * (N,) would broadcast to (N, N)
    return bce(logits_real, torch.ones(logits_real.shape[0])) + bce(logits_fake, torch.zeros(logits_fake.shape[0]))
"""
D_LOSS_PROBABILITIES = HEADER + """
def discriminator_loss(logits_real, logits_fake):
    real, fake = torch.sigmoid(logits_real), torch.sigmoid(logits_fake)
    return F.binary_cross_entropy(real, torch.ones_like(real)) + F.binary_cross_entropy(fake, torch.zeros_like(fake))
"""


@pytest.mark.parametrize("source", [D_LOSS_FUNCTIONAL, D_LOSS_MODULE_COLUMN, D_LOSS_HAND_WRITTEN,
                                    D_LOSS_FLAT_ONLY, D_LOSS_PROBABILITIES])
def test_discriminator_loss_variants_pass(source, capfd):
    """Do functional, nn.BCEWithLogitsLoss, hand-written (for (N,) or (N, 1)) and sigmoid-then-BCE losses pass?"""
    assert passes(gan_losses.check_discriminator_loss, student(source, "discriminator_loss"),
                  capfd=capfd) is None


@pytest.mark.parametrize("body, match, key", [
    ("return 0.5 * (real + fake)", "average the two terms", "mean-not-sum"),
    ("return real + fake if False else F.binary_cross_entropy_with_logits("
     "torch.cat([logits_real.view(-1), logits_fake.view(-1)]), "
     "torch.cat([torch.ones(logits_real.numel()), torch.zeros(logits_fake.numel())]))", "one mean",
     "one-mean-over-both"),
    ("return (F.binary_cross_entropy_with_logits(logits_real, torch.zeros_like(logits_real))"
     " + F.binary_cross_entropy_with_logits(logits_fake, torch.ones_like(logits_fake)))", "labels swapped",
     "swapped-labels"),
    ("return (F.binary_cross_entropy_with_logits(torch.sigmoid(logits_real), torch.ones_like(logits_real))"
     " + F.binary_cross_entropy_with_logits(torch.sigmoid(logits_fake), torch.zeros_like(logits_fake)))",
     "sigmoid twice", "sigmoid-twice"),
    ("return (F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real), reduction='sum')"
     " + F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake), reduction='sum'))",
     "sum over the batch", "sum-not-mean"),
    ("return (F.binary_cross_entropy(logits_real, torch.ones_like(logits_real))"
     " + F.binary_cross_entropy(logits_fake, torch.zeros_like(logits_fake)))", "binary_cross_entropy_with_logits",
     "bce-on-logits"),
    ("return real", "fake term", "no-fake-term"),
    ("return torch.tensor((real + fake).item())", "backward", "graph-cut"),
    ("return (real + fake).item()", "a torch tensor", None),
])
def test_discriminator_loss_mistakes_fail(body, match, capfd, key):
    """Does each classic discriminator-loss mistake lose the points, with its name?"""
    source = HEADER + f"""
def discriminator_loss(logits_real, logits_fake):
    real = F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real))
    fake = F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))
    {body}
"""
    fails(gan_losses.check_discriminator_loss, student(source, "discriminator_loss"), match=match,
          capfd=capfd, key=full_key("discriminator_loss", key))


def test_discriminator_loss_average_message_states_values(capfd):
    """Does a discriminator loss that averages the two terms lose the points, saying expected vs found?"""
    source = D_LOSS_FUNCTIONAL.replace("return real + fake", "return (real + fake) / 2")
    message = fails(gan_losses.check_discriminator_loss, student(source, "discriminator_loss"),
                    match="expected the sum of two means (real term + fake term) = ", capfd=capfd,
                    key="gan_losses.discriminator_loss.mean-not-sum")
    assert "found" in message and "logits_real of shape (4, 1)" in message


# --------------------------------------------------------------------------- generator_loss
G_LOSS_FUNCTIONAL = HEADER + """
def generator_loss(logits_fake):
    return F.binary_cross_entropy_with_logits(logits_fake, torch.ones_like(logits_fake))
"""
G_LOSS_MODULE_FLAT = HEADER + """
def generator_loss(logits_fake):
    return nn.BCEWithLogitsLoss()(logits_fake, torch.ones(logits_fake.shape[0]))
"""


@pytest.mark.parametrize("source", [G_LOSS_FUNCTIONAL, G_LOSS_MODULE_FLAT])
def test_generator_loss_variants_pass(source, capfd):
    """Do functional and nn.BCEWithLogitsLoss generator losses, on (N, 1) or (N,) scores, pass?"""
    assert passes(gan_losses.check_generator_loss, student(source, "generator_loss"), capfd=capfd) is None


@pytest.mark.parametrize("body, match, key", [
    ("F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))", "labels swapped",
     "swapped-labels"),
    ("-F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))", "saturating",
     "saturating-loss"),
    ("F.binary_cross_entropy_with_logits(torch.sigmoid(logits_fake), torch.ones_like(logits_fake))",
     "sigmoid twice", "sigmoid-twice"),
    ("F.binary_cross_entropy_with_logits(logits_fake, torch.ones_like(logits_fake), reduction='none')",
     "forget to take the mean", "not-reduced"),
])
def test_generator_loss_mistakes_fail(body, match, capfd, key):
    """Does each classic generator-loss mistake lose the points, with its name?"""
    source = HEADER + f"""
def generator_loss(logits_fake):
    return {body}
"""
    fails(gan_losses.check_generator_loss, student(source, "generator_loss"), match=match, capfd=capfd,
          key=full_key("generator_loss", key))


# --------------------------------------------------------------------------- LSGAN losses
LS_D_LOSS = HEADER + """
def ls_discriminator_loss(scores_real, scores_fake):
    return 0.5 * torch.mean((scores_real - 1) ** 2) + 0.5 * torch.mean(scores_fake ** 2)
"""
LS_D_LOSS_MSE = HEADER + """
def ls_discriminator_loss(scores_real, scores_fake):
    return 0.5 * (F.mse_loss(scores_real, torch.ones_like(scores_real))
                  + nn.MSELoss()(scores_fake, torch.zeros_like(scores_fake)))
"""


@pytest.mark.parametrize("source", [LS_D_LOSS, LS_D_LOSS_MSE])
def test_ls_discriminator_loss_variants_pass(source, capfd):
    """Do torch.mean and MSELoss least-squares discriminator losses both pass?"""
    assert passes(gan_losses.check_ls_discriminator_loss, student(source, "ls_discriminator_loss"),
                  capfd=capfd) is None


@pytest.mark.parametrize("body, match, key", [
    ("torch.mean((scores_real - 1) ** 2) + torch.mean(scores_fake ** 2)", "factor 1/2", "no-half"),
    ("0.5 * torch.mean(scores_real ** 2) + 0.5 * torch.mean((scores_fake - 1) ** 2)", "targets swapped",
     "swapped-targets"),
    ("0.5 * torch.mean(torch.cat([(scores_real - 1) ** 2, scores_fake ** 2]))", "one mean", "one-mean-over-both"),
])
def test_ls_discriminator_loss_mistakes_fail(body, match, capfd, key):
    """Does an LSGAN discriminator loss without the 1/2, or with swapped targets, lose the points?"""
    source = HEADER + f"""
def ls_discriminator_loss(scores_real, scores_fake):
    return {body}
"""
    fails(gan_losses.check_ls_discriminator_loss, student(source, "ls_discriminator_loss"),
          match=match, capfd=capfd, key=full_key("ls_discriminator_loss", key))


def test_ls_generator_loss(capfd):
    """Does the LSGAN generator loss pass, and fail without its 1/2 or with target 0?"""
    right = HEADER + """
def ls_generator_loss(scores_fake):
    return 0.5 * ((scores_fake - 1) ** 2).mean()
"""
    assert passes(gan_losses.check_ls_generator_loss, student(right, "ls_generator_loss"), capfd=capfd) is None
    no_half = right.replace("0.5 * ", "")
    fails(gan_losses.check_ls_generator_loss, student(no_half, "ls_generator_loss"), match="factor 1/2",
          capfd=capfd, key="gan_losses.ls_generator_loss.no-half")
    target_zero = right.replace("(scores_fake - 1)", "scores_fake")
    fails(gan_losses.check_ls_generator_loss, student(target_zero, "ls_generator_loss"),
          match="target swapped", capfd=capfd, key="gan_losses.ls_generator_loss.swapped-targets")


# --------------------------------------------------------------------------- sample_noise
NOISE = HEADER + """
def sample_noise(batch_size, dim, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    return 2 * torch.rand(batch_size, dim) - 1
"""


def test_sample_noise_passes(capfd):
    """Does uniform noise in (-1, 1), seeded only when asked, pass?"""
    assert passes(gan_losses.check_sample_noise, student(NOISE, "sample_noise"), capfd=capfd) is None


@pytest.mark.parametrize("old, new, match, key", [
    ("2 * torch.rand(batch_size, dim) - 1", "torch.rand(batch_size, dim)", "[0, 1)", "noise-in-0-1"),
    ("2 * torch.rand(batch_size, dim) - 1", "torch.randn(batch_size, dim)", "torch.randn", "gaussian-noise"),
    ("2 * torch.rand(batch_size, dim) - 1", "torch.rand(batch_size, dim) - 0.5", "narrower range", "noise-too-narrow"),
    ("2 * torch.rand(batch_size, dim) - 1", "2 * torch.rand(dim, batch_size) - 1", "shape (3, 5)", None),
    ("    if seed is not None:\n        torch.manual_seed(seed)\n", "", "use the seed", "seed-ignored"),
    ("    if seed is not None:\n        torch.manual_seed(seed)\n", "    torch.manual_seed(seed or 0)\n",
     "without a seed", "seeded-without-seed"),
    ("torch.manual_seed(seed)", "torch.manual_seed(0)", "different noise for different seeds", "fixed-seed"),
])
def test_sample_noise_mistakes_fail(old, new, match, capfd, key):
    """Does noise in [0, 1), normal noise, a narrow range, a wrong shape or a mishandled seed fail?"""
    source = NOISE.replace(old, new)
    assert source != NOISE
    fails(gan_losses.check_sample_noise, student(source, "sample_noise"), match=match, capfd=capfd,
          key=full_key("sample_noise", key))


# --------------------------------------------------------------------------- get_optimizer
OPTIMIZER = HEADER + """
def get_optimizer(model):
    return torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))
"""


def test_get_optimizer_passes(capfd):
    """Does Adam(lr=1e-3, betas=(0.5, 0.999)) over the model's parameters pass?"""
    assert passes(gan_losses.check_get_optimizer, student(OPTIMIZER, "get_optimizer"), capfd=capfd) is None


@pytest.mark.parametrize("old, new, match, key", [
    (", betas=(0.5, 0.999)", "", "default betas", "default-betas"),
    ("lr=1e-3", "lr=2e-4", "learning rate", "wrong-lr"),
    ("model.parameters()", "list(model.parameters())[:2]", "exactly the model's 4 parameter tensors",
     "wrong-parameters"),
    ("torch.optim.Adam(", "torch.optim.AdamW(", "AdamW", "not-adam"),
    ("torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))",
     "torch.optim.SGD(model.parameters(), lr=1e-3)", "a torch.optim.Adam", "not-adam"),
])
def test_get_optimizer_mistakes_fail(old, new, match, capfd, key):
    """Do default betas, a wrong lr, a subset of parameters or another optimizer fail?"""
    source = OPTIMIZER.replace(old, new)
    assert source != OPTIMIZER
    fails(gan_losses.check_get_optimizer, student(source, "get_optimizer"), match=match, capfd=capfd,
          key=full_key("get_optimizer", key))


# --------------------------------------------------------------------------- MLP discriminator
DISCRIMINATOR = HEADER + """
def discriminator(seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256), nn.LeakyReLU(0.01),
        nn.Linear(256, 256), nn.LeakyReLU(0.01),
        nn.Linear(256, 1),
    )
"""
DISCRIMINATOR_CLASS = HEADER + """
class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 256)
        self.fc3 = nn.Linear(256, 1)

    def forward(self, x):
        x = x.view(x.shape[0], -1)
        x = F.leaky_relu(self.fc1(x), 0.01)
        x = F.leaky_relu(self.fc2(x), negative_slope=0.01)
        return self.fc3(x)

def discriminator(seed=None):
    return Discriminator()
"""


@pytest.mark.parametrize("source", [DISCRIMINATOR, DISCRIMINATOR_CLASS,
                                    DISCRIMINATOR.replace("nn.LeakyReLU(0.01)", "nn.LeakyReLU()")])
def test_discriminator_variants_pass(source, capfd):
    """Do a Sequential, a Module subclass with functional LeakyReLU, and default slopes pass?"""
    assert passes(gan_losses.check_discriminator, student(source, "discriminator"), capfd=capfd) is None


@pytest.mark.parametrize("old, new, match, key", [
    ("nn.LeakyReLU(0.01)", "nn.LeakyReLU(0.2)", "found LeakyReLU(0.2)", "wrong-activation"),
    ("nn.Linear(256, 256), nn.LeakyReLU(0.01),\n        nn.Linear(256, 1)",
     "nn.Linear(256, 128), nn.LeakyReLU(0.01),\n        nn.Linear(128, 1)",
     "expected 784->256, 256->256, 256->1, found 784->256, 256->128, 128->1", "layer-widths"),
    ("nn.Linear(256, 1),", "nn.Linear(256, 1), nn.Sigmoid(),", "return raw logits", "sigmoid-on-logits"),
    ("nn.LeakyReLU(0.01)", "nn.ReLU()", "found ReLU", "wrong-activation"),
    ("nn.LeakyReLU(0.01)", "nn.LeakyReLU(0.02)", "found LeakyReLU(0.02)", "wrong-activation"),
    ("nn.Flatten(),", "nn.Flatten(), nn.Dropout(0.3),", "before the first Linear layer", "wrong-activation"),
])
def test_discriminator_mistakes_fail(old, new, match, capfd, key):
    """Does a wrong slope, a wrong width, a final Sigmoid or a plain ReLU lose the points, by name?"""
    source = DISCRIMINATOR.replace(old, new)
    assert source != DISCRIMINATOR
    fails(gan_losses.check_discriminator, student(source, "discriminator"), match=match, capfd=capfd,
          key=full_key("discriminator", key))


# --------------------------------------------------------------------------- MLP generator
GENERATOR = HEADER + """
def generator(noise_dim=NOISE_DIM, seed=None):
    if seed is not None:
        torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(noise_dim, 1024), nn.ReLU(),
        nn.Linear(1024, 1024), nn.ReLU(),
        nn.Linear(1024, 784), nn.Tanh(),
    )
"""
GENERATOR_CLASS = HEADER + """
class Generator(nn.Module):
    def __init__(self, noise_dim):
        super().__init__()
        self.hidden = nn.ModuleList([nn.Linear(noise_dim, 1024), nn.Linear(1024, 1024)])
        self.out = nn.Linear(1024, 784)

    def forward(self, z):
        for layer in self.hidden:
            z = torch.relu(layer(z))
        return torch.tanh(self.out(z))

def generator(noise_dim=NOISE_DIM, seed=None):
    return Generator(noise_dim)
"""


@pytest.mark.parametrize("source", [GENERATOR, GENERATOR_CLASS])
def test_generator_variants_pass(source, capfd):
    """Do a Sequential and a Module subclass with functional activations pass?"""
    assert passes(gan_losses.check_generator, student(source, "generator"), capfd=capfd) is None


@pytest.mark.parametrize("old, new, match, key", [
    (", nn.Tanh()", "", "missing Tanh", "no-tanh"),
    ("nn.Tanh()", "nn.Sigmoid()", "found Sigmoid (Sigmoid gives [0, 1]", "output-sigmoid"),
    ("nn.Linear(1024, 1024), nn.ReLU()", "nn.Linear(1024, 1024), nn.LeakyReLU(0.01)",
     "after the second Linear layer: expected ReLU, found LeakyReLU(0.01)", "wrong-activation"),
    ("nn.Linear(noise_dim, 1024)", "nn.Linear(NOISE_DIM, 1024)", "instead of the noise_dim argument",
     "global-noise-dim"),
    ("nn.Linear(1024, 1024), nn.ReLU(),\n        nn.Linear(1024, 784)",
     "nn.Linear(1024, 512), nn.ReLU(),\n        nn.Linear(512, 784)", "found 4->1024, 1024->512, 512->784",
     "layer-widths"),
])
def test_generator_mistakes_fail(old, new, match, capfd, key):
    """Does a missing Tanh, a Sigmoid, a hard-coded NOISE_DIM or a wrong width lose the points?"""
    source = GENERATOR.replace(old, new)
    assert source != GENERATOR
    fails(gan_losses.check_generator, student(source, "generator"), match=match, capfd=capfd,
          key=full_key("generator", key))


# --------------------------------------------------------------------------- DCGAN
DC_CLASSIFIER = HEADER + """
def build_dc_classifier():
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 32, 5), nn.LeakyReLU(0.01), nn.MaxPool2d(2, 2),
        nn.Conv2d(32, 64, 5), nn.LeakyReLU(0.01), nn.MaxPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(1024, 1024), nn.LeakyReLU(0.01),
        nn.Linear(1024, 1),
    )
"""
DC_CLASSIFIER_CLASS = HEADER + """
class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=5, stride=1)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=5, stride=1)
        self.fc1 = nn.Linear(4 * 4 * 64, 4 * 4 * 64)
        self.fc2 = nn.Linear(4 * 4 * 64, 1)

    def forward(self, x):
        x = x.view(-1, 1, 28, 28)  # (B, 784) -> (B, 1, 28, 28)
        x = F.max_pool2d(F.leaky_relu(self.conv1(x), 0.01), 2)
        x = F.leaky_relu(F.max_pool2d(self.conv2(x), 2), 0.01)
        x = F.leaky_relu(self.fc1(x.flatten(1)), 0.01)
        return self.fc2(x)

def build_dc_classifier():
    return Classifier()
"""


@pytest.mark.parametrize("source", [DC_CLASSIFIER, DC_CLASSIFIER_CLASS])
def test_dc_classifier_variants_pass(source, capfd):
    """Do a Sequential and a functional Module subclass (pool before activation) pass?"""
    assert passes(gan_losses.check_build_dc_classifier, student(source, "build_dc_classifier"),
                  capfd=capfd) is None


@pytest.mark.parametrize("old, new, match, key", [
    ("nn.Conv2d(32, 64, 5), nn.LeakyReLU(0.01)", "nn.Conv2d(32, 64, 5), nn.LeakyReLU(0.2)",
     "after the second Conv2d (and pooling): expected LeakyReLU(0.01), found LeakyReLU(0.2)", "wrong-activation"),
    ("nn.Linear(1024, 1),", "nn.Linear(1024, 1), nn.Sigmoid(),", "return raw logits", "sigmoid-on-logits"),
    ("nn.Conv2d(1, 32, 5)", "nn.Conv2d(1, 32, 3)", "1->32 channels 5x5, 32->64 channels 5x5, found 1->32 channels 3x3",
     "conv-layers"),
])
def test_dc_classifier_mistakes_fail(old, new, match, capfd, key):
    """Does a wrong slope, a final Sigmoid or a wrong kernel lose the points, by name?"""
    source = DC_CLASSIFIER.replace(old, new)
    assert source != DC_CLASSIFIER
    fails(gan_losses.check_build_dc_classifier, student(source, "build_dc_classifier"), match=match,
          capfd=capfd, key=full_key("build_dc_classifier", key))


DC_GENERATOR = HEADER + """
def build_dc_generator(noise_dim=NOISE_DIM):
    return nn.Sequential(
        nn.Linear(noise_dim, 1024), nn.ReLU(), nn.BatchNorm1d(1024),
        nn.Linear(1024, 7 * 7 * 128), nn.ReLU(), nn.BatchNorm1d(7 * 7 * 128),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1), nn.ReLU(), nn.BatchNorm2d(64),
        nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1), nn.Tanh(),
        nn.Flatten(),
    )
"""


@pytest.mark.parametrize("source", [
    DC_GENERATOR,
    DC_GENERATOR.replace("nn.ReLU(), nn.BatchNorm1d(1024)", "nn.BatchNorm1d(1024), nn.ReLU()"),
])
def test_dc_generator_variants_pass(source, capfd):
    """Does the handout's DC generator pass, with BatchNorm after or before its ReLU?"""
    assert passes(gan_losses.check_build_dc_generator, student(source, "build_dc_generator"),
                  capfd=capfd) is None


@pytest.mark.parametrize("old, new, match, key", [
    (" nn.Tanh(),", "", "missing Tanh", "no-tanh"),
    ("        nn.Flatten(),\n", "", "flat images of shape (8, 784)", None),
    ("nn.Linear(noise_dim, 1024)", "nn.Linear(NOISE_DIM, 1024)", "instead of the noise_dim argument",
     "global-noise-dim"),
    (", nn.BatchNorm2d(64)", "", "BatchNorm layers", "batchnorm-layers"),
])
def test_dc_generator_mistakes_fail(old, new, match, capfd, key):
    """Does a missing Tanh, an unflattened output, a hard-coded NOISE_DIM or a missing BatchNorm fail?"""
    source = DC_GENERATOR.replace(old, new)
    assert source != DC_GENERATOR
    fails(gan_losses.check_build_dc_generator, student(source, "build_dc_generator"), match=match,
          capfd=capfd, key=full_key("build_dc_generator", key))


# --------------------------------------------------------------------------- stubs and delegation
STUBS = [
    (gan_losses.check_sample_noise, "sample_noise", "def sample_noise(batch_size, dim, seed=None):"),
    (gan_losses.check_discriminator, "discriminator", "def discriminator(seed=None):"),
    (gan_losses.check_generator, "generator", "def generator(noise_dim=NOISE_DIM, seed=None):"),
    (gan_losses.check_discriminator_loss, "discriminator_loss", "def discriminator_loss(logits_real, logits_fake):"),
    (gan_losses.check_generator_loss, "generator_loss", "def generator_loss(logits_fake):"),
    (gan_losses.check_get_optimizer, "get_optimizer", "def get_optimizer(model):"),
    (gan_losses.check_ls_discriminator_loss, "ls_discriminator_loss",
     "def ls_discriminator_loss(scores_real, scores_fake):"),
    (gan_losses.check_ls_generator_loss, "ls_generator_loss", "def ls_generator_loss(scores_fake):"),
    (gan_losses.check_build_dc_classifier, "build_dc_classifier", "def build_dc_classifier():"),
    (gan_losses.check_build_dc_generator, "build_dc_generator", "def build_dc_generator(noise_dim=NOISE_DIM):"),
]


@pytest.mark.parametrize("check, name, signature", STUBS, ids=[s[1] for s in STUBS])
def test_unimplemented_stub_fails(check, name, signature, capfd):
    """Does the untouched release stub fail with "not implemented yet"?"""
    source = HEADER + f"{signature}\n    raise NotImplementedError()\n"
    fails(check, student(source, name), match="not implemented yet", capfd=capfd, key=None)


DELEGATIONS = [
    (gan_losses.check_discriminator_loss, "discriminator_loss", """
from gan_lab.losses import discriminator_loss as reference
def discriminator_loss(logits_real, logits_fake):
    return reference(logits_real, logits_fake)
"""),
    (gan_losses.check_generator_loss, "generator_loss", "from gan_lab.losses import generator_loss\n"),
    (gan_losses.check_ls_discriminator_loss, "ls_discriminator_loss", """
import gan_lab
def ls_discriminator_loss(scores_real, scores_fake):
    return gan_lab.losses.ls_discriminator_loss(scores_real, scores_fake)
"""),
    (gan_losses.check_ls_generator_loss, "ls_generator_loss", """
from gan_lab import losses
def ls_generator_loss(scores_fake):
    return losses.ls_generator_loss(scores_fake)
"""),
    (gan_losses.check_discriminator, "discriminator", """
import gan_lab.models
def discriminator(seed=None):
    return gan_lab.models.vanilla_discriminator()
"""),
    (gan_losses.check_generator, "generator", """
from gan_lab.models import vanilla_generator
def generator(noise_dim=96, seed=None):
    return vanilla_generator(noise_dim)
"""),
    (gan_losses.check_build_dc_classifier, "build_dc_classifier",
     "from gan_lab.models.dcgan import build_dc_classifier\n"),
    (gan_losses.check_build_dc_generator, "build_dc_generator", """
from gan_lab.models import build_dc_generator as reference
def build_dc_generator(noise_dim=96):
    return reference(noise_dim)
"""),
]


@pytest.mark.parametrize("check, name, source", DELEGATIONS, ids=[d[1] for d in DELEGATIONS])
def test_delegation_to_reference_fails(check, name, source, capfd):
    """Does wrapping or returning gan_lab's reference code earn nothing, named as delegation?"""
    slug = "uses-reference-code" if "def " in source else "not-in-notebook"  # a wrapper, or the import itself
    fails(check, student(source, name), match="must be", capfd=capfd, key=full_key(name, slug))


# --------------------------------------------------------------------------- Inline Question 4
CYCLE = [(-1, 2), (-2, 1), (-1, -1), (1, -2), (2, -1), (1, 1)]


@pytest.mark.parametrize("value, points", [
    (0, CYCLE),
    (0.0, [list(p) for p in CYCLE]),
    (torch.tensor(0.0), np.array(CYCLE, dtype=float)),
])
def test_minimax_answers_full_marks(value, points, capfd):
    """Do the right value and the six points earn both points, in any numeric container?"""
    assert passes(gan_losses.check_minimax_answers, value, points, capfd=capfd) == 2.0


@pytest.mark.parametrize("value, points, printed, key", [
    (1, CYCLE, "value of min_x max_y xy", "wrong-value"),
    (0, [(1, 1)] + CYCLE, "starts with (1, 1)", "start-point-listed"),
    (0, [(y, x) for x, y in CYCLE], "(y, x)", "points-as-y-x"),
    (0, CYCLE[:5] + [(0, 0)], "point 6 of 6", "wrong-point"),
    (0, None, "not answered yet", "points-unanswered"),
])
def test_minimax_answers_partial_credit(value, points, printed, capfd, key, shown):
    """Does one wrong part cost one point, with a note on stdout that keeps the answer hidden, and its key
    shown to the graded notebook?"""
    assert passes(gan_losses.check_minimax_answers, value, points, capfd=capfd) == 1.0
    assert shown == [full_key("minimax_answers", key)]
    # passes() consumed stderr; the note went to stdout (checked by a second run)
    gan_losses.check_minimax_answers(value, points)
    out = capfd.readouterr().out
    assert printed in out and "(-1, 2)" not in out


def test_minimax_answers_both_wrong_fail(capfd, shown):
    """Do a wrong value and x-first points fail the whole question, naming both problems (both keys shown,
    the failure keyed by the first)?"""
    x_first = [(0, 1), (-1, 0), (-1, -1), (0, -1), (1, 0), (1, 1)]
    message = fails(gan_losses.check_minimax_answers, 1, x_first, match="x moves first", capfd=capfd,
                    key="gan_losses.minimax_answers.wrong-value")
    assert "min_x max_y xy" in message
    assert shown == ["gan_losses.minimax_answers.wrong-value", "gan_losses.minimax_answers.x-moves-first"]


def test_minimax_answers_delegated_value_fails(capfd):
    """Does handing in gan_lab's minimax_value function instead of an answer fail?"""
    from gan_lab.minimax import minimax_value

    fails(gan_losses.check_minimax_answers, minimax_value, CYCLE, match="must be written", capfd=capfd,
          key="gan_losses.minimax_answers.not-in-notebook")


def test_minimax_answers_own_function_counts(capfd):
    """Does a value computed by the student's own function count?"""
    value = student("def minimax_value():\n    return 0.0\n", "minimax_value")
    assert passes(gan_losses.check_minimax_answers, value, CYCLE, capfd=capfd) == 2.0
