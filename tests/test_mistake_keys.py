"""The mistake keys of the class report: well formed, each naming a check and a mistake that the
grading code (or a visible check in a notebook) names, and stable once released."""
from __future__ import annotations

import ast
import collections
import importlib
import json
from pathlib import Path

import pytest

from gan_lab.grading import mistakes
from gan_lab.grading.mistakes import MISTAKES, VISIBLE

ROOT = Path(__file__).resolve().parents[1]
LABS = ("mlp_gan", "dcgan", "gan_losses", "toy_1d")
SHARED = ("core", "activations")  # helpers that name a mistake under whichever check calls them


def _source(module: str) -> str:
    return (ROOT / "gan_lab" / "grading" / f"{module}.py").read_text()


def _registered_entries() -> list[str]:
    """Every key as MISTAKES' literal lists it, repeats included (a dict keeps only the last)."""
    tree = ast.parse(_source("mistakes"))
    literal = next(node.value for node in tree.body if isinstance(node, ast.AnnAssign)
                   and getattr(node.target, "id", None) == "MISTAKES")
    keys = []
    for key, value in zip(literal.keys, literal.values):
        if key is None:  # **_each(...): evaluated in the module, as the literal is
            keys += list(eval(compile(ast.Expression(value), "mistakes.py", "eval"), vars(mistakes)))
        else:
            keys.append(ast.literal_eval(key))
    return keys


def _visible_test_code(lab: str) -> str:
    """The visible part of every graded test cell of a lab's solutions notebook."""
    notebook = json.loads((ROOT / "solutions" / lab / f"{lab}.ipynb").read_text())
    return "\n".join("".join(cell["source"]).split("### BEGIN HIDDEN TESTS")[0]
                     for cell in notebook["cells"]
                     if cell["cell_type"] == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("grade"))


def _cell_points(lab: str) -> dict[str, float]:
    notebook = json.loads((ROOT / "solutions" / lab / f"{lab}.ipynb").read_text())
    return {meta["grade_id"]: float(meta["points"]) for cell in notebook["cells"]
            for meta in [cell.get("metadata", {}).get("nbgrader", {})] if meta.get("grade")}


def test_every_key_is_well_formed_and_listed_once():
    """Does every key read <lab>.<todo>.<mistake>, with a one-line description, and is none listed
    twice (a later entry would silently replace the earlier one)?"""
    entries = _registered_entries()
    assert set(entries) == set(MISTAKES)
    assert [key for key, count in collections.Counter(entries).items() if count > 1] == []
    assert [key for key in MISTAKES if not mistakes.KEY.fullmatch(key)] == []
    assert [key for key, text in MISTAKES.items() if not text.strip() or "\n" in text] == []


def test_every_key_names_an_existing_check():
    """Is each key's <lab>.<todo> a check, gan_lab.grading.<lab>.check_<todo> (but the grading.* keys)?"""
    missing = []
    for key in MISTAKES:
        lab, todo, _ = key.split(".")
        if lab == "grading":
            continue
        if lab not in LABS or not callable(getattr(importlib.import_module(f"gan_lab.grading.{lab}"),
                                                   f"check_{todo}", None)):
            missing.append(key)
    assert missing == []
    assert {key for key in MISTAKES if key.startswith("grading.")} == {"grading.kernel.tampered",
                                                                       "grading.cell.stderr"}


def test_every_registered_mistake_is_named_somewhere():
    """Does the grading code of each key's lab (or a shared helper) name its mistake's slug, or a
    visible check's message map to it, so that no registered key is dead?"""
    shared = "".join(_source(module) for module in SHARED)
    dead = [key for key in MISTAKES if not key.startswith("grading.") and key not in VISIBLE.values()
            and f'"{key.rsplit(".", 1)[1]}"' not in _source(key.split(".")[0]) + shared]
    assert dead == []


@pytest.mark.parametrize("text", sorted(VISIBLE))
def test_every_visible_message_is_a_registered_key_in_its_notebook(text):
    """Is each visible check's message registered under a key of its lab, written in that lab's
    graded test cells (before the hidden part), and found again by visible_key?"""
    key = VISIBLE[text]
    assert key in MISTAKES
    lab = key.split(".")[0]
    assert text in _visible_test_code(lab)
    assert mistakes.visible_key(f"AssertionError: ... {text} ...") == key


def _course_tables() -> dict[str, dict[str, tuple]]:
    """Each lab's planted mistakes in tests/test_course_<lab>.py: name -> the literal parts of its tuple."""
    tables = {}
    for lab in LABS:
        tree = ast.parse((ROOT / "tests" / f"test_course_{lab}.py").read_text())
        literal = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                       and getattr(node.targets[0], "id", None) == "MISTAKES")
        tables[lab] = {ast.literal_eval(name): value.elts for name, value in zip(literal.keys, literal.values)}
    return tables


@pytest.mark.parametrize("lab", LABS)
def test_the_course_tables_name_registered_keys(lab):
    """Does each planted mistake in the course tests carry a registered key of its lab (or the stderr
    one), and None exactly when its cell keeps all its points?"""
    points = _cell_points(lab)
    for name, parts in _course_tables()[lab].items():
        assert len(parts) == 7, name
        cell, earned, key = ast.literal_eval(parts[3]), ast.literal_eval(parts[4]), ast.literal_eval(parts[6])
        assert (key is None) == (earned == points[cell]), name
        if key is not None:
            assert key in MISTAKES and key.split(".")[0] in (lab, "grading"), (name, key)


def test_the_released_keys_stay_as_they_are():
    """Are the keys exactly the released ones? The class report counts them across terms, so renaming
    or removing one is a deliberate edit of this list, and a new one is added to it."""
    assert set(MISTAKES) - RELEASED == set(), "new keys: add them to RELEASED"
    assert RELEASED - set(MISTAKES) == set(), "released keys may not be renamed or removed"


RELEASED = frozenset({
    # Outside any one TODO.
    "grading.cell.stderr",
    "grading.kernel.tampered",
    # Lab 1, MLP GAN.
    "mlp_gan.build_models.discriminator-arguments",
    "mlp_gan.build_models.generator-arguments",
    "mlp_gan.build_models.not-adam",
    "mlp_gan.build_models.not-defined",
    "mlp_gan.build_models.not-in-notebook",
    "mlp_gan.build_models.not-your-discriminator",
    "mlp_gan.build_models.not-your-generator",
    "mlp_gan.build_models.swapped-optimizers",
    "mlp_gan.build_models.uses-reference-code",
    "mlp_gan.build_models.wrong-device",
    "mlp_gan.build_models.wrong-lr",
    "mlp_gan.discriminator.dcgan-slope",
    "mlp_gan.discriminator.default-slope",
    "mlp_gan.discriminator.generator-activation",
    "mlp_gan.discriminator.layer-widths",
    "mlp_gan.discriminator.linear-order",
    "mlp_gan.discriminator.linear-reused",
    "mlp_gan.discriminator.linear-unused",
    "mlp_gan.discriminator.no-sigmoid",
    "mlp_gan.discriminator.not-defined",
    "mlp_gan.discriminator.not-in-notebook",
    "mlp_gan.discriminator.other-difference",
    "mlp_gan.discriminator.uses-reference-code",
    "mlp_gan.discriminator.wrong-activation",
    "mlp_gan.generator.discriminator-activation",
    "mlp_gan.generator.layer-widths",
    "mlp_gan.generator.linear-order",
    "mlp_gan.generator.linear-reused",
    "mlp_gan.generator.linear-unused",
    "mlp_gan.generator.no-tanh",
    "mlp_gan.generator.not-defined",
    "mlp_gan.generator.not-in-notebook",
    "mlp_gan.generator.other-difference",
    "mlp_gan.generator.output-sigmoid",
    "mlp_gan.generator.uses-reference-code",
    "mlp_gan.generator.wrong-activation",
    "mlp_gan.tensorboard_logging.graph-not-g-to-d",
    "mlp_gan.tensorboard_logging.grid-not-normalized",
    "mlp_gan.tensorboard_logging.logdir-ignored",
    "mlp_gan.tensorboard_logging.losses-swapped",
    "mlp_gan.tensorboard_logging.no-graph",
    "mlp_gan.tensorboard_logging.not-defined",
    "mlp_gan.tensorboard_logging.not-in-notebook",
    "mlp_gan.tensorboard_logging.not-one-grid-per-epoch",
    "mlp_gan.tensorboard_logging.single-image",
    "mlp_gan.tensorboard_logging.steps-repeat",
    "mlp_gan.tensorboard_logging.uses-reference-code",
    "mlp_gan.tensorboard_logging.wrong-global-steps",
    "mlp_gan.tensorboard_logging.wrong-image-tag",
    "mlp_gan.tensorboard_logging.wrong-scalar-tags",
    "mlp_gan.train_discriminator.no-detach",
    "mlp_gan.train_discriminator.not-defined",
    "mlp_gan.train_discriminator.not-in-notebook",
    "mlp_gan.train_discriminator.not-one-step",
    "mlp_gan.train_discriminator.stale-gradients",
    "mlp_gan.train_discriminator.swapped-labels",
    "mlp_gan.train_discriminator.real-labelled-fake",
    "mlp_gan.train_discriminator.fakes-labelled-real",
    "mlp_gan.train_discriminator.uses-reference-code",
    "mlp_gan.train_discriminator.weights-unchanged",
    "mlp_gan.train_generator.d-updated",
    "mlp_gan.train_generator.fakes-labelled-fake",
    "mlp_gan.train_generator.not-defined",
    "mlp_gan.train_generator.not-in-notebook",
    "mlp_gan.train_generator.not-one-step",
    "mlp_gan.train_generator.saturating-loss",
    "mlp_gan.train_generator.stale-gradients",
    "mlp_gan.train_generator.uses-reference-code",
    "mlp_gan.train_generator.weights-unchanged",
    # Lab 2, DCGAN.
    "dcgan.batchnorm_reading.answered-momentum",
    "dcgan.batchnorm_reading.answered-momentum-0-8",
    "dcgan.batchnorm_reading.keras-momentum",
    "dcgan.discriminator_block.batchnorm-features",
    "dcgan.discriminator_block.batchnorm-settings",
    "dcgan.discriminator_block.batchnorm-when-bn-false",
    "dcgan.discriminator_block.conv-channels",
    "dcgan.discriminator_block.conv-count",
    "dcgan.discriminator_block.default-eps",
    "dcgan.discriminator_block.default-slope",
    "dcgan.discriminator_block.dropout-rate",
    "dcgan.discriminator_block.layer-order",
    "dcgan.discriminator_block.momentum-set-to-0-8",
    "dcgan.discriminator_block.no-batchnorm",
    "dcgan.discriminator_block.no-dropout2d",
    "dcgan.discriminator_block.not-defined",
    "dcgan.discriminator_block.not-in-notebook",
    "dcgan.discriminator_block.single-layer-not-list",
    "dcgan.discriminator_block.uses-pooling",
    "dcgan.discriminator_block.uses-reference-code",
    "dcgan.discriminator_block.wrong-activation",
    "dcgan.discriminator_block.wrong-kernel-size",
    "dcgan.discriminator_block.wrong-normalisation",
    "dcgan.discriminator_block.wrong-padding",
    "dcgan.discriminator_block.wrong-slope",
    "dcgan.discriminator_block.wrong-stride",
    "dcgan.generator.changed-init",
    "dcgan.generator.conv-blocks-not-applied",
    "dcgan.generator.fixed-init-size",
    "dcgan.generator.l1-wrong-size",
    "dcgan.generator.maps-in-wrong-order",
    "dcgan.generator.not-defined",
    "dcgan.generator.not-in-notebook",
    "dcgan.generator.uses-reference-code",
    "dcgan.training_step.d-loss-sum-not-mean",
    "dcgan.training_step.d-not-one-step",
    "dcgan.training_step.d-weights-unchanged",
    "dcgan.training_step.g-after-d",
    "dcgan.training_step.g-labelled-fake",
    "dcgan.training_step.g-not-one-step",
    "dcgan.training_step.g-stale-gradients",
    "dcgan.training_step.g-weights-unchanged",
    "dcgan.training_step.no-detach",
    "dcgan.training_step.not-defined",
    "dcgan.training_step.not-in-notebook",
    "dcgan.training_step.uses-reference-code",
    "dcgan.weights_init_normal.bn-bias-not-initialized",
    "dcgan.weights_init_normal.bn-bias-not-zero",
    "dcgan.weights_init_normal.bn-init-distribution",
    "dcgan.weights_init_normal.bn-not-initialized",
    "dcgan.weights_init_normal.bn-weight-centred-at-0",
    "dcgan.weights_init_normal.conv-init-distribution",
    "dcgan.weights_init_normal.conv-not-initialized",
    "dcgan.weights_init_normal.not-defined",
    "dcgan.weights_init_normal.not-in-notebook",
    "dcgan.weights_init_normal.spread-ten-times",
    "dcgan.weights_init_normal.uses-reference-code",
    "dcgan.weights_init_normal.variance-not-std",
    # Lab 3, GAN losses.
    "gan_losses.build_dc_classifier.conv-layers",
    "gan_losses.build_dc_classifier.layer-widths",
    "gan_losses.build_dc_classifier.no-bias",
    "gan_losses.build_dc_classifier.not-defined",
    "gan_losses.build_dc_classifier.not-in-notebook",
    "gan_losses.build_dc_classifier.other-difference",
    "gan_losses.build_dc_classifier.parameter-count",
    "gan_losses.build_dc_classifier.sigmoid-on-logits",
    "gan_losses.build_dc_classifier.uses-reference-code",
    "gan_losses.build_dc_classifier.wrong-activation",
    "gan_losses.build_dc_generator.batchnorm-layers",
    "gan_losses.build_dc_generator.conv-layers",
    "gan_losses.build_dc_generator.deconv-size",
    "gan_losses.build_dc_generator.global-noise-dim",
    "gan_losses.build_dc_generator.layer-widths",
    "gan_losses.build_dc_generator.no-bias",
    "gan_losses.build_dc_generator.no-tanh",
    "gan_losses.build_dc_generator.not-defined",
    "gan_losses.build_dc_generator.not-in-notebook",
    "gan_losses.build_dc_generator.other-difference",
    "gan_losses.build_dc_generator.output-sigmoid",
    "gan_losses.build_dc_generator.parameter-count",
    "gan_losses.build_dc_generator.uses-reference-code",
    "gan_losses.build_dc_generator.wrong-activation",
    "gan_losses.discriminator.layer-widths",
    "gan_losses.discriminator.no-bias",
    "gan_losses.discriminator.not-defined",
    "gan_losses.discriminator.not-in-notebook",
    "gan_losses.discriminator.other-difference",
    "gan_losses.discriminator.parameter-count",
    "gan_losses.discriminator.sigmoid-on-logits",
    "gan_losses.discriminator.uses-reference-code",
    "gan_losses.discriminator.wrong-activation",
    "gan_losses.discriminator_loss.bce-on-logits",
    "gan_losses.discriminator_loss.graph-cut",
    "gan_losses.discriminator_loss.mean-not-sum",
    "gan_losses.discriminator_loss.no-fake-term",
    "gan_losses.discriminator_loss.no-real-term",
    "gan_losses.discriminator_loss.not-defined",
    "gan_losses.discriminator_loss.not-in-notebook",
    "gan_losses.discriminator_loss.not-reduced",
    "gan_losses.discriminator_loss.one-mean-over-both",
    "gan_losses.discriminator_loss.sigmoid-twice",
    "gan_losses.discriminator_loss.sign-flipped",
    "gan_losses.discriminator_loss.sum-not-mean",
    "gan_losses.discriminator_loss.swapped-labels",
    "gan_losses.discriminator_loss.uses-reference-code",
    "gan_losses.generator.global-noise-dim",
    "gan_losses.generator.layer-widths",
    "gan_losses.generator.no-bias",
    "gan_losses.generator.no-tanh",
    "gan_losses.generator.not-defined",
    "gan_losses.generator.not-in-notebook",
    "gan_losses.generator.other-difference",
    "gan_losses.generator.output-sigmoid",
    "gan_losses.generator.parameter-count",
    "gan_losses.generator.sigmoid-on-logits",
    "gan_losses.generator.uses-reference-code",
    "gan_losses.generator.wrong-activation",
    "gan_losses.generator_loss.bce-on-logits",
    "gan_losses.generator_loss.graph-cut",
    "gan_losses.generator_loss.not-defined",
    "gan_losses.generator_loss.not-in-notebook",
    "gan_losses.generator_loss.not-reduced",
    "gan_losses.generator_loss.saturating-loss",
    "gan_losses.generator_loss.sigmoid-twice",
    "gan_losses.generator_loss.sign-flipped",
    "gan_losses.generator_loss.sum-not-mean",
    "gan_losses.generator_loss.swapped-labels",
    "gan_losses.generator_loss.uses-reference-code",
    "gan_losses.get_optimizer.decoupled-weight-decay",
    "gan_losses.get_optimizer.default-betas",
    "gan_losses.get_optimizer.not-adam",
    "gan_losses.get_optimizer.not-defined",
    "gan_losses.get_optimizer.not-in-notebook",
    "gan_losses.get_optimizer.uses-reference-code",
    "gan_losses.get_optimizer.wrong-betas",
    "gan_losses.get_optimizer.wrong-lr",
    "gan_losses.get_optimizer.wrong-parameters",
    "gan_losses.ls_discriminator_loss.bce-on-logits",
    "gan_losses.ls_discriminator_loss.graph-cut",
    "gan_losses.ls_discriminator_loss.mean-not-sum",
    "gan_losses.ls_discriminator_loss.no-fake-term",
    "gan_losses.ls_discriminator_loss.no-half",
    "gan_losses.ls_discriminator_loss.no-real-term",
    "gan_losses.ls_discriminator_loss.not-defined",
    "gan_losses.ls_discriminator_loss.not-in-notebook",
    "gan_losses.ls_discriminator_loss.not-reduced",
    "gan_losses.ls_discriminator_loss.one-mean-over-both",
    "gan_losses.ls_discriminator_loss.sigmoid-applied",
    "gan_losses.ls_discriminator_loss.sum-not-mean",
    "gan_losses.ls_discriminator_loss.swapped-targets",
    "gan_losses.ls_discriminator_loss.uses-reference-code",
    "gan_losses.ls_generator_loss.bce-on-logits",
    "gan_losses.ls_generator_loss.graph-cut",
    "gan_losses.ls_generator_loss.no-half",
    "gan_losses.ls_generator_loss.not-defined",
    "gan_losses.ls_generator_loss.not-in-notebook",
    "gan_losses.ls_generator_loss.not-reduced",
    "gan_losses.ls_generator_loss.sigmoid-applied",
    "gan_losses.ls_generator_loss.sum-not-mean",
    "gan_losses.ls_generator_loss.swapped-targets",
    "gan_losses.ls_generator_loss.uses-reference-code",
    "gan_losses.minimax_answers.not-defined",
    "gan_losses.minimax_answers.not-in-notebook",
    "gan_losses.minimax_answers.points-as-y-x",
    "gan_losses.minimax_answers.points-unanswered",
    "gan_losses.minimax_answers.simultaneous-updates",
    "gan_losses.minimax_answers.start-point-listed",
    "gan_losses.minimax_answers.uses-reference-code",
    "gan_losses.minimax_answers.value-unanswered",
    "gan_losses.minimax_answers.wrong-point",
    "gan_losses.minimax_answers.wrong-point-count",
    "gan_losses.minimax_answers.wrong-value",
    "gan_losses.minimax_answers.x-moves-first",
    "gan_losses.sample_noise.fixed-seed",
    "gan_losses.sample_noise.gaussian-noise",
    "gan_losses.sample_noise.noise-in-0-1",
    "gan_losses.sample_noise.noise-not-uniform",
    "gan_losses.sample_noise.noise-off-centre",
    "gan_losses.sample_noise.noise-out-of-range",
    "gan_losses.sample_noise.noise-too-narrow",
    "gan_losses.sample_noise.not-defined",
    "gan_losses.sample_noise.not-in-notebook",
    "gan_losses.sample_noise.seed-ignored",
    "gan_losses.sample_noise.seeded-without-seed",
    "gan_losses.sample_noise.uses-reference-code",
    # Lab 4, 1-D Gaussian toy.
    "toy_1d.decorate_with_diffs.always-squared",
    "toy_1d.decorate_with_diffs.cat-along-dim-0",
    "toy_1d.decorate_with_diffs.deviations-first",
    "toy_1d.decorate_with_diffs.exponent-not-applied",
    "toy_1d.decorate_with_diffs.gradients-cut",
    "toy_1d.decorate_with_diffs.in-place",
    "toy_1d.decorate_with_diffs.mean-not-subtracted",
    "toy_1d.decorate_with_diffs.mean-over-dim-0",
    "toy_1d.decorate_with_diffs.not-defined",
    "toy_1d.decorate_with_diffs.not-in-notebook",
    "toy_1d.decorate_with_diffs.partly-detached",
    "toy_1d.decorate_with_diffs.uses-reference-code",
    "toy_1d.discriminator.dcgan-leaky-relu",
    "toy_1d.discriminator.generator-pattern",
    "toy_1d.discriminator.layer-widths",
    "toy_1d.discriminator.linear-order",
    "toy_1d.discriminator.linear-reused",
    "toy_1d.discriminator.linear-unused",
    "toy_1d.discriminator.no-sigmoid",
    "toy_1d.discriminator.not-defined",
    "toy_1d.discriminator.not-in-notebook",
    "toy_1d.discriminator.other-difference",
    "toy_1d.discriminator.output-tanh",
    "toy_1d.discriminator.relu-not-elu",
    "toy_1d.discriminator.uses-reference-code",
    "toy_1d.discriminator.wrong-activation",
    "toy_1d.generator.discriminator-pattern",
    "toy_1d.generator.layer-widths",
    "toy_1d.generator.linear-order",
    "toy_1d.generator.linear-reused",
    "toy_1d.generator.linear-unused",
    "toy_1d.generator.not-defined",
    "toy_1d.generator.not-in-notebook",
    "toy_1d.generator.other-difference",
    "toy_1d.generator.output-sigmoid",
    "toy_1d.generator.output-tanh",
    "toy_1d.generator.relu-not-elu",
    "toy_1d.generator.swapped-activations",
    "toy_1d.generator.uses-reference-code",
    "toy_1d.generator.wrong-activation",
    "toy_1d.get_distribution_sampler.mu-not-added",
    "toy_1d.get_distribution_sampler.not-a-sampler",
    "toy_1d.get_distribution_sampler.not-defined",
    "toy_1d.get_distribution_sampler.not-float32",
    "toy_1d.get_distribution_sampler.not-in-notebook",
    "toy_1d.get_distribution_sampler.numpy-array",
    "toy_1d.get_distribution_sampler.row-not-column",
    "toy_1d.get_distribution_sampler.same-draws",
    "toy_1d.get_distribution_sampler.sqrt-of-sigma",
    "toy_1d.get_distribution_sampler.swapped-mu-sigma",
    "toy_1d.get_distribution_sampler.uniform-not-normal",
    "toy_1d.get_distribution_sampler.uses-reference-code",
    "toy_1d.get_distribution_sampler.variance-not-std",
    "toy_1d.get_distribution_sampler.wrong-mean",
    "toy_1d.get_distribution_sampler.wrong-std",
    "toy_1d.get_generator_input_sampler.gaussian-noise",
    "toy_1d.get_generator_input_sampler.noise-in-minus-1-1",
    "toy_1d.get_generator_input_sampler.noise-not-uniform",
    "toy_1d.get_generator_input_sampler.noise-out-of-range",
    "toy_1d.get_generator_input_sampler.not-a-sampler",
    "toy_1d.get_generator_input_sampler.not-defined",
    "toy_1d.get_generator_input_sampler.not-float32",
    "toy_1d.get_generator_input_sampler.not-in-notebook",
    "toy_1d.get_generator_input_sampler.numpy-array",
    "toy_1d.get_generator_input_sampler.same-draws",
    "toy_1d.get_generator_input_sampler.swapped-m-n",
    "toy_1d.get_generator_input_sampler.uses-reference-code",
})
