"""Tests for gan_lab.grading.dcgan, on student code defined as a notebook defines it."""

import pytest
import torch

from gan_lab.grading import GradingFailure, dcgan
from student_code import notebook

def silently(capfd, check, *args):
    """Run a check; assert it wrote nothing to stderr and left the global RNG as it was."""
    state = torch.get_rng_state()
    result = check(*args)
    assert capfd.readouterr().err == ""
    assert torch.equal(state, torch.get_rng_state())
    return result


# --------------------------------------------------------------------------- weights_init_normal
INIT = """
def weights_init_normal(m):
    if isinstance(m, nn.Conv2d):
        nn.init.normal_(m.weight, mean=0.0, std=0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, mean=1.0, std=0.02)
        nn.init.constant_(m.bias, 0.0)
"""

INIT_BY_CLASS_NAME = """
def weights_init_normal(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        torch.nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm2d") != -1:
        torch.nn.init.normal_(m.weight.data, 1.0, 0.02)
        torch.nn.init.constant_(m.bias.data, 0.0)
"""

INIT_WITH_LINEAR = """
def weights_init_normal(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        m.weight.data.normal_(0.0, 0.02)
        if m.bias is not None:
            m.bias.data.zero_()
    elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.fill_(0)
"""


@pytest.mark.parametrize("source", [INIT, INIT_BY_CLASS_NAME, INIT_WITH_LINEAR],
                         ids=["isinstance", "class-name", "with-linear"])
def test_correct_initialisations_pass(capfd, source):
    """Are isinstance tests, the notes' class-name tests and extra layer kinds all accepted, silently?"""
    silently(capfd, dcgan.check_weights_init_normal, notebook(source)["weights_init_normal"])


@pytest.mark.parametrize("old, new, message, key", [
    ("mean=0.0, std=0.02)\n    elif", "mean=0.0, std=0.2)\n    elif", "0.2 is ten times the paper's spread",
     "spread-ten-times"),
    ("mean=0.0, std=0.02)\n    elif", "mean=0.0, std=0.02 ** 0.5)\n    elif", "did you pass the variance 0.02",
     "variance-not-std"),
    ("mean=1.0, std=0.02)", "mean=0.0, std=0.02)", "centred at 0 like the conv weights", "bn-weight-centred-at-0"),
    ("        nn.init.constant_(m.bias, 0.0)\n", "", "BatchNorm2d biases: expected all 0", "bn-bias-not-initialized"),
    ("isinstance(m, nn.Conv2d)", "isinstance(m, nn.Linear)", "does your test recognise nn.Conv2d",
     "conv-not-initialized"),
    ("isinstance(m, nn.BatchNorm2d)", "isinstance(m, nn.BatchNorm1d)", "does your test recognise nn.BatchNorm2d",
     "bn-not-initialized"),
], ids=["std-0.2", "variance", "bn-mean-0", "bn-bias", "no-conv", "no-batchnorm"])
def test_initialisation_mistakes_are_named(old, new, message, key):
    """Does each classic initialisation mistake fail with a message and a key naming it?"""
    assert old in INIT
    with pytest.raises(GradingFailure, match=message) as failure:
        dcgan.check_weights_init_normal(notebook(INIT.replace(old, new))["weights_init_normal"])
    assert failure.value.key == f"dcgan.weights_init_normal.{key}"


def test_the_init_stub_is_not_implemented():
    """Does the untouched stub fail with 'not implemented yet'?"""
    ns = notebook("def weights_init_normal(m):\n    raise NotImplementedError()\n")
    with pytest.raises(GradingFailure, match="not implemented yet") as failure:
        dcgan.check_weights_init_normal(ns["weights_init_normal"])
    assert (failure.value.key, failure.value.cause) == (None, "NotImplementedError")  # no mistake named


def test_calling_the_reference_init_is_delegation():
    """Does a weights_init_normal that calls gan_lab.models earn nothing?"""
    ns = notebook("""
        from gan_lab.models import dcgan as reference
        def weights_init_normal(m):
            reference.weights_init_normal(m)
    """)
    with pytest.raises(GradingFailure, match="a call into gan_lab.models") as failure:
        dcgan.check_weights_init_normal(ns["weights_init_normal"])
    assert failure.value.key == "dcgan.weights_init_normal.uses-reference-code"


def test_the_imported_reference_init_is_delegation():
    """Is gan_lab's own weights_init_normal, imported as is, rejected?"""
    from gan_lab.models import weights_init_normal

    with pytest.raises(GradingFailure, match="must be written in this notebook") as failure:
        dcgan.check_weights_init_normal(weights_init_normal)
    assert failure.value.key == "dcgan.weights_init_normal.not-in-notebook"


# --------------------------------------------------------------------------- discriminator_block
BLOCK = """
def discriminator_block(in_filters, out_filters, bn=True):
    block = [nn.Conv2d(in_filters, out_filters, 3, 2, 1), nn.LeakyReLU(0.2, inplace=True), nn.Dropout2d(0.25)]
    if bn:
        block.append(nn.BatchNorm2d(out_filters, 0.8))
    return block
"""

BLOCK_KEYWORDS = """
def discriminator_block(in_filters, out_filters, bn=True):
    layers = [
        nn.Conv2d(in_filters, out_filters, kernel_size=3, stride=2, padding=1),
        nn.LeakyReLU(negative_slope=0.2),
        nn.Dropout2d(p=0.25),
    ]
    return layers + [nn.BatchNorm2d(out_filters, eps=0.8)] if bn else layers
"""

BLOCK_SEQUENTIAL = """
def discriminator_block(in_filters, out_filters, bn=True):
    layers = nn.Sequential(nn.Conv2d(in_filters, out_filters, 3, 2, 1), nn.LeakyReLU(0.2), nn.Dropout2d(0.25))
    if bn:
        layers.append(nn.BatchNorm2d(out_filters, 0.8))
    return layers
"""


@pytest.mark.parametrize("source", [BLOCK, BLOCK_KEYWORDS, BLOCK_SEQUENTIAL],
                         ids=["reference", "keywords", "sequential"])
def test_correct_blocks_pass(capfd, source):
    """Are positional, keyword and nn.Sequential versions accepted, silently?"""
    silently(capfd, dcgan.check_discriminator_block, notebook(source)["discriminator_block"])


@pytest.mark.parametrize("old, new, message, key", [
    ("3, 2, 1)", "3, 1, 1)", "Conv2d stride: expected 2", "wrong-stride"),
    ("nn.LeakyReLU(0.2, inplace=True)", "nn.LeakyReLU(inplace=True)", "defaults to 0.01", "default-slope"),
    ("nn.LeakyReLU(0.2, inplace=True)", "nn.ReLU(inplace=True)", "activation: expected one LeakyReLU",
     "wrong-activation"),
    ("nn.Dropout2d(0.25)", "nn.Dropout(0.25)", "expected one Dropout2d", "no-dropout2d"),
    ("nn.Dropout2d(0.25)", "nn.Dropout2d(0.5)", "Dropout2d probability: expected 0.25", "dropout-rate"),
    ("        block.append(nn.BatchNorm2d(out_filters, 0.8))\n", "        pass\n",
     "a BatchNorm2d at the end of the block when bn is True", "no-batchnorm"),
    ("if bn:", "if True:", "expected no BatchNorm2d when bn=False", "batchnorm-when-bn-false"),
    ("nn.BatchNorm2d(out_filters, 0.8)", "nn.BatchNorm2d(out_filters, momentum=0.8)", "its positional 0.8 sets eps",
     "momentum-set-to-0-8"),
    ("nn.BatchNorm2d(out_filters, 0.8)", "nn.BatchNorm2d(out_filters)", "keep the reference's second argument",
     "default-eps"),
    ("nn.Conv2d(in_filters, out_filters, 3, 2, 1)", "nn.Conv2d(in_filters, 16, 3, 2, 1)",
     r"Conv2d channels: expected 5 -> 7", "conv-channels"),
    ("    block = [nn.Conv2d(in_filters, out_filters, 3, 2, 1),",
     "    block = [nn.Conv2d(in_filters, out_filters, 3, 1, 1), nn.MaxPool2d(2),", "no pooling layer", "uses-pooling"),
    ("    return block", "    return nn.Sequential(*block)[0]", "a list of layers", "single-layer-not-list"),
], ids=["stride-1", "slope-0.01", "relu", "dropout", "dropout-0.5", "bn-missing", "bn-always", "momentum",
        "no-eps", "fixed-channels", "pooling", "single-module"])
def test_block_mistakes_are_named(old, new, message, key):
    """Does each classic block mistake fail with a message and a key naming it?"""
    assert old in BLOCK
    with pytest.raises(GradingFailure, match=message) as failure:
        dcgan.check_discriminator_block(notebook(BLOCK.replace(old, new))["discriminator_block"])
    assert failure.value.key == f"dcgan.discriminator_block.{key}"


def test_batchnorm_before_the_activation_is_out_of_order():
    """Is the textbook Conv, BatchNorm, LeakyReLU order reported as not the reference's order?"""
    ns = notebook("""
        def discriminator_block(in_filters, out_filters, bn=True):
            block = [nn.Conv2d(in_filters, out_filters, 3, 2, 1)]
            if bn:
                block.append(nn.BatchNorm2d(out_filters, 0.8))
            return block + [nn.LeakyReLU(0.2), nn.Dropout2d(0.25)]
    """)
    with pytest.raises(GradingFailure, match="layer order: expected Conv2d -> LeakyReLU -> Dropout2d -> BatchNorm2d") \
            as failure:
        dcgan.check_discriminator_block(ns["discriminator_block"])
    assert failure.value.key == "dcgan.discriminator_block.layer-order"


def test_the_block_stub_is_not_implemented():
    """Does the untouched stub fail with 'not implemented yet'?"""
    ns = notebook("def discriminator_block(in_filters, out_filters, bn=True):\n    raise NotImplementedError()\n")
    with pytest.raises(GradingFailure, match="not implemented yet"):
        dcgan.check_discriminator_block(ns["discriminator_block"])


def test_calling_the_reference_block_is_delegation():
    """Does a block that returns gan_lab's reference block earn nothing?"""
    ns = notebook("""
        from gan_lab.models.dcgan import discriminator_block as reference_block
        def discriminator_block(in_filters, out_filters, bn=True):
            return reference_block(in_filters, out_filters, bn)
    """)
    with pytest.raises(GradingFailure, match="a call into gan_lab.models.dcgan") as failure:
        dcgan.check_discriminator_block(ns["discriminator_block"])
    assert failure.value.key == "dcgan.discriminator_block.uses-reference-code"


# --------------------------------------------------------------------------- Generator
GENERATOR = """
class Generator(nn.Module):
    def __init__(self, latent_dim=100, img_size=32, channels=1):
        super().__init__()
        self.init_size = img_size // 4
        self.l1 = nn.Sequential(nn.Linear(latent_dim, 128 * self.init_size ** 2))
        self.conv_blocks = nn.Sequential(
            nn.BatchNorm2d(128),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(128, 128, 3, stride=1, padding=1),
            nn.BatchNorm2d(128, 0.8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(128, 64, 3, stride=1, padding=1),
            nn.BatchNorm2d(64, 0.8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(64, channels, 3, stride=1, padding=1),
            nn.Tanh(),
        )

    def forward(self, z):
        out = self.l1(z)
        out = out.view(out.shape[0], 128, self.init_size, self.init_size)
        return self.conv_blocks(out)
"""

FORWARD = """        out = self.l1(z)
        out = out.view(out.shape[0], 128, self.init_size, self.init_size)
        return self.conv_blocks(out)
"""


@pytest.mark.parametrize("forward", [
    FORWARD,
    "        return self.conv_blocks(self.l1(z).reshape(-1, 128, self.init_size, self.init_size))\n",
    "        return self.conv_blocks(self.l1(z).unflatten(1, (128, self.init_size, self.init_size)))\n",
    ("        out = self.l1(z).view(len(z), 128, self.init_size, self.init_size)\n"
     "        for layer in self.conv_blocks:\n            out = layer(out)\n        return out\n"),
], ids=["view", "reshape", "unflatten", "layer-by-layer"])
def test_correct_forwards_pass(capfd, forward):
    """Are view, reshape with -1, unflatten and a loop over conv_blocks all accepted, silently?"""
    source = GENERATOR.replace(FORWARD, forward)
    silently(capfd, dcgan.check_generator, notebook(source)["Generator"])


@pytest.mark.parametrize("forward, message, key", [
    ("        out = self.l1(z)\n        return self.conv_blocks(out.view(out.shape[0], 128, 8, 8))\n",
     "reshape with self.init_size", "dcgan.generator.fixed-init-size"),
    ("        out = self.l1(z)\n        return out.view(out.shape[0], 128, self.init_size, self.init_size)\n",
     "return the image that self.conv_blocks makes", "dcgan.generator.conv-blocks-not-applied"),
    (("        out = self.l1(z).view(z.shape[0], self.init_size, self.init_size, 128)\n"
      "        return self.conv_blocks(out.permute(0, 3, 1, 2))\n"),
     "a permute or a channels-last view", "dcgan.generator.maps-in-wrong-order"),
    ("        raise NotImplementedError()\n", "not implemented yet", None),
], ids=["fixed-8", "no-conv-blocks", "channels-last", "stub"])
def test_forward_mistakes_are_named(forward, message, key):
    """Does each classic reshape mistake fail with a message and a key naming it (the stub: no key)?"""
    source = GENERATOR.replace(FORWARD, forward)
    with pytest.raises(GradingFailure, match=message) as failure:
        dcgan.check_generator(notebook(source)["Generator"])
    assert failure.value.key == key


def test_subclassing_the_reference_generator_is_delegation():
    """Does a Generator that subclasses gan_lab's DCGANGenerator earn nothing?"""
    ns = notebook("""
        from gan_lab.models import DCGANGenerator
        class Generator(DCGANGenerator):
            pass
    """)
    with pytest.raises(GradingFailure, match="a subclass of gan_lab.models.dcgan.DCGANGenerator") as failure:
        dcgan.check_generator(ns["Generator"])
    assert failure.value.key == "dcgan.generator.uses-reference-code"


# --------------------------------------------------------------------------- BatchNorm2d reading
@pytest.mark.parametrize("argument, momentum, points", [
    ("eps", 0.1, 2.0), (" Epsilon ", 0.1, 2.0), ("eps", 0.8, 1.0), ("momentum", 0.1, 1.0),
    ("momentum", 0.8, 0.0), (None, None, 0.0),
])
def test_reading_exercise_earns_a_point_per_answer(capfd, argument, momentum, points):
    """Does each right answer earn its point, silently?"""
    assert silently(capfd, dcgan.check_batchnorm_reading, argument, momentum) == points


@pytest.mark.parametrize("argument, momentum, message, keys", [
    ("momentum", 0.1, "positional arguments fill the signature", ["answered-momentum"]),
    ("eps", 0.8, "the 0.8 went to eps", ["answered-momentum-0-8"]),
    ("eps", 0.9, "the Keras convention", ["keras-momentum"]),
    ("eps", "0.1", "as a number", []),  # not a mistake the check names
])
def test_reading_exercise_mistakes_are_explained(capfd, shown, argument, momentum, message, keys):
    """Is the reason for each lost point printed (on stdout, for the feedback), and its key shown to the
    graded notebook?"""
    dcgan.check_batchnorm_reading(argument, momentum)
    captured = capfd.readouterr()
    assert message in captured.out and captured.err == ""
    assert shown == [f"dcgan.batchnorm_reading.{key}" for key in keys]


TRAINING_STEP = """
def training_step(generator, discriminator, optimizer_G, optimizer_D, real_imgs, z, adversarial_loss):
    valid = torch.ones(real_imgs.shape[0], 1)
    fake = torch.zeros(real_imgs.shape[0], 1)

    optimizer_G.zero_grad()
    gen_imgs = generator(z)
    g_loss = adversarial_loss(discriminator(gen_imgs), valid)
    g_loss.backward()
    optimizer_G.step()

    optimizer_D.zero_grad()
    real_loss = adversarial_loss(discriminator(real_imgs), valid)
    fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
    d_loss = (real_loss + fake_loss) / 2
    d_loss.backward()
    optimizer_D.step()
    return g_loss, real_loss, fake_loss, d_loss
"""

D_FIRST = """
def training_step(generator, discriminator, optimizer_G, optimizer_D, real_imgs, z, adversarial_loss):
    valid = torch.ones(real_imgs.shape[0], 1)
    fake = torch.zeros(real_imgs.shape[0], 1)
    gen_imgs = generator(z)
    optimizer_D.zero_grad()
    real_loss = adversarial_loss(discriminator(real_imgs), valid)
    fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
    d_loss = (real_loss + fake_loss) / 2
    d_loss.backward()
    optimizer_D.step()
    optimizer_G.zero_grad()
    g_loss = adversarial_loss(discriminator(gen_imgs), valid)
    g_loss.backward()
    optimizer_G.step()
    return g_loss, real_loss, fake_loss, d_loss
"""


def _step_points(source):
    return dcgan.check_training_step(notebook(source)["training_step"])


def test_the_reference_step_earns_four_points_silently(capfd):
    """Does the notes' step (G first, D on the mean of its terms) earn 4 points, with nothing printed?"""
    assert _step_points(TRAINING_STEP) == 4.0
    assert capfd.readouterr() == ("", "")


def test_fresh_fakes_from_the_updated_generator_are_accepted():
    """Is D trained on G(z) regenerated after G's update (the same z) accepted too?"""
    source = TRAINING_STEP.replace("discriminator(gen_imgs.detach())", "discriminator(generator(z).detach())")
    assert _step_points(source) == 4.0


@pytest.mark.parametrize("old, new, points, reason, keys", [
    ("d_loss = (real_loss + fake_loss) / 2", "d_loss = real_loss + fake_loss", 2.0, "found the sum",
     ["d-loss-sum-not-mean"]),
    ("g_loss = adversarial_loss(discriminator(gen_imgs), valid)",
     "g_loss = adversarial_loss(discriminator(gen_imgs), fake)", 2.0, "labelled valid", ["g-labelled-fake"]),
    ("    optimizer_G.zero_grad()\n", "", 2.0, "left over from the previous step", ["g-stale-gradients"]),
    ("    optimizer_D.zero_grad()\n", "", 2.0, "call optimizer_D.zero_grad() first", ["d-not-one-step"]),
    ("discriminator(gen_imgs.detach())", "discriminator(generator(z))", 2.0, "detach", ["no-detach"]),
    ("    optimizer_G.step()\n", "    optimizer_D.step()\n", 0.0, "one step of optimizer_G",
     ["g-not-one-step"]),  # and D's losses, after D's extra step, are wrong values the check does not name
    ("fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)",
     "fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), valid)", 2.0, "real_loss, fake_loss: expected",
     []),  # wrong values the check does not name
])
def test_each_step_mistake_costs_its_half(capfd, shown, old, new, points, reason, keys):
    """Does each wrong line cost G's or D's half (2 points) with its reason printed and its key shown?"""
    assert old in TRAINING_STEP
    assert _step_points(TRAINING_STEP.replace(old, new)) == points
    assert reason in capfd.readouterr().out
    assert shown == [f"dcgan.training_step.{key}" for key in keys]


def test_training_d_first_costs_g_half_with_the_order_named(capfd, shown):
    """Does lab 1's order (D, then G against the new D) cost G's half and say why?"""
    assert _step_points(D_FIRST) == 2.0
    assert "G was updated after D" in capfd.readouterr().out
    assert shown == ["dcgan.training_step.g-after-d"]


def test_a_step_that_returns_too_little_fails():
    """Is a step that returns only two losses a failure naming the four it must return?"""
    source = TRAINING_STEP.replace("return g_loss, real_loss, fake_loss, d_loss", "return g_loss, d_loss")
    with pytest.raises(GradingFailure, match="the four losses") as failure:
        _step_points(source)
    assert failure.value.key is None  # a return value, not a mistake the check names


def test_reusing_gen_imgs_without_detach_names_the_detach():
    """Does D's loss through G's spent graph fail with the fix named, not a bare autograd error?"""
    source = TRAINING_STEP.replace("discriminator(gen_imgs.detach())", "discriminator(gen_imgs)")
    with pytest.raises(GradingFailure, match="pass gen_imgs.detach") as failure:
        _step_points(source)
    assert failure.value.key == "dcgan.training_step.no-detach"
