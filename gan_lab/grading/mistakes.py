"""Every mistake the checks name, under a stable key, and how a graded notebook keeps them.

A key reads ``<lab>.<todo>.<mistake>``, e.g. ``mlp_gan.train_discriminator.no-detach``: the
grading module, the check's TODO (its name without ``check_``) and the mistake. Once released a
key never changes: ``gan-lab report`` counts keys across a class, and across terms, and
``tests/test_mistake_keys.py`` holds the released list.

While a check runs (``checking``), the failure it raises and the mistakes it notes for partial
credit (``gan_lab.grading.core.note``) are collected. In a notebook kernel they are then
displayed as one output of MIME type ``MIME`` (JSON) in the test cell: the graded notebook keeps
it for the report, the feedback page leaves it out
(``gan_lab.course.nbgrader_ext.HideHiddenTests``), and a front end that does not know the type
shows nothing. Outside a kernel (the re-check, unit tests) nothing is displayed.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import re
from typing import Callable, Iterator, Optional

MIME = "application/vnd.gan-lab.grading+json"
KEY = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9][a-z0-9-]*")

# key -> what the mistake is, as the class report lists it (one line, for an instructor).
#
# A helper that several checks share (``core.require_student_code``, ``core.linears_with_widths``,
# ``activations.trace_linears`` and ``activations.explain``, the losses lab's ``_diagnose``) names
# its mistake with one slug, whose key then depends on the check that ran it: ``_each`` lists
# those keys for every check that can reach them.
def _each(lab: str, todos: tuple[str, ...], mistakes: dict[str, str]) -> dict[str, str]:
    return {f"{lab}.{todo}.{slug}": text for todo in todos for slug, text in mistakes.items()}


_OWN_CODE = {  # core.require_student_code
    "not-defined": "the answer was not defined when its test ran (its cell not run, or the name changed)",
    "not-in-notebook": "the answer was imported from another module instead of written in the notebook",
    "uses-reference-code": "the answer subclasses, imports or calls the course's reference code in gan_lab",
}
_LINEAR_NETWORK = {  # core.linears_with_widths, activations.trace_linears and activations.explain
    "layer-widths": "the Linear layers' in/out widths are wrong (a hard-coded size, a layer missing or extra)",
    "linear-unused": "a Linear layer made in __init__ never runs in forward",
    "linear-reused": "a Linear layer runs more than once in one forward pass",
    "linear-order": "forward applies the Linear layers in another order than the specification",
    "wrong-activation": "an activation differs from the specification, in a way no specific hint covers",
    "other-difference": "every activation is right, yet forward computes something else (a scale, dropout, a norm)",
}
_LOSS_CALL = {  # gan_losses._call_loss, _loss_value and _check_backward
    "bce-on-logits": "binary_cross_entropy on logits (it needs probabilities): use the _with_logits version",
    "not-reduced": "returned a per-element loss tensor instead of a scalar (no mean taken)",
    "graph-cut": "the loss is cut off from the scores' graph (.item(), .detach() or torch.tensor), so no gradients",
}
_ARCHITECTURE = {  # gan_losses._expect_widths, _expect_parameters and _diagnose
    "layer-widths": "the Linear layers' in/out widths are wrong",
    "no-bias": "a Linear layer built with bias=False",
    "parameter-count": "the right Linear layers, but a different number of parameters (an extra or missing layer)",
    "wrong-activation": "an activation differs from the handout's, in a way no specific hint covers",
    "other-difference": "every activation is right, yet the output differs from the handout's layers",
}
_LAB1 = ("generator", "discriminator", "train_discriminator", "train_generator", "build_models",
         "tensorboard_logging")
_LAB2 = ("weights_init_normal", "discriminator_block", "generator", "training_step")
_LAB3 = ("discriminator_loss", "generator_loss", "ls_discriminator_loss", "ls_generator_loss", "sample_noise",
         "get_optimizer", "discriminator", "generator", "build_dc_classifier", "build_dc_generator",
         "minimax_answers")
_LAB4 = ("get_distribution_sampler", "get_generator_input_sampler", "generator", "discriminator",
         "decorate_with_diffs")

MISTAKES: dict[str, str] = {
    # Outside any one TODO.
    "grading.kernel.tampered": "the kernel's grading code, builtins or torch were changed before the check ran",
    "grading.cell.stderr": "the test cell wrote to stderr (print(..., file=sys.stderr) left in the code), which nbgrader scores 0",

    # Lab 1, MLP GAN (mlp_gan).
    **_each("mlp_gan", _LAB1, _OWN_CODE),
    **_each("mlp_gan", ("generator", "discriminator"), _LINEAR_NETWORK),
    "mlp_gan.generator.output-sigmoid": "G ends in Sigmoid ([0, 1]) instead of Tanh ([-1, 1], like the data)",
    "mlp_gan.generator.no-tanh": "G has no Tanh on its output",
    "mlp_gan.generator.discriminator-activation": "G uses D's LeakyReLU(0.1) in its hidden layers instead of ReLU",
    "mlp_gan.discriminator.no-sigmoid": "D has no Sigmoid on its output, so it gives no probability for BCELoss",
    "mlp_gan.discriminator.generator-activation": "D uses G's ReLU in its hidden layers instead of LeakyReLU(0.1)",
    "mlp_gan.discriminator.default-slope": "D's LeakyReLU keeps PyTorch's default slope 0.01 instead of 0.1",
    "mlp_gan.discriminator.dcgan-slope": "D's LeakyReLU uses the DCGAN paper's slope 0.2 instead of 0.1",
    "mlp_gan.train_discriminator.swapped-labels": "D's loss labels real images 0 and fakes 1",
    "mlp_gan.train_discriminator.real-labelled-fake": "D's loss labels the real images 0, like the fakes",
    "mlp_gan.train_discriminator.fakes-labelled-real": "D's loss labels the fakes 1, like the real images",
    "mlp_gan.train_discriminator.weights-unchanged": "D's step left its weights unchanged (zero_grad between backward and step, or no step)",
    "mlp_gan.train_discriminator.stale-gradients": "D's step used gradients left from earlier steps (no zero_grad before backward)",
    "mlp_gan.train_discriminator.not-one-step": "D's update is not one step of optim_D (another optimizer, two steps, another loss)",
    "mlp_gan.train_discriminator.no-detach": "the fakes were not detached, so D's loss sent gradients into G",
    "mlp_gan.train_generator.fakes-labelled-fake": "G's loss labels its fakes 0 (fake) instead of 1 (real)",
    "mlp_gan.train_generator.saturating-loss": "G trains on the saturating loss log(1 - D(G(z))) instead of -log D(G(z))",
    "mlp_gan.train_generator.d-updated": "the generator step also changed D's weights",
    "mlp_gan.train_generator.weights-unchanged": "G's step left its weights unchanged (zero_grad between backward and step, or no step)",
    "mlp_gan.train_generator.stale-gradients": "G's step used gradients left from earlier steps (no zero_grad before backward)",
    "mlp_gan.train_generator.not-one-step": "G's update is not one step of optim_G (another optimizer, two steps, another loss)",
    "mlp_gan.build_models.not-your-generator": "build_models returns a G that is not an instance of the student's Generator",
    "mlp_gan.build_models.not-your-discriminator": "build_models returns a D that is not an instance of the student's Discriminator",
    "mlp_gan.build_models.generator-arguments": "G built with the wrong sizes (not Generator(input_dim, hidden_dim, output_dim))",
    "mlp_gan.build_models.discriminator-arguments": "D built with the wrong input size (not output_dim)",
    "mlp_gan.build_models.not-adam": "an optimizer other than Adam",
    "mlp_gan.build_models.wrong-lr": "an optimizer's learning rate is not 2e-4",
    "mlp_gan.build_models.swapped-optimizers": "optim_G and optim_D are built over the other network's parameters",
    "mlp_gan.build_models.wrong-device": "the networks are not on the device passed in",
    "mlp_gan.tensorboard_logging.logdir-ignored": "open_writer writes its event files somewhere other than the logdir passed in",
    "mlp_gan.tensorboard_logging.wrong-scalar-tags": "the losses are not logged under the tags Loss/D and Loss/G",
    "mlp_gan.tensorboard_logging.steps-repeat": "the losses are logged at step i, so every epoch overwrites the last one's curve",
    "mlp_gan.tensorboard_logging.wrong-global-steps": "the losses are not logged at the global steps epoch * steps_per_epoch + i",
    "mlp_gan.tensorboard_logging.losses-swapped": "Loss/D and Loss/G are logged with each other's values",
    "mlp_gan.tensorboard_logging.wrong-image-tag": "the samples are not logged under the tag 'Generated Images'",
    "mlp_gan.tensorboard_logging.not-one-grid-per-epoch": "not one 'Generated Images' grid per epoch, at step epoch",
    "mlp_gan.tensorboard_logging.single-image": "one image logged instead of a grid of the whole batch (make_grid)",
    "mlp_gan.tensorboard_logging.grid-not-normalized": "the grid is not mapped from [-1, 1] to [0, 1] (make_grid without normalize=True)",
    "mlp_gan.tensorboard_logging.no-graph": "no model graph written (writer.add_graph)",
    "mlp_gan.tensorboard_logging.graph-not-g-to-d": "the graph shows one network alone instead of G feeding D",

    # Lab 2, DCGAN (dcgan).
    **_each("dcgan", _LAB2, _OWN_CODE),
    "dcgan.weights_init_normal.conv-not-initialized": "the init function does not recognise nn.Conv2d, so conv weights are untouched",
    "dcgan.weights_init_normal.conv-init-distribution": "conv weights not drawn from N(0, 0.02)",
    "dcgan.weights_init_normal.variance-not-std": "0.02 passed as the variance where init.normal_ takes the standard deviation",
    "dcgan.weights_init_normal.spread-ten-times": "weights drawn with std 0.2, ten times the paper's 0.02",
    "dcgan.weights_init_normal.bn-not-initialized": "the init function does not recognise nn.BatchNorm2d, so its weights are untouched",
    "dcgan.weights_init_normal.bn-weight-centred-at-0": "BatchNorm weights (gamma) drawn around 0 like conv weights instead of around 1",
    "dcgan.weights_init_normal.bn-init-distribution": "BatchNorm weights not drawn from N(1, 0.02)",
    "dcgan.weights_init_normal.bn-bias-not-initialized": "BatchNorm biases left untouched instead of set to 0",
    "dcgan.weights_init_normal.bn-bias-not-zero": "BatchNorm biases set to something other than 0",
    "dcgan.discriminator_block.single-layer-not-list": "discriminator_block returns one module instead of a list of layers",
    "dcgan.discriminator_block.uses-pooling": "the block downsamples with a pooling layer instead of a stride-2 convolution",
    "dcgan.discriminator_block.conv-count": "the block does not have exactly one Conv2d",
    "dcgan.discriminator_block.conv-channels": "the Conv2d does not map in_filters to out_filters channels",
    "dcgan.discriminator_block.wrong-stride": "the Conv2d's stride is not 2",
    "dcgan.discriminator_block.wrong-kernel-size": "the Conv2d's kernel size is not 3",
    "dcgan.discriminator_block.wrong-padding": "the Conv2d's padding is not 1",
    "dcgan.discriminator_block.wrong-activation": "the block's activation is not one LeakyReLU",
    "dcgan.discriminator_block.default-slope": "LeakyReLU() keeps the default slope 0.01 instead of the paper's 0.2",
    "dcgan.discriminator_block.wrong-slope": "LeakyReLU's slope is neither 0.2 nor the default",
    "dcgan.discriminator_block.no-dropout2d": "not one Dropout2d (missing, or plain Dropout)",
    "dcgan.discriminator_block.dropout-rate": "Dropout2d's probability is not 0.25",
    "dcgan.discriminator_block.batchnorm-when-bn-false": "a BatchNorm2d even when bn=False",
    "dcgan.discriminator_block.no-batchnorm": "no BatchNorm2d when bn is True (the default)",
    "dcgan.discriminator_block.wrong-normalisation": "a normalisation other than one BatchNorm2d",
    "dcgan.discriminator_block.batchnorm-features": "BatchNorm2d's num_features is not out_filters",
    "dcgan.discriminator_block.batchnorm-settings": "BatchNorm2d's eps/momentum differ from nn.BatchNorm2d(out_filters, 0.8)",
    "dcgan.discriminator_block.momentum-set-to-0-8": "BatchNorm2d(momentum=0.8), where the reference's positional 0.8 is eps",
    "dcgan.discriminator_block.default-eps": "BatchNorm2d without the reference's second argument 0.8 (eps left at 1e-5)",
    "dcgan.discriminator_block.layer-order": "the layers are not in the order Conv2d, LeakyReLU, Dropout2d, BatchNorm2d",
    "dcgan.generator.changed-init": "the given __init__ was changed (layers added, removed or renamed)",
    "dcgan.generator.l1-wrong-size": "l1 does not make the 128 maps of init_size x init_size that conv_blocks expects",
    "dcgan.generator.fixed-init-size": "forward reshapes with a fixed 8 instead of self.init_size, so other image sizes fail",
    "dcgan.generator.conv-blocks-not-applied": "forward returns the reshaped map without applying conv_blocks",
    "dcgan.generator.maps-in-wrong-order": "l1's output reshaped into maps in the wrong order (a permute or channels-last view)",
    "dcgan.batchnorm_reading.answered-momentum": "answered that the positional 0.8 sets momentum (it sets eps)",
    "dcgan.batchnorm_reading.answered-momentum-0-8": "answered that the layers' momentum is 0.8 (it stays at the default 0.1)",
    "dcgan.batchnorm_reading.keras-momentum": "answered with Keras's momentum convention (0.9 or 0.99) instead of PyTorch's",
    "dcgan.training_step.no-detach": "D's fake_loss was not computed on gen_imgs.detach(), so it reaches into G",
    "dcgan.training_step.g-after-d": "D is updated before G, while the notes train G first",
    "dcgan.training_step.g-labelled-fake": "g_loss labels G's images fake instead of valid",
    "dcgan.training_step.g-stale-gradients": "G's update used gradients left from the previous step (no optimizer_G.zero_grad())",
    "dcgan.training_step.g-not-one-step": "G's weights did not take one step of optimizer_G on g_loss",
    "dcgan.training_step.g-weights-unchanged": "training_step leaves G's weights unchanged (no optimizer_G.step())",
    "dcgan.training_step.d-weights-unchanged": "training_step leaves D's weights unchanged (no optimizer_D.step())",
    "dcgan.training_step.d-loss-sum-not-mean": "d_loss is not the mean (real_loss + fake_loss) / 2 (typically their sum)",
    "dcgan.training_step.d-not-one-step": "D's weights did not take one clean step of optimizer_D on d_loss",

    # Lab 3, GAN losses, LSGAN and DCGAN (gan_losses).
    **_each("gan_losses", _LAB3, _OWN_CODE),
    **_each("gan_losses", _LAB3[:4], _LOSS_CALL),
    **_each("gan_losses", ("discriminator", "generator", "build_dc_classifier", "build_dc_generator"), _ARCHITECTURE),
    "gan_losses.discriminator_loss.mean-not-sum": "D's loss averages the real and fake terms instead of adding them",
    "gan_losses.discriminator_loss.one-mean-over-both": "D's loss takes one mean over real and fake scores together",
    "gan_losses.discriminator_loss.swapped-labels": "D's loss gives real logits label 0 and fake logits label 1",
    "gan_losses.discriminator_loss.sigmoid-twice": "a sigmoid applied before binary_cross_entropy_with_logits",
    "gan_losses.discriminator_loss.sum-not-mean": "D's loss sums over the batch instead of taking the mean",
    "gan_losses.discriminator_loss.sign-flipped": "D's loss has the wrong sign",
    "gan_losses.discriminator_loss.no-fake-term": "D's loss leaves out the fake term",
    "gan_losses.discriminator_loss.no-real-term": "D's loss leaves out the real term",
    "gan_losses.generator_loss.swapped-labels": "G's loss labels the fakes 0 instead of 1",
    "gan_losses.generator_loss.saturating-loss": "G's loss is the saturating log(1 - D(G(z))) instead of -log D(G(z))",
    "gan_losses.generator_loss.sigmoid-twice": "a sigmoid applied before binary_cross_entropy_with_logits",
    "gan_losses.generator_loss.sum-not-mean": "G's loss sums over the batch instead of taking the mean",
    "gan_losses.generator_loss.sign-flipped": "G's loss has the wrong sign",
    "gan_losses.ls_discriminator_loss.no-half": "LSGAN D loss without the factor 1/2 on each term",
    "gan_losses.ls_discriminator_loss.mean-not-sum": "LSGAN D loss averages the two terms (or halves them twice)",
    "gan_losses.ls_discriminator_loss.one-mean-over-both": "LSGAN D loss takes one mean over real and fake scores together",
    "gan_losses.ls_discriminator_loss.swapped-targets": "LSGAN D loss pulls real scores to 0 and fake scores to 1",
    "gan_losses.ls_discriminator_loss.sigmoid-applied": "LSGAN D loss applies a sigmoid to the raw scores",
    "gan_losses.ls_discriminator_loss.sum-not-mean": "LSGAN D loss sums over the batch instead of taking the mean",
    "gan_losses.ls_discriminator_loss.no-fake-term": "LSGAN D loss leaves out the fake term",
    "gan_losses.ls_discriminator_loss.no-real-term": "LSGAN D loss leaves out the real term",
    "gan_losses.ls_generator_loss.no-half": "LSGAN G loss without the factor 1/2",
    "gan_losses.ls_generator_loss.swapped-targets": "LSGAN G loss pulls the fake scores to 0 instead of 1",
    "gan_losses.ls_generator_loss.sigmoid-applied": "LSGAN G loss applies a sigmoid to the raw scores",
    "gan_losses.ls_generator_loss.sum-not-mean": "LSGAN G loss sums over the batch instead of taking the mean",
    "gan_losses.sample_noise.noise-in-0-1": "noise drawn in [0, 1) (torch.rand) instead of (-1, 1)",
    "gan_losses.sample_noise.gaussian-noise": "Gaussian noise (torch.randn) instead of uniform in (-1, 1)",
    "gan_losses.sample_noise.noise-out-of-range": "noise values outside (-1, 1)",
    "gan_losses.sample_noise.noise-too-narrow": "noise covers only part of (-1, 1)",
    "gan_losses.sample_noise.noise-off-centre": "noise not centred at 0",
    "gan_losses.sample_noise.noise-not-uniform": "noise in (-1, 1) but not uniformly spread",
    "gan_losses.sample_noise.seed-ignored": "the seed argument is ignored (different noise for the same seed)",
    "gan_losses.sample_noise.fixed-seed": "a fixed seed, so different seeds give the same noise",
    "gan_losses.sample_noise.seeded-without-seed": "the RNG is seeded even when seed is None, so every call repeats",
    "gan_losses.get_optimizer.not-adam": "an optimizer other than torch.optim.Adam",
    "gan_losses.get_optimizer.wrong-parameters": "the optimizer is not over exactly the model's parameters",
    "gan_losses.get_optimizer.wrong-lr": "the learning rate is not 1e-3",
    "gan_losses.get_optimizer.default-betas": "Adam's default betas (0.9, 0.999) instead of (0.5, 0.999)",
    "gan_losses.get_optimizer.wrong-betas": "betas other than (0.5, 0.999)",
    "gan_losses.get_optimizer.decoupled-weight-decay": "AdamW-style decoupled weight decay instead of plain Adam",
    "gan_losses.discriminator.sigmoid-on-logits": "the discriminator applies a sigmoid where the handout returns raw logits",
    "gan_losses.generator.global-noise-dim": "the generator uses the global NOISE_DIM instead of its noise_dim argument",
    "gan_losses.generator.sigmoid-on-logits": "a sigmoid before the generator's first Linear layer",
    "gan_losses.generator.no-tanh": "the generator has no Tanh on its output",
    "gan_losses.generator.output-sigmoid": "the generator ends in Sigmoid ([0, 1]) instead of Tanh ([-1, 1])",
    "gan_losses.build_dc_classifier.conv-layers": "the classifier's Conv2d layers differ from 1->32 and 32->64, 5x5",
    "gan_losses.build_dc_classifier.sigmoid-on-logits": "the classifier applies a sigmoid where the handout returns raw logits",
    "gan_losses.build_dc_generator.global-noise-dim": "the DC generator uses the global NOISE_DIM instead of its noise_dim argument",
    "gan_losses.build_dc_generator.conv-layers": "the ConvTranspose2d layers differ from 128->64 and 64->1, 4x4",
    "gan_losses.build_dc_generator.batchnorm-layers": "the BatchNorm layers are not over 1024, 6272 and 64 features",
    "gan_losses.build_dc_generator.deconv-size": "the first ConvTranspose2d does not make 14x14 from 7x7 (stride 2, padding 1)",
    "gan_losses.build_dc_generator.no-tanh": "the DC generator has no Tanh on its output",
    "gan_losses.build_dc_generator.output-sigmoid": "the DC generator ends in Sigmoid ([0, 1]) instead of Tanh ([-1, 1])",
    "gan_losses.minimax_answers.value-unanswered": "Inline Question 4: the minimax value is not answered",
    "gan_losses.minimax_answers.wrong-value": "Inline Question 4: a wrong value of min_x max_y xy (it is 0)",
    "gan_losses.minimax_answers.points-unanswered": "Inline Question 4: the six points are not answered",
    "gan_losses.minimax_answers.start-point-listed": "Inline Question 4: the starting point (1, 1) listed among the six",
    "gan_losses.minimax_answers.wrong-point-count": "Inline Question 4: not six points",
    "gan_losses.minimax_answers.points-as-y-x": "Inline Question 4: the points written as (y, x)",
    "gan_losses.minimax_answers.x-moves-first": "Inline Question 4: the points when x moves first (the question has y first)",
    "gan_losses.minimax_answers.simultaneous-updates": "Inline Question 4: the points of simultaneous updates instead of alternating ones",
    "gan_losses.minimax_answers.wrong-point": "Inline Question 4: one of the six points is wrong",

    # Lab 4, 1-D Gaussian toy (toy_1d).
    **_each("toy_1d", _LAB4, _OWN_CODE),
    **_each("toy_1d", _LAB4[:2], {
        "not-a-sampler": "the factory returns samples (or something else) instead of a function that draws them",
        "numpy-array": "the sampler returns a NumPy array instead of a torch tensor",
        "not-float32": "the sampler returns float64 (torch.from_numpy) instead of float32",
        "same-draws": "the sampler returns the same values on every call",
    }),
    **_each("toy_1d", ("generator", "discriminator"), _LINEAR_NETWORK),
    "toy_1d.get_distribution_sampler.row-not-column": "samples returned as a (1, n) row instead of an (n, 1) column",
    "toy_1d.get_distribution_sampler.swapped-mu-sigma": "mu and sigma swapped",
    "toy_1d.get_distribution_sampler.variance-not-std": "sigma squared (the variance) used as the standard deviation",
    "toy_1d.get_distribution_sampler.sqrt-of-sigma": "the square root of sigma used as the standard deviation",
    "toy_1d.get_distribution_sampler.wrong-std": "the samples' standard deviation is not sigma",
    "toy_1d.get_distribution_sampler.mu-not-added": "mu not added to the standard normal draws",
    "toy_1d.get_distribution_sampler.wrong-mean": "the samples' mean is not mu",
    "toy_1d.get_distribution_sampler.uniform-not-normal": "uniform draws (torch.rand) instead of normal ones",
    "toy_1d.get_generator_input_sampler.swapped-m-n": "the noise has shape (n, m) instead of (m, n)",
    "toy_1d.get_generator_input_sampler.gaussian-noise": "Gaussian noise (torch.randn) instead of uniform in [0, 1)",
    "toy_1d.get_generator_input_sampler.noise-in-minus-1-1": "U(-1, 1) noise (lab 3's) instead of U[0, 1)",
    "toy_1d.get_generator_input_sampler.noise-out-of-range": "noise values outside [0, 1)",
    "toy_1d.get_generator_input_sampler.noise-not-uniform": "noise in [0, 1) but not uniformly spread",
    "toy_1d.generator.swapped-activations": "G's Sigmoid and ELU in swapped order",
    "toy_1d.generator.output-sigmoid": "G's output squashed by a Sigmoid into (0, 1), so it can never reach the target",
    "toy_1d.generator.output-tanh": "G's output squashed by a Tanh into (-1, 1), so it can never reach the target",
    "toy_1d.generator.relu-not-elu": "G uses ReLU after the first Linear layer instead of ELU",
    "toy_1d.generator.discriminator-pattern": "G uses D's pattern, ELU after both hidden layers, instead of ELU then Sigmoid",
    "toy_1d.discriminator.no-sigmoid": "D has no Sigmoid on its output, so it gives no probability",
    "toy_1d.discriminator.generator-pattern": "D uses G's pattern, a Sigmoid after the second Linear layer",
    "toy_1d.discriminator.relu-not-elu": "D uses ReLU after the hidden layers instead of ELU",
    "toy_1d.discriminator.dcgan-leaky-relu": "D uses the DCGAN's LeakyReLU(0.2) instead of ELU",
    "toy_1d.discriminator.output-tanh": "D ends in Tanh instead of Sigmoid",
    "toy_1d.decorate_with_diffs.in-place": "the input data modified in place",
    "toy_1d.decorate_with_diffs.cat-along-dim-0": "data and deviations concatenated along dim 0 instead of dim 1",
    "toy_1d.decorate_with_diffs.deviations-first": "the deviations placed before the data",
    "toy_1d.decorate_with_diffs.mean-not-subtracted": "data ** exponent without subtracting the row's mean",
    "toy_1d.decorate_with_diffs.mean-over-dim-0": "the mean taken over dim 0, so every deviation is 0",
    "toy_1d.decorate_with_diffs.always-squared": "the deviations always squared, ignoring the exponent argument",
    "toy_1d.decorate_with_diffs.exponent-not-applied": "the deviations not raised to the exponent",
    "toy_1d.decorate_with_diffs.gradients-cut": "the result is cut off from its input (.data, .detach(), NumPy, no_grad)",
    "toy_1d.decorate_with_diffs.partly-detached": "part of the result is detached, so gradients differ",
}

# The visible checks are asserts in the notebook, not gan_lab code: an assertion message there
# that names a mistake -> its key (the hidden check's key for the same mistake, where it has one).
# The report reads them from the graded notebook.
VISIBLE: dict[str, str] = {
    # Lab 1 (mlp_gan).
    "a negative loss_G is the saturating loss": "mlp_gan.train_generator.saturating-loss",
    "expected a scalar tag": "mlp_gan.tensorboard_logging.wrong-scalar-tags",
    "expected global steps 0 to 5": "mlp_gan.tensorboard_logging.wrong-global-steps",
    "expected one 'Generated Images' grid per epoch": "mlp_gan.tensorboard_logging.not-one-grid-per-epoch",
    "expected a model graph": "mlp_gan.tensorboard_logging.no-graph",
    # Lab 2 (dcgan).
    "d_loss must be the mean of real_loss and fake_loss": "dcgan.training_step.d-loss-sum-not-mean",
    "G's weights did not change": "dcgan.training_step.g-weights-unchanged",
    "D's weights did not change": "dcgan.training_step.d-weights-unchanged",
}


@dataclasses.dataclass
class Record:
    """What one run of a check found: the mistakes it named, and its failure if it failed."""

    check: str  # "<lab>.<todo>"
    keys: list = dataclasses.field(default_factory=list)
    failure: Optional[dict] = None

    def failed(self, failure) -> None:
        if failure.key and failure.key not in self.keys:
            self.keys.append(failure.key)
        self.failure = {"key": failure.key, "cause": failure.cause, "message": str(failure)}

    def as_json(self) -> dict:
        return {"check": self.check, "keys": list(self.keys), "failure": self.failure}


_current: contextvars.ContextVar[Optional[Record]] = contextvars.ContextVar("gan_lab_check", default=None)


def key_of(mistake: Optional[str]) -> Optional[str]:
    """The full key of ``mistake`` in the check that is running (None for None).

    A mistake outside any check, or one missing from ``MISTAKES``, is a bug in the grading
    code and raises at once, so the unit tests that plant it find it.
    """
    if mistake is None:
        return None
    record = _current.get()
    if record is None:
        raise RuntimeError(f"mistake {mistake!r} named outside a check")
    key = f"{record.check}.{mistake}"
    if key not in MISTAKES:
        raise KeyError(f"{key} is not in gan_lab.grading.mistakes.MISTAKES")
    return key


def record(mistake: str) -> str:
    """Note ``mistake`` in the running check (partial credit: no failure is raised)."""
    key = key_of(mistake)
    current = _current.get()
    if key not in current.keys:
        current.keys.append(key)
    return key


def check_name(fn: Callable) -> str:
    """``<lab>.<todo>`` of a check function (``gan_lab.grading.mlp_gan.check_generator``)."""
    return f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__.removeprefix('check_')}"


@contextlib.contextmanager
def checking(fn: Callable) -> Iterator[Record]:
    """Collect what the check ``fn`` finds; afterwards, in a kernel, display it (``MIME``)."""
    current = Record(check_name(fn))
    token = _current.set(current)
    try:
        yield current
    finally:
        _current.reset(token)
        if current.keys or current.failure:
            _display(current)


def _display(current: Record) -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # the re-check's interpreter has no IPython
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):  # a terminal IPython, not a notebook kernel
        return
    from IPython.display import display

    display({MIME: current.as_json()}, raw=True)


def visible_key(message: str) -> Optional[str]:
    """The key of a visible check's assertion message that names a mistake, or None: the
    message as English, or as any translation the package has (``gan_lab.i18n``)."""
    found = next((key for text, key in VISIBLE.items() if text in message), None)
    if found is None:
        found = next((key for pattern, key in _translated_visible() if pattern.search(message)), None)
    return found


def _translated_visible() -> list:
    """(a pattern matching a translated visible message, its key) for every language whose
    catalog translates a message that holds one of ``VISIBLE``'s texts."""
    import gettext

    from gan_lab.i18n import LOCALE

    patterns = []
    for folder in sorted(LOCALE.glob("*/LC_MESSAGES")) if LOCALE.is_dir() else []:
        catalog = getattr(gettext.translation("gan_lab", LOCALE, languages=[folder.parent.name], fallback=True),
                          "_catalog", {})
        for english, translated in catalog.items():
            if not isinstance(english, str) or not english:
                continue
            key = next((key for text, key in VISIBLE.items() if text in english), None)
            if key and translated:
                parts = re.split(r"\{[^{}]*\}", translated)  # the fields can be anything
                patterns.append((re.compile(".*?".join(re.escape(part) for part in parts), re.S), key))
    return patterns
