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
    with pytest.raises(GradingFailure, match=r"after the third Linear layer \(the output\): expected Tanh, found Sigmoid") \
            as failure:
        mlp_gan.check_generator(notebook(source)["Generator"])
    assert failure.value.key == "mlp_gan.generator.output-sigmoid"


def test_subclassing_the_reference_is_delegation():
    """Does a Generator that subclasses gan_lab's reference model earn nothing?"""
    ns = notebook("""
        from gan_lab.models import MLPGenerator
        class Generator(MLPGenerator):
            pass
    """)
    with pytest.raises(GradingFailure, match="a subclass of gan_lab.models.mlp.MLPGenerator") as failure:
        mlp_gan.check_generator(ns["Generator"])
    assert failure.value.key == "mlp_gan.generator.uses-reference-code"


def test_calling_the_reference_loss_is_delegation():
    """Does a training step that calls gan_lab.losses fail as delegation?"""
    ns = notebook("""
        from gan_lab import losses
        def train_generator(D, G, loss_func, optim_G, batch_size, input_dim, device):
            loss_G = losses.bce_generator_loss(D(G(torch.randn(batch_size, input_dim))))
            optim_G.zero_grad(); loss_G.backward(); optim_G.step()
            return loss_G.item()
    """)
    with pytest.raises(GradingFailure, match="a call into gan_lab.losses") as failure:
        mlp_gan.check_train_generator(ns["train_generator"])
    assert failure.value.key == "mlp_gan.train_generator.uses-reference-code"


def test_the_release_stub_is_not_implemented():
    """Does the untouched stub fail with 'not implemented yet'?"""
    ns = notebook("""
        class Discriminator(nn.Module):
            def __init__(self, input_dim, hidden_dim):
                super().__init__()
                raise NotImplementedError()
    """)
    with pytest.raises(GradingFailure, match="not implemented yet") as failure:
        mlp_gan.check_discriminator(ns["Discriminator"])
    assert (failure.value.key, failure.value.cause) == (None, "NotImplementedError")  # no mistake named


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
    with pytest.raises(GradingFailure, match="swapped with") as failure:
        mlp_gan.check_build_models(ns["build_models"], ns["Generator"], ns["Discriminator"])
    assert failure.value.key == "mlp_gan.build_models.swapped-optimizers"


TRAINING_STEPS = """
def train_discriminator(real_images, D, G, loss_func, optim_D, batch_size, input_dim, device):
    real_images = real_images.view(-1, 28 * 28).to(device)
    real_output = D(real_images)
    real_loss = loss_func(real_output, torch.ones_like(real_output))
    noise = torch.randn(real_images.size(0), input_dim, device=device)
    fake_output = D(G(noise).detach())
    fake_loss = loss_func(fake_output, torch.zeros_like(fake_output))
    loss_D = real_loss + fake_loss
    optim_D.zero_grad()
    loss_D.backward()
    optim_D.step()
    return loss_D.item()


def train_generator(D, G, loss_func, optim_G, batch_size, input_dim, device):
    fake_output = D(G(torch.randn(batch_size, input_dim, device=device)))
    loss_G = loss_func(fake_output, torch.ones_like(fake_output))
    optim_G.zero_grad()
    loss_G.backward()
    optim_G.step()
    return loss_G.item()
"""

D_ZERO = "    optim_D.zero_grad()\n    loss_D.backward()\n    optim_D.step()\n"
G_ZERO = "    optim_G.zero_grad()\n    loss_G.backward()\n    optim_G.step()\n"


def test_the_reference_training_steps_earn_full_points(capfd):
    """Do correct steps earn 3 + 2 points, silently, from stale gradients left in the networks?"""
    ns = notebook(TRAINING_STEPS)
    assert mlp_gan.check_train_discriminator(ns["train_discriminator"]) == 3.0
    assert mlp_gan.check_train_generator(ns["train_generator"]) == 2.0
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize("steps, points, reason, key", [
    # the handout's order: zero_grad between backward and step trains on zero gradients
    (D_ZERO.replace("    optim_D.zero_grad()\n    loss_D.backward()\n",
                    "    loss_D.backward()\n    optim_D.zero_grad()\n"), 1.0, "the weights did not change",
     "weights-unchanged"),
    (D_ZERO.replace("    optim_D.zero_grad()\n", ""), 1.0, "left over from earlier steps", "stale-gradients"),
    (D_ZERO.replace("    optim_D.step()\n", "    torch.optim.Adam(D.parameters(), lr=1e-3).step()\n"),
     1.0, "did not take one step of optim_D", "not-one-step"),
    (D_ZERO.replace("    optim_D.step()\n", "    optim_D.step()\n    optim_D.step()\n"),
     1.0, "did not take one step of optim_D", "not-one-step"),
])
def test_optimizer_mistakes_in_the_discriminator_step_cost_its_two_points(capfd, shown, steps, points, reason, key):
    """Does each wrong use of optim_D, even outside the TODO lines, lose D's step (2 points), with its
    reason printed and its key shown?"""
    ns = notebook(TRAINING_STEPS.replace(D_ZERO, steps))
    assert mlp_gan.check_train_discriminator(ns["train_discriminator"]) == points
    assert reason in capfd.readouterr().out
    assert shown == [f"mlp_gan.train_discriminator.{key}"]


@pytest.mark.parametrize("edits, points, keys", [
    ([("fake_output = D(G(noise).detach())", "fake_output = D(G(noise))")], 2.0, ["no-detach"]),
    ([("torch.ones_like(real_output)", "torch.zeros_like(real_output)"),
      ("torch.zeros_like(fake_output))\n    loss_D", "torch.ones_like(fake_output))\n    loss_D")],
     1.0, ["swapped-labels"]),
])
def test_loss_mistakes_in_the_discriminator_step_are_keyed(shown, edits, points, keys):
    """Are a missing detach and swapped labels, which cost part of the points, named by their keys?"""
    source = TRAINING_STEPS
    for old, new in edits:
        assert source.count(old) == 1
        source = source.replace(old, new)
    ns = notebook(source)
    assert mlp_gan.check_train_discriminator(ns["train_discriminator"]) == points
    assert shown == [f"mlp_gan.train_discriminator.{key}" for key in keys]


@pytest.mark.parametrize("steps, reason, key", [
    (G_ZERO.replace("    optim_G.zero_grad()\n    loss_G.backward()\n",
                    "    loss_G.backward()\n    optim_G.zero_grad()\n"), "the weights did not change",
     "weights-unchanged"),
    (G_ZERO.replace("    optim_G.zero_grad()\n", ""), "left over from earlier steps", "stale-gradients"),
    (G_ZERO.replace("    optim_G.step()\n", "    optim_G.step()\n    torch.optim.SGD(D.parameters(), lr=0.1).step()\n"),
     "D's weights changed during the generator step", "d-updated"),
])
def test_optimizer_mistakes_in_the_generator_step_cost_its_update_point(capfd, shown, steps, reason, key):
    """Does each wrong use of optim_G lose the update point and keep the loss point, with its key shown?"""
    ns = notebook(TRAINING_STEPS.replace(G_ZERO, steps))
    assert mlp_gan.check_train_generator(ns["train_generator"]) == 1.0
    assert reason in capfd.readouterr().out
    assert shown == [f"mlp_gan.train_generator.{key}"]


@pytest.mark.parametrize("loss, key", [
    ("loss_G = loss_func(fake_output, torch.zeros_like(fake_output))", "fakes-labelled-fake"),
    ("loss_G = -loss_func(fake_output, torch.zeros_like(fake_output))", "saturating-loss"),
])
def test_wrong_generator_losses_are_keyed(shown, loss, key):
    """Are fakes labelled fake and the saturating loss named by their keys (the loss point lost)?"""
    ns = notebook(TRAINING_STEPS.replace("loss_G = loss_func(fake_output, torch.ones_like(fake_output))", loss))
    assert mlp_gan.check_train_generator(ns["train_generator"]) == 1.0
    assert shown == [f"mlp_gan.train_generator.{key}"]


LOGGING = """
import torchvision
from torch.utils.tensorboard import SummaryWriter


def open_writer(logdir):
    return SummaryWriter(log_dir=logdir)


def log_losses(writer, loss_D, loss_G, epoch, i, steps_per_epoch):
    writer.add_scalar("Loss/D", loss_D, epoch * steps_per_epoch + i)
    writer.add_scalar("Loss/G", loss_G, epoch * steps_per_epoch + i)


def log_samples(writer, fake_images, epoch):
    writer.add_image("Generated Images", torchvision.utils.make_grid(fake_images, normalize=True), epoch)


def log_graph(writer, G, D, noise):
    writer.add_graph(nn.Sequential(G, D), noise)
"""


def _logging_points(source):
    ns = notebook(source)
    return mlp_gan.check_tensorboard_logging(ns["open_writer"], ns["log_losses"], ns["log_samples"],
                                             ns["log_graph"])


def test_correct_tensorboard_logging_earns_three_points_silently(capfd):
    """Are event files with both losses, a [0, 1] grid per epoch and G -> D's graph worth 3, quietly?"""
    assert _logging_points(LOGGING) == 3.0
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize("old, new, reason, keys", [
    ("epoch * steps_per_epoch + i)\n    writer.add_scalar(\"Loss/G\", loss_G, epoch * steps_per_epoch + i)",
     "i)\n    writer.add_scalar(\"Loss/G\", loss_G, i)", "each epoch overwrites the last", ["steps-repeat"]),
    ('writer.add_scalar("Loss/D", loss_D', 'writer.add_scalar("Loss/D", loss_G', "Loss/D at step 0",
     ["losses-swapped"]),
    ("make_grid(fake_images, normalize=True)", "make_grid(fake_images)", "normalize=True", ["grid-not-normalized"]),
    ("torchvision.utils.make_grid(fake_images, normalize=True)", "(fake_images[0] + 1) / 2",
     "a grid of all 16 images", ["single-image"]),
    ("writer.add_graph(nn.Sequential(G, D), noise)", "writer.add_graph(G, noise)", "shows G alone",
     ["graph-not-g-to-d"]),
    ("writer.add_graph(nn.Sequential(G, D), noise)", "raise NotImplementedError()", "log_graph is not implemented",
     []),  # an error in the student's code, not a mistake the check names
])
def test_each_tensorboard_mistake_costs_one_point(capfd, shown, old, new, reason, keys):
    """Does each wrong part of the logging cost exactly its one point, with its reason and key?"""
    assert old in LOGGING
    assert _logging_points(LOGGING.replace(old, new)) == 2.0
    assert reason in capfd.readouterr().out
    assert shown == [f"mlp_gan.tensorboard_logging.{key}" for key in keys]


def test_a_writer_that_ignores_logdir_fails_the_whole_check():
    """Is a writer that logs somewhere else (./runs) caught before any point is given?"""
    source = LOGGING.replace("SummaryWriter(log_dir=logdir)", "SummaryWriter(log_dir=logdir + '-elsewhere')")
    with pytest.raises(GradingFailure, match="event files in the logdir passed to open_writer") as failure:
        _logging_points(source)
    assert failure.value.key == "mlp_gan.tensorboard_logging.logdir-ignored"
