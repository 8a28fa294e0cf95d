"""Which gan_lab code answers which TODO, and which parts of gan_lab students may call.

The one record both sides read: the student build (``student_build``) leaves the answers out
of the students' wheels, the hidden checks (``gan_lab.grading.core``) refuse a TODO answered by
calling them, and ``gan-lab audit`` flags submissions that import them. When a TODO changes,
this file changes with it (``tests/test_student_build.py`` checks that every TODO cell of every
lab is listed and every name exists).
"""
from __future__ import annotations

import dataclasses
import functools

from gan_lab.errors import UsageError

# Parts of gan_lab a student may use; anything else in gan_lab answers a TODO.
ALLOWED_HELPERS = ("gan_lab.data", "gan_lab.device", "gan_lab.tracking", "gan_lab.plotting",
                   "gan_lab.budget", "gan_lab.imaging", "gan_lab.mnist", "gan_lab.minimax", "gan_lab.i18n")
LAB_ORDER = ("mlp_gan", "dcgan", "gan_losses", "toy_1d")  # the course order: lab 1 first


class StudentBuildError(UsageError):
    """The manifest, the source or the build is not what the student build expects."""


@dataclasses.dataclass(frozen=True)
class Todo:
    """One TODO cell (by nbgrader grade_id) and what in gan_lab answers it.

    ``code``: objects whose code answers it (stubbed). ``docs``: modules or objects whose
    docstring states the answer (docstring replaced, code kept). ``reason``: why nothing else
    needs leaving out; required when both are empty.
    """

    grade_id: str
    code: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    reason: str = ""


_WRITTEN = "a written answer graded by hand; no package code or docstring states it"
_TRAINING_TERMS = ("gan_lab.losses.bce_real_loss", "gan_lab.losses.bce_fake_loss",
                   "gan_lab.losses.bce_discriminator_loss", "gan_lab.losses.bce_generator_loss",
                   "gan_lab.training.discriminator_step", "gan_lab.training.generator_step")

# --------------------------------------------------------------------------- the manifest
# lab -> its TODO cells (solution cells in solutions/<lab>/<lab>.ipynb, in notebook order) and
# what in gan_lab answers each.
MANIFEST: dict[str, tuple[Todo, ...]] = {
    "mlp_gan": (
        Todo("generator", code=("gan_lab.models.mlp.MLPGenerator",)),
        Todo("discriminator", code=("gan_lab.models.mlp.MLPDiscriminator",)),
        Todo("thought-question-1", reason=_WRITTEN),
        Todo("thought-question-2", reason="a written answer; the comment that states it sits in "
                                          "MLPDiscriminator's body, stubbed for 'discriminator'"),
        Todo("training-steps", code=_TRAINING_TERMS),
        # The "mlp" recipe builds both networks and Adam(lr=2e-4) for each.
        Todo("build-models", code=("gan_lab.recipes.build_recipe",)),
        # The Tracker writes the same losses, grids and G -> D graph as the lab's four functions.
        Todo("tensorboard-logging", code=("gan_lab.tracking.GanGraph", "gan_lab.tracking.Tracker.log_scalars",
                                          "gan_lab.tracking.Tracker.log_history",
                                          "gan_lab.tracking.Tracker.log_image_grid",
                                          "gan_lab.tracking.Tracker.log_graph",
                                          "gan_lab.tracking.Tracker.log_gan_graph")),
        Todo("thought-question-3", reason=_WRITTEN),
    ),
    "dcgan": (
        Todo("question-1", reason=_WRITTEN),
        Todo("question-2", reason=_WRITTEN),
        Todo("weights-init-normal", code=("gan_lab.models.dcgan.weights_init_normal",)),
        Todo("discriminator-block", code=("gan_lab.models.dcgan.discriminator_block",)),
        # The notebook hands students the Discriminator, so DCGANDiscriminator stays (it calls
        # the discriminator_block stub, so it fails when built).
        Todo("generator", code=("gan_lab.models.dcgan.DCGANGenerator",)),
        # train runs a whole DCGAN training loop; the lab's step is the reference's, G first.
        Todo("training-step", code=("gan_lab.training.train",)),
        Todo("batchnorm-reading", docs=("gan_lab.models.dcgan.DCGANGenerator",),
             reason="the values are checked in gan_lab.grading.dcgan; the comments that name "
                    "eps sit in bodies stubbed for 'generator' and 'discriminator-block'"),
        Todo("question-3", docs=("gan_lab.models.dcgan.DCGANGenerator",)),
        # The package's initialiser covers Linear layers too, and its docstring says why.
        Todo("question-4", docs=("gan_lab.models.dcgan.weights_init_normal",)),
    ),
    "gan_losses": (
        # The "lsgan" recipe draws 2 * rand - 1 and builds Adam(1e-3, betas=(0.5, 0.999)).
        Todo("sample_noise", code=("gan_lab.recipes.build_recipe",)),
        Todo("discriminator", code=("gan_lab.models.mlp.vanilla_discriminator",)),
        Todo("generator", code=("gan_lab.models.mlp.vanilla_generator",)),
        Todo("discriminator_loss", code=("gan_lab.losses.logit_real_loss",
                                         "gan_lab.losses.logit_fake_loss",
                                         "gan_lab.losses.discriminator_loss")),
        Todo("generator_loss", code=("gan_lab.losses.logit_real_loss",
                                     "gan_lab.losses.generator_loss")),
        Todo("get_optimizer", code=("gan_lab.recipes.build_recipe",)),
        Todo("inline-question-1", reason=_WRITTEN),
        Todo("ls_discriminator_loss", code=("gan_lab.losses.ls_real_loss", "gan_lab.losses.ls_fake_loss",
                                            "gan_lab.losses.ls_discriminator_loss")),
        Todo("ls_generator_loss", code=("gan_lab.losses.ls_real_loss",
                                        "gan_lab.losses.ls_generator_loss")),
        Todo("inline-question-2", reason=_WRITTEN),
        Todo("build_dc_classifier", code=("gan_lab.models.dcgan.build_dc_classifier",)),
        Todo("build_dc_generator", code=("gan_lab.models.dcgan.build_dc_generator",)),
        Todo("inline-question-3", reason=_WRITTEN),
        # plot_cycle stays: the release imports it, and it only draws the points it is given.
        Todo("inline-question-4", code=("gan_lab.minimax.alternating_gradient_steps",
                                        "gan_lab.minimax.minimax_value"),
             docs=("gan_lab.minimax.minimax_value",)),
        Todo("inline-question-4-explanation",
             reason="a written answer; the docstrings that state it are left out for inline-question-4"),
        Todo("inline-question-5", docs=("gan_lab.minimax", "gan_lab.minimax.alternating_gradient_steps",
                                        "gan_lab.minimax.minimax_value")),
        Todo("inline-question-6", reason=_WRITTEN),
    ),
    "toy_1d": (
        Todo("get-distribution-sampler", code=("gan_lab.data.gaussian_samples",)),
        Todo("get-generator-input-sampler", code=("gan_lab.data.uniform_noise",)),
        Todo("question-1", docs=("gan_lab.data.uniform_noise",)),
        Todo("generator", code=("gan_lab.models.toy1d.ToyGenerator",)),
        Todo("discriminator", code=("gan_lab.models.toy1d.ToyDiscriminator",)),
        # minibatch_features stays: it only transposes, then calls the decorate_with_diffs stub.
        Todo("decorate-with-diffs", code=("gan_lab.models.toy1d.decorate_with_diffs",)),
        Todo("question-2", docs=("gan_lab.models.toy1d", "gan_lab.models.toy1d.decorate_with_diffs")),
        Todo("question-3", reason=_WRITTEN),
    ),
}


@dataclasses.dataclass(frozen=True)
class Answer:
    """One object (or docstring) in gan_lab and the first TODO it answers."""

    name: str
    kind: str  # "code" or "docs"
    lab: str
    todo: str


def check_lab(lab: str) -> str:
    """``lab`` itself when it is one of the course's labs; a clear error otherwise."""
    if lab not in LAB_ORDER:
        raise StudentBuildError(f"unknown lab {lab!r}; expected one of {', '.join(LAB_ORDER)}")
    return lab


def _answered(name: str, kind: str) -> list[tuple[str, str]]:
    """(lab, grade_id) of every TODO the manifest says ``name`` answers, in course order."""
    return [(lab, todo.grade_id) for lab in LAB_ORDER for todo in MANIFEST[lab]
            if name in (todo.code if kind == "code" else todo.docs)]


def answers() -> list[Answer]:
    """Every answer in the manifest, once per (name, kind), with the first TODO it answers."""
    seen: dict[tuple[str, str], Answer] = {}
    for lab in LAB_ORDER:
        for todo in MANIFEST[lab]:
            for kind, names in (("code", todo.code), ("docs", todo.docs)):
                for name in names:
                    seen.setdefault((name, kind), Answer(name, kind, lab, todo.grade_id))
    return list(seen.values())


def left_out(lab: str) -> list[Answer]:
    """What the build for ``lab`` leaves out: everything that answers a TODO of ``lab`` or later.

    Each answer names the first TODO it answers from ``lab`` on.
    """
    start = LAB_ORDER.index(check_lab(lab))
    result = []
    for answer in answers():
        todos = [(l, t) for l, t in _answered(answer.name, answer.kind) if LAB_ORDER.index(l) >= start]
        if todos:
            result.append(dataclasses.replace(answer, lab=todos[0][0], todo=todos[0][1]))
    return sorted(result, key=lambda a: LAB_ORDER.index(a.lab))  # stable: manifest order within a lab


def kept(lab: str) -> list[Answer]:
    """Answers to earlier labs that the build for ``lab`` keeps."""
    dropped = {(a.name, a.kind) for a in left_out(lab)}
    return [a for a in answers() if (a.name, a.kind) not in dropped]


@functools.lru_cache(maxsize=1)
def answer_names() -> frozenset[str]:
    """Qualified names in gan_lab whose code answers a TODO."""
    return frozenset(name for todos in MANIFEST.values() for todo in todos for name in todo.code)
