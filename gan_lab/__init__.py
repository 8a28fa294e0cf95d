"""gan-lab: the package every lab notebook imports.

The public API, re-exported here; each module's docstring says more.
"""
from gan_lab.budget import Budget, smoke_mode, training_budget
from gan_lab.data import (DeviceLoader, gaussian_samples, latent_noise, load_mnist, mnist_tensors,
                          tanh_range_transform, uniform_noise)
from gan_lab.device import DeviceError, device_report, format_report, get_device
from gan_lab.mnist import MnistError, prepare_mnist
from gan_lab.objectives import BCE, BCE_WITH_LOGITS, LEAST_SQUARES, Objective
from gan_lab.training import History, TrainConfig, discriminator_step, generator_step, train

__version__ = "0.1.0"

__all__ = [
    "BCE", "BCE_WITH_LOGITS", "Budget", "DeviceError", "DeviceLoader", "History", "LEAST_SQUARES",
    "MnistError", "Objective", "TrainConfig", "device_report", "discriminator_step",
    "format_report", "gaussian_samples", "generator_step", "get_device", "latent_noise",
    "load_mnist", "mnist_tensors", "prepare_mnist", "smoke_mode", "tanh_range_transform", "train",
    "training_budget", "uniform_noise",
]
