"""Tests for gan_lab.training: the D step, the G step and the loop."""
import pytest
import torch

from gan_lab import models
from gan_lab.data import DeviceLoader, uniform_noise
from gan_lab.objectives import BCE, BCE_WITH_LOGITS, LEAST_SQUARES
from gan_lab.training import (History, TrainConfig, discriminator_step, generator_step,
                              progress_enabled, train, weight_average)


def _mlp_pair(device="cpu"):
    torch.manual_seed(0)
    g = models.MLPGenerator(8, 16, 784).to(device)
    d = models.MLPDiscriminator(784, 16).to(device)
    return g, d, torch.optim.Adam(d.parameters(), 2e-4), torch.optim.Adam(g.parameters(), 2e-4)


def _snapshot(model):
    return [p.detach().clone() for p in model.parameters()]


def _changed(before, model):
    return [not torch.equal(a, b) for a, b in zip(before, model.parameters())]


def test_d_step_updates_only_d_and_leaves_g_gradients_none(device):
    """Does the D step change every D weight, no G weight, and keep G's .grad None (detach)?"""
    g, d, d_opt, _ = _mlp_pair(device)
    g_before, d_before = _snapshot(g), _snapshot(d)
    real = (torch.rand(4, 1, 28, 28) * 2 - 1).to(device)
    stats = discriminator_step(g, d, d_opt, real, torch.randn(4, 8).to(device), BCE)
    assert all(_changed(d_before, d)) and not any(_changed(g_before, g))
    assert all(p.grad is None for p in g.parameters())
    assert torch.allclose(stats.d_loss, stats.d_loss_real + stats.d_loss_fake)
    assert 0 < stats.d_real.item() < 1 and 0 < stats.d_fake.item() < 1


def test_d_step_loss_is_the_handout_formula():
    """Is the D loss BCE(real, 1) + BCE(fake, 0), computed before the update?"""
    g, d, d_opt, _ = _mlp_pair()
    real, z = torch.rand(6, 784) * 2 - 1, torch.randn(6, 8)
    with torch.no_grad():
        expected = (-torch.log(d(real)).mean() - torch.log(1 - d(g(z))).mean()).item()
    stats = discriminator_step(g, d, d_opt, real, z, BCE)
    assert stats.d_loss.item() == pytest.approx(expected, rel=1e-5)


def test_g_step_updates_only_g():
    """Does the G step change G's weights and leave D's alone?"""
    g, d, _, g_opt = _mlp_pair()
    g_before, d_before = _snapshot(g), _snapshot(d)
    g_loss = generator_step(g, d, g_opt, torch.randn(5, 8), BCE)
    assert all(_changed(g_before, g)) and not any(_changed(d_before, d))
    assert g_loss.requires_grad is False and g_loss.item() > 0
    assert all(p.grad is None for p in d.parameters()), "D's weight gradients are skipped"
    assert all(p.requires_grad for p in d.parameters()), "D is unfrozen afterwards"


def test_g_step_can_reuse_the_d_steps_fakes():
    """Does reusing G(z) from the D step give the same G loss as a fresh pass with that z?"""
    g, d, d_opt, g_opt = _mlp_pair()
    z = torch.randn(5, 8)
    stats = discriminator_step(g, d, d_opt, torch.rand(5, 784) * 2 - 1, z, BCE)
    with torch.no_grad():
        expected = -torch.log(d(g(z))).mean().item()
    assert generator_step(g, d, g_opt, objective=BCE, fake=stats.fake).item() == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="exactly one of z and fake"):
        generator_step(g, d, g_opt, torch.randn(5, 8), BCE, fake=stats.fake)


@pytest.mark.parametrize("objective", [BCE_WITH_LOGITS, LEAST_SQUARES], ids=lambda o: o.name)
def test_steps_work_with_cs231n_models(objective):
    """Do the steps train the logit-output CS231n pair with BCE-with-logits and LSGAN?"""
    torch.manual_seed(0)
    g, d = models.vanilla_generator(4), models.vanilla_discriminator()
    d_opt, g_opt = torch.optim.Adam(d.parameters()), torch.optim.Adam(g.parameters())
    stats = discriminator_step(g, d, d_opt, torch.rand(3, 784), torch.rand(3, 4) * 2 - 1, objective)
    g_loss = generator_step(g, d, g_opt, torch.rand(3, 4) * 2 - 1, objective)
    assert torch.isfinite(stats.d_loss) and torch.isfinite(g_loss)


def test_loop_records_one_entry_per_step_and_stops_at_max_steps():
    """Does max_steps stop the loop, with a history entry per step and epoch ends marked?"""
    g, d, d_opt, g_opt = _mlp_pair()
    loader = DeviceLoader(torch.rand(50, 1, 28, 28) * 2 - 1, batch_size=10, seed=0)
    history = train(g, d, d_opt, g_opt, loader, lambda n: torch.randn(n, 8),
                    TrainConfig(num_epochs=3, max_steps=7, progress=False))
    assert history.steps == 7 and history["epoch_ends"] == [5, 7]
    assert set(history) >= {"d_loss", "d_loss_real", "d_loss_fake", "g_loss", "d_real", "d_fake"}
    assert all(len(history[k]) == 7 for k in ("d_loss", "g_loss", "d_real", "d_fake"))


def test_loop_is_seeded():
    """Same seed, same losses?"""
    def once():
        g, d, d_opt, g_opt = _mlp_pair()
        loader = DeviceLoader(torch.linspace(-1, 1, 40 * 784).reshape(40, 784), batch_size=8, seed=0)
        return train(g, d, d_opt, g_opt, loader, lambda n: torch.randn(n, 8),
                     TrainConfig(num_epochs=2, seed=5, progress=False))["g_loss"]
    assert once() == once()


def test_weight_average_follows_every_g_update_by_its_warmed_up_decay():
    """Does the average start at G's first updated weights, then move (1 - d) per G step, with
    d = min(decay, (1 + n) / (10 + n)) after n updates?"""
    g, d, d_opt, g_opt = _mlp_pair()
    average = weight_average(g, 0.75)
    seen = []
    g_opt.register_step_post_hook(lambda *_: seen.append(_snapshot(g)))
    train(g, d, d_opt, g_opt, [torch.rand(4, 784)] * 40, lambda n: torch.randn(n, 8),
          TrainConfig(num_epochs=1, progress=False), average=average)
    assert len(seen) == 40 and average.n_averaged.item() == 40
    expected = seen[0]
    for n, weights in enumerate(seen[1:], start=1):
        decay = min(0.75, (1 + n) / (10 + n))  # 0.18 after the first update; 0.75 from n = 26
        expected = [decay * e + (1 - decay) * w for e, w in zip(expected, weights)]
    for got, want, last in zip(average.module.parameters(), expected, g.parameters()):
        assert torch.allclose(got, want, atol=1e-6) and not torch.equal(got, last)


@pytest.mark.parametrize("decay", [0.0, 1.0, 1, "0.9"])
def test_weight_average_rejects_a_decay_outside_0_1(decay):
    with pytest.raises(ValueError, match="decay must be a float strictly between 0 and 1"):
        weight_average(torch.nn.Linear(2, 2), decay)


def test_on_epoch_end_is_called_per_epoch():
    """Does the epoch callback see each epoch with the history so far?"""
    g, d, d_opt, g_opt = _mlp_pair()
    seen = []
    train(g, d, d_opt, g_opt, [torch.rand(4, 784)] * 3, lambda n: torch.randn(n, 8),
          TrainConfig(num_epochs=2, progress=False), on_epoch_end=lambda e, h: seen.append((e, h.steps)))
    assert seen == [(0, 3), (1, 6)]


def test_progress_is_silent_under_autograde(monkeypatch):
    """Is the progress bar off under nbgrader (stderr costs students points)?"""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert progress_enabled() is False


def test_silent_loop_writes_nothing_to_stderr(capfd):
    """With progress off, does a training run leave stderr empty?"""
    g, d, d_opt, g_opt = _mlp_pair()
    train(g, d, d_opt, g_opt, [torch.rand(4, 784)] * 2, lambda n: torch.randn(n, 8),
          TrainConfig(num_epochs=1, progress=False))
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("field, value", [("num_epochs", 0), ("d_steps", -1), ("max_steps", 0)])
def test_config_rejects_nonsense(field, value):
    """Are zero or negative counts rejected with the field named?"""
    with pytest.raises(ValueError, match=f"{field} must be a positive integer"):
        TrainConfig(**{field: value})


def test_history_last_on_empty_history_explains():
    """Does asking an empty history for a mean say so?"""
    with pytest.raises(ValueError, match="history has no 'g_loss' values yet"):
        History().last("g_loss")


# Measured on this 2-core CPU (torch 2.14.1): with Adam(5e-4, betas (0.5, 0.999)) seeds 1, 2 and
# 3 first land within tolerance after 500 to 2,500 steps (about 1 s per 500), then oscillate
# around the target by up to 0.4 in the mean, as GANs do. Seed 0 collapses to a point (std 0.01)
# under this and three other settings: the toy is sensitive to its initialisation. 6,000 steps
# is what the toy notebook's write-up run (the decorated, unsorted view) trains on a CPU.
TOY_BUDGET_STEPS = 6000


def toy_budget_snapshots() -> list:
    """The toy trained for ``TOY_BUDGET_STEPS``: G's (mean, std) every 500 steps. A computation
    of its own (a fresh process, ``conftest.in_own_process``)."""
    from gan_lab.recipes import ToyBatches

    torch.manual_seed(1)
    batch = 100
    g = models.ToyGenerator(1, 50, 1)
    d = models.ToyDiscriminator(models.discriminator_input_size(batch, True), 50, 1)
    d_opt = torch.optim.Adam(d.parameters(), lr=5e-4, betas=(0.5, 0.999))
    g_opt = torch.optim.Adam(g.parameters(), lr=5e-4, betas=(0.5, 0.999))
    snapshots = []

    def measure(epoch, history):
        with torch.no_grad():
            fake = g(uniform_noise(10_000))
        snapshots.append((fake.mean().item(), fake.std().item()))

    train(g, d, d_opt, g_opt, ToyBatches(batch, 500, torch.device("cpu")), lambda n: uniform_noise(n),
          TrainConfig(num_epochs=TOY_BUDGET_STEPS // 500, objective=BCE, seed=1, progress=False),
          prepare=models.minibatch_features, on_epoch_end=measure)
    return snapshots


def test_toy_gan_reaches_the_gaussian_within_the_cpu_budget(toy_snapshots):
    """Does the 1-D toy reach mean 4 +/- 0.2 and std 1.25 +/- 0.25 within the measured budget?"""
    snapshots = toy_snapshots
    assert len(snapshots) == TOY_BUDGET_STEPS // 500
    reached = [abs(m - 4.0) < 0.2 and abs(s - 1.25) < 0.25 for m, s in snapshots]
    assert any(reached), f"never within tolerance; (mean, std) per 500 steps: {snapshots}"
    final_mean, final_std = snapshots[-1]
    assert abs(final_mean - 4.0) < 0.5 and abs(final_std - 1.25) < 0.4, snapshots  # still near it
