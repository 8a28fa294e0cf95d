"""Tests for gan_lab.runs and the `gan-lab train` / `gan-lab sample` commands."""
import subprocess
import sys

import pytest
import torch

from gan_lab.cli import main
from gan_lab.mnist import prepare_mnist
from gan_lab.checkpoints import CheckpointError, load_checkpoint
from gan_lab.recipes import KINDS, build_recipe
from gan_lab.runs import run
from gan_lab.tracking import read_events


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("mnist")
    prepare_mnist(root, download=False, announce=None)
    return root


def _in_process(capsys, monkeypatch, cwd, *args):
    """Run gan-lab in this process (fast); returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(cwd)
    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse exits for --help and usage errors
        code = exit_.code
    out = capsys.readouterr()
    return code, out.out, out.err


def _cli(*args, cwd):
    """Run gan-lab as a user would, in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", "gan_lab.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env={"GAN_LAB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("kind", KINDS)
def test_every_recipe_builds_on_the_cpu(kind):
    """Does each kind build models whose generator output D accepts?"""
    recipe = build_recipe(kind, torch.device("cpu"))
    z = recipe.noise(recipe.batch_size)
    fake = recipe.generator(z)
    assert torch.isfinite(recipe.discriminator(recipe.prepare(fake))).all()


def test_run_logs_one_grid_per_epoch_scalars_and_the_graph(tmp_path, data_root):
    """Do the event files hold one image per epoch, the loss tags per step, and a graph?"""
    result = run("mlp", logdir=tmp_path / "run", epochs=2, batch_size=1000, device="cpu",
                 data_root=data_root, progress=False)
    events = read_events(tmp_path / "run")
    assert events["images"]["samples"] == [0, 1]
    assert len(events["scalars"]["loss/g_loss"]) == result.history.steps == 8
    assert {"loss/d_loss", "loss/d_loss_real", "loss/d_loss_fake", "D/d_real", "D/d_fake"} <= set(events["scalars"])
    assert events["graph"]
    assert result.samples_path.stat().st_size > 1000
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir()) == ["epoch_001.pt", "epoch_002.pt", "last.pt"]


def test_a_long_run_keeps_last_pt_and_ten_numbered_checkpoints(tmp_path, data_root):
    """Hundreds of short epochs must not write hundreds of checkpoints."""
    run("mlp", logdir=tmp_path / "run", epochs=25, batch_size=1000, device="cpu", max_steps=50,
        data_root=data_root, progress=False, log_graph=False)
    names = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert names == [f"epoch_{n:03d}.pt" for n in (2, 4, 6, 8, 10, 12, 13)] + ["last.pt"]
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")["epoch"] == 12  # the 13th


def test_resume_continues_exactly_where_a_run_stopped(tmp_path, small_mnist):
    """Is 1 epoch + resume for 1 more bit-identical to 2 epochs straight (DCGAN, with dropout)?"""
    common = dict(batch_size=32, device="cpu", data_root=small_mnist, progress=False, max_steps=None)
    straight = run("dcgan", logdir=tmp_path / "a", epochs=2, **common)
    run("dcgan", logdir=tmp_path / "b", epochs=1, **common)
    resumed = run("dcgan", logdir=tmp_path / "b", epochs=2,
                  resume=tmp_path / "b" / "checkpoints" / "last.pt", **common)
    assert resumed.history["g_loss"] == straight.history["g_loss"]
    for weights in ("generator", "generator_average"):
        a = load_checkpoint(straight.last_checkpoint)[weights]
        b = load_checkpoint(resumed.last_checkpoint)[weights]
        assert all(torch.equal(a[k], b[k]) for k in a), weights


def test_resume_refuses_a_finished_run_and_a_wrong_kind(tmp_path, data_root):
    """Are a finished run and a checkpoint of another kind explained, not silently retrained?"""
    run("mlp", logdir=tmp_path / "r", epochs=1, batch_size=2000, device="cpu", data_root=data_root, progress=False)
    last = tmp_path / "r" / "checkpoints" / "last.pt"
    with pytest.raises(CheckpointError, match="already finished epoch 1 of 1; ask for more --epochs"):
        run("mlp", logdir=tmp_path / "r", epochs=1, resume=last, data_root=data_root, progress=False)
    with pytest.raises(CheckpointError, match="checkpoint is for 'mlp', not 'lsgan'"):
        run("lsgan", logdir=tmp_path / "r2", epochs=2, resume=last, data_root=data_root, progress=False)


def test_resume_refuses_a_checkpoint_without_the_recipes_weight_average(tmp_path):
    """Is an old toy checkpoint (no weight average) refused by name, not resumed half-way?"""
    run("toy1d", logdir=tmp_path / "r", epochs=1, max_steps=5, device="cpu", progress=False)
    last = tmp_path / "r" / "checkpoints" / "last.pt"
    state = load_checkpoint(last)
    state["generator_average"] = None
    torch.save(state, last)
    with pytest.raises(CheckpointError, match="checkpoint has no weight average, which the toy1d recipe keeps"):
        run("toy1d", logdir=tmp_path / "r", epochs=2, resume=last, device="cpu", progress=False)


def test_cli_trains_the_toy_and_samples_from_its_checkpoint(tmp_path):
    """Does `gan-lab train toy1d` write logs and a checkpoint that `gan-lab sample` reads?"""
    done = _cli("train", "toy1d", "--epochs", "1", "--max-steps", "50", "--device", "cpu",
                "--logdir", "runs/toy", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "trained toy1d: 50 steps" in done.stdout and done.stderr == ""
    sampled = _cli("sample", "runs/toy/checkpoints/last.pt", "--out", "toy.png", cwd=tmp_path)
    assert sampled.returncode == 0, sampled.stderr
    assert (tmp_path / "toy.png").stat().st_size > 1000


@pytest.mark.parametrize("args, message", [
    (["train", "gan"], "argument kind: invalid choice: 'gan'"),
    (["train", "mlp", "--epochs", "0"], "argument --epochs: expected a positive integer, got 0"),
    (["train", "mlp", "--device", "gpu"], "device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got 'gpu'"),
    (["sample", "missing.pt"], "missing.pt: checkpoint not found"),
    (["data", "--source", "nowhere"], "nowhere: MNIST source folder does not exist"),
])
def test_bad_arguments_get_one_line_not_a_traceback(tmp_path, capsys, monkeypatch, args, message):
    """Does each mistake end in one line on stderr naming the problem, with a non-zero exit?"""
    code, _, err = _in_process(capsys, monkeypatch, tmp_path, *args)
    assert code != 0
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_damaged_checkpoint_is_named(tmp_path, capsys, monkeypatch):
    """Is a damaged checkpoint reported as such?"""
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    code, _, err = _in_process(capsys, monkeypatch, tmp_path, "sample", "bad.pt")
    assert code == 1 and "bad.pt: not a readable gan-lab checkpoint" in err


def test_a_bug_shows_its_traceback_and_is_not_called_a_user_error(tmp_path, monkeypatch):
    """A ValueError from deep inside training is a bug: gan-lab lets it through whole."""
    from gan_lab import cli, runs

    def broken(*args, **kwargs):
        raise ValueError("a bug in the training loop")

    monkeypatch.setattr(runs, "run", broken)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="a bug in the training loop"):
        cli.main(["train", "toy1d", "--max-steps", "1"])


def test_help_for_every_command(tmp_path, capsys, monkeypatch):
    """Does every command answer --help?"""
    for command in ([], ["doctor"], ["data"], ["train"], ["sample"]):
        code, out, _ = _in_process(capsys, monkeypatch, tmp_path, *command, "--help")
        assert code == 0 and "usage: gan-lab" in out


def test_doctor_exits_zero_without_a_gpu_and_flags_damaged_data(tmp_path):
    """Is a missing GPU fine for doctor, and a damaged MNIST file not?"""
    done = _cli("doctor", cwd=tmp_path)
    assert done.returncode == 0 and "Status: ready." in done.stdout
    prepare_mnist(tmp_path / "data", download=False, announce=None)
    raw = tmp_path / "data" / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"
    raw.write_bytes(raw.read_bytes()[:100])
    done = _cli("doctor", cwd=tmp_path)
    assert done.returncode == 1 and "incomplete or damaged" in done.stdout


def test_evaluate_prints_measures_beside_their_floors(tmp_path, small_mnist, capsys, monkeypatch):
    """Does `gan-lab evaluate RUN` print each measure with its real-vs-real floor?"""
    run("mlp", logdir=tmp_path / "r", epochs=1, batch_size=64, device="cpu", data_root=small_mnist,
        progress=False)
    code, out, err = _in_process(capsys, monkeypatch, tmp_path, "evaluate", "r", "--data-root",
                                 str(small_mnist), "--device", "cpu")
    assert code == 0, err
    assert "(mlp, samples from the generator's weight average)" in out and "floor (real vs real)" in out
    assert all(name in out for name in ("frechet_distance", "classifier_score", "class_coverage", "kl_to_uniform"))


def test_evaluate_without_a_checkpoint_says_what_it_expected(tmp_path, capsys, monkeypatch):
    """Is a folder without checkpoints answered in one line?"""
    code, _, err = _in_process(capsys, monkeypatch, tmp_path, "evaluate", ".")
    assert code == 1 and "no checkpoints/last.pt" in err


def test_cosine_decay_falls_from_the_full_lr_towards_the_final_fraction():
    """Does the schedule start at 1, pass half-way at mid-run, and end just above the floor?"""
    from gan_lab.recipes import cosine_decay

    schedule = cosine_decay(0.01)
    assert schedule(0, 40) == 1.0
    assert abs(schedule(20, 40) - 0.505) < 1e-12
    assert 0.01 < schedule(39, 40) < 0.03


def test_sorted_minibatch_gives_d_one_ascending_row():
    """Is a (n, 1) batch turned into a (1, n) row in ascending order that keeps G's gradients?"""
    from gan_lab.recipes import sorted_minibatch

    samples = torch.tensor([[3.0], [1.0], [2.0]], requires_grad=True)
    row = sorted_minibatch(samples)
    assert row.shape == (1, 3) and row.tolist() == [[1.0, 2.0, 3.0]]
    (row * torch.tensor([[1.0, 10.0, 100.0]])).sum().backward()
    assert samples.grad.flatten().tolist() == [100.0, 1.0, 10.0]


def test_toy_resume_continues_on_the_lr_schedule(tmp_path):
    """Is 1 toy epoch + resume for 1 more identical to 2 straight, G's lr schedule and weight average included?"""
    from gan_lab.recipes import cosine_decay

    common = dict(device="cpu", progress=False, epochs=2)
    straight = run("toy1d", logdir=tmp_path / "a", **common)
    run("toy1d", logdir=tmp_path / "b", device="cpu", progress=False, epochs=1)
    resumed = run("toy1d", logdir=tmp_path / "b", resume=tmp_path / "b" / "checkpoints" / "last.pt", **common)
    assert resumed.history["g_loss"] == straight.history["g_loss"]
    a, b = (load_checkpoint(run.last_checkpoint)["generator_average"] for run in (straight, resumed))
    assert a["n_averaged"].item() == 1000 and all(torch.equal(a[k], b[k]) for k in a)
    first = load_checkpoint(tmp_path / "a" / "checkpoints" / "epoch_001.pt")
    g_group, d_group = (first[name]["param_groups"][0] for name in ("g_optimizer", "d_optimizer"))
    assert g_group["lr"] == g_group["initial_lr"] * cosine_decay(0.001)(1, 2)
    assert d_group["lr"] == 2e-4 and "initial_lr" not in d_group  # D's lr stays where it started
