"""Tests for gan_lab.device: the GPU check students run first."""
import pytest
import torch

from gan_lab.device import DeviceError, DeviceReport, GpuInfo, device_report, format_report, get_device

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="this case is about a machine without CUDA")


def _report(**changes) -> DeviceReport:
    base = dict(torch_version="2.14.1", torchvision_version="0.29.1", cuda_build="13.0",
                cuda_available=True, cuda_usable=True, cuda_error=None, cudnn_version=91002,
                gpus=(GpuInfo(0, "NVIDIA H100 80GB HBM3", 85_520_809_984, (9, 0)),), chosen="cuda:0")
    base.update(changes)
    return DeviceReport(**base)


def test_simulated_cuda_report_names_everything_the_handout_asks_for():
    """With a GPU, does the report give name, memory, compute capability, CUDA, cuDNN and versions?"""
    text = format_report(_report())
    assert "CUDA usable: yes, cuDNN 9.10.2" in text
    assert "GPU 0: NVIDIA H100 80GB HBM3, 79.6 GiB, compute capability 9.0" in text
    assert "CUDA build: 13.0" in text
    assert "torch 2.14.1, torchvision 0.29.1" in text
    assert "Training runs on cuda:0." in text


def test_simulated_broken_cuda_is_reported_as_broken_not_as_absent():
    """When the driver is present but a kernel fails, does the report quote the failure?"""
    text = format_report(_report(cuda_usable=False, cuda_error="CUDA error: no kernel image",
                                 gpus=(), cudnn_version=None, chosen="cpu"))
    assert "CUDA is present but broken: CUDA error: no kernel image" in text
    assert "Training runs on the CPU" in text


@no_cuda
def test_real_report_on_this_machine_says_cpu_in_plain_words():
    """Without a GPU, does the real report say so and what follows (CPU, smaller budgets)?"""
    report = device_report()
    assert report.torch_version == torch.__version__
    assert not report.has_gpu and report.chosen == "cpu"
    text = format_report(report)
    assert "CUDA usable: no (no usable GPU was found)." in text
    assert "smaller budgets" in text


@no_cuda
def test_asking_for_cuda_without_one_is_an_error_not_a_silent_cpu_run():
    """Does get_device('cuda') refuse rather than fall back to the CPU?"""
    with pytest.raises(DeviceError, match="'cuda' was asked for, but CUDA is not usable"):
        get_device("cuda")
    assert get_device("auto") == torch.device("cpu")


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "", "CPU", 3])
def test_unknown_device_names_are_rejected_with_the_accepted_forms(bad):
    """Is a typo in the device name answered with the forms that work?"""
    with pytest.raises(DeviceError, match="'auto', 'cpu', 'cuda' or 'cuda:N'"):
        get_device(bad)


def test_cpu_is_always_available():
    """Can every machine train on the CPU when asked?"""
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.cuda
def test_real_cuda_report_on_a_gpu_machine():
    """On a GPU machine, is CUDA usable and the first GPU chosen?"""
    report = device_report()
    assert report.has_gpu and report.chosen == "cuda:0"
    assert get_device("cuda") == torch.device("cuda")
    assert report.gpus[0].total_memory_bytes > 0
