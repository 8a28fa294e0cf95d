"""Each solved lab, run as a student runs it, at the student's budget: wall time and quality.

    python benchmarks/bench_labs.py --device cpu                 every lab in a Jupyter kernel
    python benchmarks/bench_labs.py --device cuda --mode process every lab in a plain process
    python benchmarks/bench_labs.py --lab toy_1d --out runs/bench-labs

A lab is the instructor's solution with its markers and hidden tests taken out (what a student
who solved every TODO hands in), executed top to bottom with the notebook's own folder
(``notebooks/<lab>/``) as the working directory and nothing shrunk: not under autograde, not
in smoke mode. ``--mode kernel`` (the default) runs it in a real Jupyter kernel through
nbclient and keeps the executed notebook; ``--mode process`` runs its code cells in order in
one plain Python process, for machines without Jupyter (the GPU check's): figures are saved
as PNGs, and ``display`` is one that saves figures and prints everything else (IPython may be
missing there).

Printed per lab: the wall time, the line saying where MNIST came from, and every
``Sample quality:`` line the notebook printed. ``--json PATH`` writes the same as JSON.

``--toy-seeds 0 1 2 3 4`` (kernel mode) then trains the toy lab's own ``train_toy_gan`` once
more from each seed, at the notebook's budget, in the same kernel, and adds each seed's quality
line (marked ``[seed S]``). Those runs are not counted in the lab's wall time.

This is a benchmark, not a test: a lab that fails is reported and the rest still run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LABS = ("mlp_gan", "gan_losses", "dcgan", "toy_1d")
QUALITY_PREFIX = "Sample quality:"
DATA_MARKERS = ("MNIST offline", "MNIST downloaded", "MNIST from", "MNIST ready", "MNIST:")


def lab_source(lab: str) -> Path:
    return REPO / "solutions" / lab / f"{lab}.ipynb"


# --------------------------------------------------------------------------- one lab, one process
def _display_for(figures: Path):
    """``IPython.display.display`` for a plain process (where IPython may be missing): saves
    figures as PNGs and prints everything else. (Not put into ``sys.modules``: matplotlib would
    take a fake IPython module for a running IPython.)"""
    counter = {"n": 0}

    def display(*objects, **_):
        for obj in objects:
            if hasattr(obj, "savefig"):
                counter["n"] += 1
                obj.savefig(figures / f"display_{counter['n']:02d}.png", dpi=80)
            else:
                print(repr(obj))

    return display


_IPYTHON_DISPLAY_IMPORT = "from IPython.display import display"


def run_in_process(lab: str, figures: Path) -> int:
    """Execute the lab's code cells in this process; 1 at the first failing cell."""
    import traceback

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gan_lab.labcode import code_cells

    figures.mkdir(parents=True, exist_ok=True)
    namespace = {"__name__": "__main__", "display": _display_for(figures)}
    os.chdir(REPO / "notebooks" / lab)
    for index, source in code_cells(lab_source(lab)):
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))
                 and line.strip() != _IPYTHON_DISPLAY_IMPORT]
        try:
            exec(compile("\n".join(lines), f"<{lab} cell {index}>", "exec"), namespace)
        except Exception:
            print(f"cell {index} failed:", file=sys.stderr)
            traceback.print_exc()
            return 1
        finally:
            for number in plt.get_fignums():
                plt.figure(number).savefig(figures / f"cell{index:02d}_{number}.png", dpi=80)
            plt.close("all")
        sys.stdout.flush()
    return 0


# --------------------------------------------------------------------------- one lab, a kernel
def toy_seeds_cell(seeds: list[int]) -> str:
    """A code cell, run after the toy lab, that trains its ``train_toy_gan`` from each seed."""
    return f"""
def quality_line_with_seed(text):
    first, _, advice = text.partition("\\n")
    print(f"{{first}} [seed {{seed}}]" + (f"\\n{{advice}}" if advice else ""))

for seed in {list(seeds)!r}:
    G_seed, _ = train_toy_gan(num_steps, seed=seed, print_interval=num_steps)
    with torch.no_grad():
        seed_samples = G_seed(get_generator_input_sampler()(10_000, g_input_size))
    report_toy_quality(seed_samples, show=quality_line_with_seed)
"""


def run_in_kernel(lab: str, executed: Path, extra_cells: tuple[str, ...] = ()) -> tuple[int, str, float]:
    """Execute the solved lab in a Jupyter kernel, then ``extra_cells``; (exit status, the
    printed output, seconds spent in the extra cells)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    from gan_lab.course.nbgrader_run import solution_submission

    solution_submission(lab_source(lab), executed)
    notebook = nbformat.read(executed, as_version=4)
    first_extra = len(notebook.cells)
    notebook.cells.extend(nbformat.v4.new_code_cell(source) for source in extra_cells)
    client = NotebookClient(notebook, timeout=None, kernel_name="python3",
                            resources={"metadata": {"path": str(REPO / "notebooks" / lab)}})
    status, extra_started = 0, None
    try:
        with client.setup_kernel():
            for index, cell in enumerate(notebook.cells):
                if index == first_extra:
                    extra_started = time.perf_counter()
                client.execute_cell(cell, index)
    except CellExecutionError as exc:
        status = 1
        print(str(exc).splitlines()[-1] if str(exc) else "a cell failed", file=sys.stderr)
    finally:
        nbformat.write(notebook, executed)
    extra_seconds = 0.0 if extra_started is None else time.perf_counter() - extra_started
    printed = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                printed.append(output.get("text", ""))
            elif output.get("output_type") == "error":
                printed.append(f"{output.get('ename')}: {output.get('evalue')}\n")
    return status, "".join(printed), extra_seconds


# --------------------------------------------------------------------------- the benchmark
def summarise(lab: str, status: int, seconds: float, output: str) -> dict:
    lines = output.splitlines()
    return {
        "lab": lab,
        "status": "ok" if status == 0 else "failed",
        "seconds": round(seconds, 1),
        "data": next((line for line in lines if line.startswith(DATA_MARKERS)), ""),
        "quality": [line for line in lines if line.startswith(QUALITY_PREFIX)],
        "tail": "" if status == 0 else "\n".join(lines[-12:]),
    }


def child_env(device: str) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "MPLBACKEND": "Agg", "GAN_LAB_NO_PROGRESS": "1", "PYTHONUNBUFFERED": "1"}
    for name in ("NBGRADER_EXECUTION", "GAN_LAB_SMOKE"):  # the student's budget, never smoke
        env.pop(name, None)
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


def bench_lab(lab: str, mode: str, device: str, out: Path, timeout: float,
              extra_cells: tuple[str, ...] = ()) -> dict:
    started, extra_seconds = time.perf_counter(), 0.0
    if mode == "process":
        command = [sys.executable, __file__, "--run-one", lab, "--out", str(out)]
        try:
            done = subprocess.run(command, env=child_env(device), capture_output=True, text=True,
                                  timeout=timeout)
            status, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as exc:
            status = 124
            output = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            output += f"\ntimed out after {timeout:.0f} s"
    else:
        os.environ.update(child_env(device))
        status, output, extra_seconds = run_in_kernel(lab, out / f"{lab}.executed.ipynb", extra_cells)
    return summarise(lab, status, time.perf_counter() - started - extra_seconds, output)


def format_table(results: list[dict], machine: str) -> str:
    rows = [f"machine: {machine}", f"{'lab':<11} {'status':<7} {'wall s':>7}  data / quality"]
    for result in results:
        rows.append(f"{result['lab']:<11} {result['status']:<7} {result['seconds']:>7.1f}  {result['data']}")
        rows.extend(f"{'':<27}  {line}" for line in result["quality"])
        if result["tail"]:
            rows.extend(f"{'':<27}  | {line}" for line in result["tail"].splitlines())
    return "\n".join(rows)


def machine_name(device: str) -> str:
    import torch

    if device == "cuda":
        return f"{torch.cuda.get_device_name(0)}; torch {torch.__version__}"
    return f"CPU, {os.cpu_count()} cores; torch {torch.__version__}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cpu hides any GPU from the lab; cuda needs one (default: cpu)")
    parser.add_argument("--mode", choices=("kernel", "process"), default="kernel")
    parser.add_argument("--lab", action="append", choices=LABS, help="a lab (repeatable; default: all)")
    parser.add_argument("--out", default="runs/bench-labs", help="executed notebooks and figures")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per lab (default: 1800)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--toy-seeds", type=int, nargs="+", metavar="S",
                        help="after the toy lab, train its train_toy_gan from each seed (kernel mode)")
    parser.add_argument("--run-one", choices=LABS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    if args.run_one:
        return run_in_process(args.run_one, out / args.run_one)
    if args.toy_seeds and args.mode != "kernel":
        parser.error("--toy-seeds needs --mode kernel")
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            print("bench_labs: --device cuda, but no CUDA GPU is usable here", file=sys.stderr)
            return 1
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for lab in args.lab or LABS:
        extra = (toy_seeds_cell(args.toy_seeds),) if lab == "toy_1d" and args.toy_seeds else ()
        result = bench_lab(lab, args.mode, args.device, out, args.timeout, extra)
        results.append(result)
        print(f"{lab}: {result['status']} in {result['seconds']:.1f} s", flush=True)
    table = format_table(results, machine_name(args.device))
    print(table)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine_name(args.device), "mode": args.mode,
                                               "labs": results}, indent=2))
    return 0 if all(result["status"] == "ok" for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
