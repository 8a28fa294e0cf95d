"""Hidden-test checks for the MLP GAN lab (the handout's TODOs).

Each check takes the student's object, runs it on small seeded inputs on the CPU, and compares
behaviour with the handout's specification computed from the student's own weights, so any
correct way of writing it passes (nn.Sequential or not, functional or module activations). A
network whose output differs has each of its activations named, wherever it is written
(``gan_lab.grading.activations``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gan_lab.grading.activations import IDENTITY, RELU, SIGMOID, TANH, explain, leaky_relu, trace_linears
from gan_lab.grading.core import (GradingFailure, build, call_student, check, describe_linears, expect,
                                  fail, fill_gradients, linear_layers, linears_with_widths, max_difference,
                                  note, require_student_code, sgd_step_on_copy, weights_match)
from gan_lab.i18n import _, clauses

TOLERANCE = 1e-5


def _generator_reference(layers, z):
    h = F.relu(layers[0](z))
    h = F.relu(layers[1](h))
    return torch.tanh(layers[2](h))


def _discriminator_reference(layers, x):
    h = F.leaky_relu(layers[0](x), 0.1)
    h = F.leaky_relu(layers[1](h), 0.1)
    return torch.sigmoid(layers[2](h))


# Before the first Linear layer, after each of the three (the last one: the output).
GENERATOR_ACTIVATIONS = (IDENTITY, RELU, RELU, TANH)
DISCRIMINATOR_ACTIVATIONS = (IDENTITY, leaky_relu(0.1), leaky_relu(0.1), SIGMOID)
_OUTPUT = 3


# The hints are read when a check fails, so they speak the course's language at that moment.
def _generator_hints():
    return [
        ({_OUTPUT: SIGMOID}, _("Sigmoid gives [0, 1], but the data lie in [-1, 1]: end with Tanh"), "output-sigmoid"),
        ({_OUTPUT: IDENTITY}, _("is the Tanh missing? Generated pixels must lie in [-1, 1] like the data"), "no-tanh"),
        ({1: leaky_relu(0.1), 2: leaky_relu(0.1)},
         _("LeakyReLU(0.1) is the discriminator's; the generator uses ReLU"), "discriminator-activation"),
    ]


def _discriminator_hints():
    return [
        ({_OUTPUT: IDENTITY}, _("is the Sigmoid missing? D must output a probability for BCELoss"), "no-sigmoid"),
        ({1: RELU, 2: RELU}, _("ReLU is the generator's; D uses LeakyReLU(0.1), which keeps a gradient "
                               "for negative inputs (Thought question 2)"), "generator-activation"),
        ({1: leaky_relu(0.01)},
         _("nn.LeakyReLU() and F.leaky_relu default to a slope of 0.01; the handout sets 0.1"), "default-slope"),
        ({1: leaky_relu(0.2)}, _("0.2 is the DCGAN paper's slope; the handout sets 0.1"), "dcgan-slope"),
    ]


@check
def check_generator(Generator) -> None:
    """Generator(input_dim, hidden_dim, output_dim): Linear, ReLU, Linear, ReLU, Linear, Tanh."""
    require_student_code(Generator, "Generator")
    for dims in ((100, 256, 784), (7, 12, 5)):  # a second size catches hard-coded widths
        torch.manual_seed(0)
        what = f"Generator{dims}"
        model = build(what, Generator, *dims)
        latent, hidden, output = dims
        layers = linears_with_widths(model, what, [(latent, hidden), (hidden, hidden), (hidden, output)])
        z = torch.randn(16, latent)
        # Translators: {what} is the student's model as built, e.g. Generator(100, 256, 784); {shape} a tensor shape.
        trace = trace_linears(_("{what}.forward on noise of shape {shape}").format(what=what, shape=(16, latent)),
                              model, layers, z)
        out = trace.output
        expect(out.shape == (16, output), _("{what} output shape").format(what=what), (16, output), tuple(out.shape))
        with torch.no_grad():
            difference = max_difference(out, _generator_reference(layers, z))
        if difference > TOLERANCE:
            explain(what, trace, GENERATOR_ACTIVATIONS, "Linear -> ReLU -> Linear -> ReLU -> Linear -> Tanh",
                    difference, _generator_hints())


@check
def check_discriminator(Discriminator) -> None:
    """Discriminator(input_dim, hidden_dim): Linear, LeakyReLU(0.1) x2, Linear(hidden, 1), Sigmoid."""
    require_student_code(Discriminator, "Discriminator")
    for dims in ((784, 256), (9, 6)):
        torch.manual_seed(0)
        what = f"Discriminator{dims}"
        model = build(what, Discriminator, *dims)
        size, hidden = dims
        layers = linears_with_widths(model, what, [(size, hidden), (hidden, hidden), (hidden, 1)])
        x = torch.randn(32, size) * 3  # wide inputs so negative slopes matter
        # Translators: {what} is the student's model as built; {shape} a tensor shape.
        trace = trace_linears(_("{what}.forward on inputs of shape {shape}").format(what=what, shape=(32, size)),
                              model, layers, x)
        out = trace.output
        expect(out.shape == (32, 1), _("{what} output shape").format(what=what), (32, 1), tuple(out.shape))
        with torch.no_grad():
            difference = max_difference(out, _discriminator_reference(layers, x))
        if difference > TOLERANCE:
            explain(what, trace, DISCRIMINATOR_ACTIVATIONS,
                    "Linear -> LeakyReLU(0.1) -> Linear -> LeakyReLU(0.1) -> Linear -> Sigmoid",
                    difference, _discriminator_hints())


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
        # flatten, not reshape(len(x), -1): add_graph traces this model, and len() warns there
        return self.net(x.flatten(1))  # (B, 1, 28, 28) or (B, 784) -> (B, 784)


def _pair(latent_dim: int):
    torch.manual_seed(1)
    generator, discriminator = _TinyGenerator(latent_dim), _TinyDiscriminator()
    return generator, discriminator


def _snapshot(model):
    return [p.detach().clone() for p in model.parameters()]


def _unchanged(before, model) -> bool:
    return all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def _loss_reason(name: str, found: float, expected: float, formula: str,
                 mistakes: list[tuple[float, str, str]]) -> str | None:
    """None when ``found`` is the expected loss; else why not, naming a known mistake (a list
    of (the value that mistake gives, what it is, its slug), noted)."""
    def close(a, b):
        return abs(a - b) <= 1e-4 * max(1.0, abs(b))

    if close(found, expected):
        return None
    for mistake, hint, slug in mistakes:
        if close(found, mistake):
            note(slug)
            # Translators: {name} is the loss's name in the code, e.g. loss_D; {hint} a sentence
            # on the likely mistake.
            return _("{name}: expected {expected:.4f}, found {found:.4f}: {hint}").format(
                name=name, expected=expected, found=found, hint=hint)
    # Translators: {name} is the loss's name in the code; {formula} its formula, as code.
    return _("{name}: expected {formula} = {expected:.4f}, found {found:.4f}").format(
        name=name, formula=formula, expected=expected, found=found)


def _saturating() -> str:
    return _("that is the saturating loss, -BCE(D(G(z)), zeros) = log(1 - D(G(z))), the minimax "
             "game's own term: it gives G almost no gradient while D rejects its fakes, which is "
             "early in training. Train G with BCE(D(G(z)), ones) = -log D(G(z)) instead")


def _as_float(value, what: str) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    if isinstance(value, float):
        return value
    fail(_("{what} return value").format(what=what), _("the loss as a number (loss.item())"), type(value).__name__)


def _step_reason(model, clean, before, stale: float, lr: float, optimizer: str) -> str | None:
    """None when ``model`` took exactly one clean step of ``optimizer``; else what went wrong
    (noted)."""
    if weights_match(model, clean):
        return None
    if _unchanged(before, model):
        note("weights-unchanged")
        # Translators: {optimizer} is the optimizer's name in the code, e.g. optim_D.
        return _("the weights did not change: clear the gradients with {optimizer}.zero_grad() "
                 "before loss.backward(), and call {optimizer}.step() after it (zero_grad "
                 "between backward and step wipes the gradients the step needs)").format(optimizer=optimizer)
    accumulated = [c - lr * stale for c in clean]  # SGD: the stale .grad adds to the new one
    if weights_match(model, accumulated):
        note("stale-gradients")
        return _("the update used gradients left over from earlier steps: call "
                 "{optimizer}.zero_grad() before loss.backward()").format(optimizer=optimizer)
    note("not-one-step")
    return _("the weights did not take one step of {optimizer} on this loss's gradients (a "
             "different optimizer, a second step, or a loss other than the one returned?)").format(optimizer=optimizer)


@check
def check_train_discriminator(train_discriminator) -> float:
    """3 points: D's step (2): the loss BCE(D(x), 1) + BCE(D(G(z)), 0) and one clean optim_D
    update from it; G left alone via detach (1)."""
    require_student_code(train_discriminator, "train_discriminator")
    batch, latent, lr, stale = 8, 5, 0.1, 3.0
    generator, discriminator = _pair(latent)
    real = torch.rand(batch, 1, 28, 28) * 2 - 1
    with torch.no_grad():  # the expected loss, from the same noise the student will draw
        torch.manual_seed(7)
        z = torch.randn(batch, latent)
        fakes = generator(z)
        expected = (F.binary_cross_entropy(discriminator(real), torch.ones(batch, 1))
                    + F.binary_cross_entropy(discriminator(fakes), torch.zeros(batch, 1))).item()
        on_real, on_fake = discriminator(real), discriminator(fakes)
        ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
        swapped = (F.binary_cross_entropy(on_real, zeros) + F.binary_cross_entropy(on_fake, ones)).item()
        all_fake = (F.binary_cross_entropy(on_real, zeros) + F.binary_cross_entropy(on_fake, zeros)).item()
        all_real = (F.binary_cross_entropy(on_real, ones) + F.binary_cross_entropy(on_fake, ones)).item()
    clean = sgd_step_on_copy(discriminator, lambda d: F.binary_cross_entropy(d(real), torch.ones(batch, 1))
                            + F.binary_cross_entropy(d(fakes), torch.zeros(batch, 1)), lr)
    fill_gradients(discriminator, stale)
    g_before, d_before = _snapshot(generator), _snapshot(discriminator)
    optimizer = torch.optim.SGD(discriminator.parameters(), lr=lr)
    torch.manual_seed(7)
    value = call_student("train_discriminator", train_discriminator, real, discriminator, generator,
                         nn.BCELoss(), optimizer, batch, latent, "cpu")
    found = _as_float(value, "train_discriminator")
    reason = _loss_reason("loss_D", found, expected, "real_loss + fake_loss",
                          [(swapped, _("the labels are swapped (real images are labelled 1, fakes 0)"),
                            "swapped-labels"),
                           (all_fake, _("the real images were labelled 0 too: real images are labelled 1 "
                                        "(torch.ones_like), fakes 0"), "real-labelled-fake"),
                           (all_real, _("the fake images were labelled 1 too: fakes are labelled 0 "
                                        "(torch.zeros_like), real images 1"), "fakes-labelled-real")])
    if reason is None:
        step = _step_reason(discriminator, clean, d_before, stale, lr, "optim_D")
        # Translators: {reason} says what went wrong with D's weight update.
        reason = None if step is None else _("D's update: {reason}").format(reason=step)
    points, reasons = (2.0, []) if reason is None else (0.0, [reason])
    grads = [p.grad for p in generator.parameters() if p.grad is not None and p.grad.abs().sum() > 0]
    if grads or not _unchanged(g_before, generator):
        note("no-detach")
        reasons.append(_("G received gradients from D's loss: detach the fake images (G(noise).detach())"))
    else:
        points += 1
    if reasons:
        # Translators: the partial-credit line of a check; {reasons} lists why points were withheld.
        print(_("train_discriminator: {reasons}").format(reasons=clauses(reasons)))
    return points


@check
def check_train_generator(train_generator) -> float:
    """2 points: the loss value BCE(D(G(z)), 1) (1); one clean optim_G update of G from it, D
    unchanged (1)."""
    require_student_code(train_generator, "train_generator")
    batch, latent, lr, stale = 8, 5, 0.1, 3.0
    generator, discriminator = _pair(latent)
    with torch.no_grad():
        torch.manual_seed(11)
        z = torch.randn(batch, latent)
        probs = discriminator(generator(z))
        expected = F.binary_cross_entropy(probs, torch.ones(batch, 1)).item()
        labelled_fake = F.binary_cross_entropy(probs, torch.zeros(batch, 1)).item()
    clean = sgd_step_on_copy(generator, lambda g: F.binary_cross_entropy(discriminator(g(z)),
                                                                        torch.ones(batch, 1)), lr)
    fill_gradients(generator, stale)
    g_before, d_before = _snapshot(generator), _snapshot(discriminator)
    optimizer = torch.optim.SGD(generator.parameters(), lr=lr)
    torch.manual_seed(11)
    value = call_student("train_generator", train_generator, discriminator, generator, nn.BCELoss(),
                         optimizer, batch, latent, "cpu")
    found = _as_float(value, "train_generator")
    reason = _loss_reason("loss_G", found, expected, "BCE(D(G(z)), ones)",
                          [(labelled_fake, _("G's fakes must be labelled real (ones), not fake"),
                            "fakes-labelled-fake"),
                           (-labelled_fake, _saturating(), "saturating-loss")])
    points, reasons = (1.0, []) if reason is None else (0.0, [reason])
    if not _unchanged(d_before, discriminator):
        note("d-updated")
        reasons.append(_("D's weights changed during the generator step: step optim_G only"))
    elif reason is not None:  # a wrong loss: the update cannot be compared, only required
        if _unchanged(g_before, generator):
            note("weights-unchanged")
            reasons.append(_("G's weights did not change: call optim_G.step() after backward()"))
        else:
            points += 1
    else:
        step = _step_reason(generator, clean, g_before, stale, lr, "optim_G")
        if step is None:
            points += 1
        else:
            # Translators: {reason} says what went wrong with G's weight update.
            reasons.append(_("G's update: {reason}").format(reason=step))
    if reasons:
        # Translators: the partial-credit line of a check; {reasons} lists why points were withheld.
        print(_("train_generator: {reasons}").format(reasons=clauses(reasons)))
    return points


@check
def check_build_models(build_models, Generator, Discriminator) -> None:
    """build_models(input_dim, hidden_dim, output_dim, device) -> G, D, optim_G, optim_D (Adam 2e-4)."""
    require_student_code(build_models, "build_models")
    torch.manual_seed(0)
    result = call_student("build_models", build_models, 6, 10, 784, torch.device("cpu"))
    if not isinstance(result, tuple) or len(result) != 4:
        fail(_("{what} return value").format(what="build_models"), _("a tuple (G, D, optim_G, optim_D)"),
             repr(type(result).__name__))
    generator, discriminator, optim_g, optim_d = result
    expect(type(generator) is Generator, "G", _("an instance of your Generator"), type(generator).__name__,
           mistake="not-your-generator")
    expect(type(discriminator) is Discriminator, "D", _("an instance of your Discriminator"),
           type(discriminator).__name__, mistake="not-your-discriminator")
    g_layers, d_layers = linear_layers(generator), linear_layers(discriminator)
    expect(g_layers and (g_layers[0].in_features, g_layers[0].out_features) == (6, 10),
           _("G's first layer"), _("input_dim -> hidden_dim (6->10 here)"), describe_linears(g_layers),
           mistake="generator-arguments")
    expect(d_layers and d_layers[0].in_features == 784,
           _("D's first layer"), _("output_dim inputs (784)"), describe_linears(d_layers),
           mistake="discriminator-arguments")
    for name, optimizer, model in (("optim_G", optim_g, generator), ("optim_D", optim_d, discriminator)):
        expect(isinstance(optimizer, torch.optim.Adam), name, "torch.optim.Adam", type(optimizer).__name__,
               mistake="not-adam")
        lr = optimizer.param_groups[0]["lr"]
        # Translators: {name} is the optimizer's name in the code, e.g. optim_G.
        expect(abs(lr - 2e-4) < 1e-12, _("{name} learning rate").format(name=name), 0.0002, lr, mistake="wrong-lr")
        owned = {id(p) for group in optimizer.param_groups for p in group["params"]}
        if owned != {id(p) for p in model.parameters()}:
            own, other = ("G", "D") if model is generator else ("D", "G")
            # Translators: {model} and {other} are the networks' names, G and D.
            fail(name, _("an optimizer over {model}'s parameters").format(model=own),
                 _("one over other parameters (swapped with {other}'s?)").format(other=other),
                 mistake="swapped-optimizers")
    for name, model in (("G", generator), ("D", discriminator)):
        devices = {p.device.type for p in model.parameters()}
        # Translators: {name} is a network's name, G or D.
        expect(devices == {"cpu"}, _("{name}'s device").format(name=name), _("the device passed in (cpu here)"),
               devices, mistake="wrong-device")


LOSS_TAGS = ("Loss/D", "Loss/G")
IMAGE_TAG = "Generated Images"


def _read_run(logdir):
    """The accumulator of a finished run, or a failure when nothing was written there."""
    from pathlib import Path

    from tensorboard.backend.event_processing import event_accumulator as ea

    if not any(Path(logdir).glob("**/events.out.tfevents.*")):
        fail(_("the TensorBoard folder"),
             # Translators: {logdir} is a folder's path.
             _("event files in the logdir passed to open_writer ({logdir})").format(logdir=logdir),
             _("none: create the writer with SummaryWriter(logdir)"), mistake="logdir-ignored")
    accumulator = ea.EventAccumulator(str(logdir), size_guidance={ea.SCALARS: 0, ea.IMAGES: 0})
    accumulator.Reload()
    return accumulator


def _scalars_reason(accumulator, losses) -> str | None:
    tags = accumulator.Tags()["scalars"]
    missing = [tag for tag in LOSS_TAGS if tag not in tags]
    if missing:
        note("wrong-scalar-tags")
        # Translators: {expected} and {found} are lists of TensorBoard tags, e.g. Loss/D, Loss/G.
        return _("scalar tags: expected {expected}, found {found}").format(
            expected=", ".join(LOSS_TAGS), found=", ".join(tags) or _("none"))
    for tag, column in zip(LOSS_TAGS, (0, 1)):
        events = accumulator.Scalars(tag)
        steps = [event.step for event in events]
        expected_steps = list(range(len(losses)))
        if sorted(steps) != expected_steps:
            if len(set(steps)) < len(steps):
                note("steps-repeat")
                # Translators: {tag} is a TensorBoard tag, e.g. Loss/D; {steps} a list of numbers.
                return _("{tag}: the steps {steps} repeat, so each epoch overwrites the "
                         "last one's curve: the global step is epoch * steps_per_epoch + i").format(
                    tag=tag, steps=sorted(set(steps)))
            note("wrong-global-steps")
            return _("{tag}: expected the global steps 0 to {last}, found {steps}").format(
                tag=tag, last=len(losses) - 1, steps=sorted(steps))
        values = dict((event.step, event.value) for event in events)
        wrong = [step for step in expected_steps if abs(values[step] - losses[step][column]) > 1e-5]
        if wrong:
            other = "Loss/G" if tag == "Loss/D" else "Loss/D"
            swapped = all(abs(values[s] - losses[s][1 - column]) <= 1e-5 for s in expected_steps)
            if swapped:
                note("losses-swapped")
                # Translators: {tag} and {other} are TensorBoard tags, e.g. Loss/D and Loss/G.
                return _("{tag} at step {step}: expected {expected:.4f}, found {found:.4f} (that is "
                         "{other}'s loss: swapped?)").format(tag=tag, step=wrong[0],
                                                            expected=losses[wrong[0]][column],
                                                            found=values[wrong[0]], other=other)
            return _("{tag} at step {step}: expected {expected:.4f}, found {found:.4f}").format(
                tag=tag, step=wrong[0], expected=losses[wrong[0]][column], found=values[wrong[0]])
    return None


def _images_reason(accumulator, epochs: int, count: int) -> str | None:
    import io

    import numpy as np
    from PIL import Image

    tags = accumulator.Tags()["images"]
    if IMAGE_TAG not in tags:
        note("wrong-image-tag")
        # Translators: {expected} and {found} are quoted TensorBoard tags.
        return _("image tag: expected {expected}, found {found}").format(
            expected=repr(IMAGE_TAG), found=", ".join(map(repr, tags)) or _("none"))
    events = accumulator.Images(IMAGE_TAG)
    if sorted(event.step for event in events) != list(range(epochs)):
        note("not-one-grid-per-epoch")
        # Translators: {tag} is the TensorBoard image tag, Generated Images; {steps} a list of numbers.
        return _("{tag}: expected one grid per epoch at steps 0 to {last}, found steps {steps}").format(
            tag=IMAGE_TAG, last=epochs - 1, steps=sorted(event.step for event in events))
    pixels = np.asarray(Image.open(io.BytesIO(events[-1].encoded_image_string)).convert("L"))
    if pixels.size < count * 28 * 28:
        note("single-image")
        return _("{tag}: expected a grid of all {count} images (make_grid), found one image of "
                 "{width}x{height} pixels").format(tag=IMAGE_TAG, count=count, width=pixels.shape[1],
                                                   height=pixels.shape[0])
    # Each test image is about half -1 and half 0: in [0, 1] the zeros are mid-grey (128 of 255).
    grey = float(((pixels > 100) & (pixels < 156)).mean())
    if grey < 0.25:
        note("grid-not-normalized")
        # Translators: {share} is a percentage, e.g. 12%.
        return _("{tag}: expected the images in [0, 1], with G's 0 as mid-grey, found "
                 "{share} of the pixels mid-grey: TensorBoard cuts values outside [0, 1] off, so "
                 "map G's [-1, 1] onto [0, 1] (make_grid(..., normalize=True))").format(
            tag=IMAGE_TAG, share=f"{grey:.0%}")
    return None


def _graph_reason(accumulator) -> str | None:
    if not accumulator.Tags()["graph"]:
        note("no-graph")
        return _("no model graph was written: writer.add_graph(model, noise)")
    ops = {node.op for node in accumulator.Graph().node}
    has_g, has_d = "aten::tanh" in ops, "aten::sigmoid" in ops
    if not (has_g and has_d):
        only = "G" if has_g else "D" if has_d else _("neither network")
        note("graph-not-g-to-d")
        # Translators: {only} is G, D or "neither network".
        return _("the graph shows {only} alone; expected G feeding D in one graph "
                 "(trace nn.Sequential(G, D) on the noise)").format(only=only)
    return None


@check
def check_tensorboard_logging(open_writer, log_losses, log_samples, log_graph) -> float:
    """3 points: per-step losses at global steps (1), one [0, 1] grid per epoch (1), G -> D graph (1).

    The student's functions log a short made-up run into a fresh folder; the event files are
    then read back as TensorBoard reads them.
    """
    import tempfile

    for fn, name in ((open_writer, "open_writer"), (log_losses, "log_losses"),
                     (log_samples, "log_samples"), (log_graph, "log_graph")):
        require_student_code(fn, name)
    epochs, steps_per_epoch, count = 3, 4, 16
    losses = [(1.0 + 0.01 * s, 2.0 - 0.02 * s) for s in range(epochs * steps_per_epoch)]
    images = torch.full((count, 1, 28, 28), -1.0)
    images[:, :, 14:, :] = 0.0  # the lower half of every image sits mid-range
    images[:, :, 2:6, 2:6] = 1.0  # and a white square: the batch spans G's whole [-1, 1]
    generator, discriminator = _pair(5)
    with tempfile.TemporaryDirectory(prefix="gan-lab-tensorboard-") as folder:
        logdir = f"{folder}/run"
        writer = call_student("open_writer", open_writer, logdir)
        for method in ("add_scalar", "add_image", "add_graph", "close"):
            expect(callable(getattr(writer, method, None)), _("open_writer's return value"),
                   _("a SummaryWriter"), type(writer).__name__)
        raised = {}  # part -> why the student's function failed; each part costs its own point

        def attempt(part, calls):
            try:
                calls()
            except GradingFailure as failure:
                raised[part] = str(failure)

        def log_all_losses():
            for epoch in range(epochs):
                for i in range(steps_per_epoch):
                    loss_d, loss_g = losses[epoch * steps_per_epoch + i]
                    call_student("log_losses", log_losses, writer, loss_d, loss_g, epoch, i, steps_per_epoch)

        def log_all_samples():
            for epoch in range(epochs):
                call_student("log_samples", log_samples, writer, images.clone(), epoch)

        try:
            attempt("graph", lambda: call_student("log_graph", log_graph, writer, generator, discriminator,
                                                  torch.randn(2, 5)))
            attempt("losses", log_all_losses)
            attempt("images", log_all_samples)
        finally:
            writer.close()
        accumulator = _read_run(logdir)
        reasons = [raised.get(part) or reason(accumulator)
                   for part, reason in (("losses", lambda a: _scalars_reason(a, losses)),
                                        ("images", lambda a: _images_reason(a, epochs, count)),
                                        ("graph", _graph_reason))]
        reasons = [r for r in reasons if r is not None]
    if reasons:
        # Translators: the partial-credit line of a check; {reasons} lists why points were withheld.
        print(_("TensorBoard logging: {reasons}").format(reasons=clauses(reasons)))
    return 3.0 - len(reasons)


__all__ = ["GradingFailure", "check_build_models", "check_discriminator", "check_generator",
           "check_tensorboard_logging", "check_train_discriminator", "check_train_generator"]
