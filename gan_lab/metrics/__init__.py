"""Offline sample-quality measures, each reported beside its real-vs-real floor.

Images are read through a small MNIST classifier shipped with the package (``classifier.py``);
the 1-D toy is compared with its Gaussian target directly (``toy.py``)::

    from gan_lab.metrics import evaluate_images, format_table
    print(format_table(evaluate_images(fake_images, real_images)))
"""
from gan_lab.metrics.classifier import MnistClassifier, load_classifier
from gan_lab.metrics.image import (as_mnist_images, class_coverage, classifier_score, classify,
                                   evaluate_images, frechet_distance, kl_to_uniform, label_histogram)
from gan_lab.metrics.table import format_table
from gan_lab.metrics.toy import evaluate_toy, ks_statistic, wasserstein1

__all__ = [
    "MnistClassifier", "as_mnist_images", "class_coverage", "classifier_score", "classify",
    "evaluate_images", "evaluate_toy", "format_table", "frechet_distance", "kl_to_uniform",
    "ks_statistic", "label_histogram", "load_classifier", "wasserstein1",
]
