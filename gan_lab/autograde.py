"""``gan-lab autograde LAB``: grade a class's submissions, in parallel, and trust no kernel.

One unit of work is one submission: ``nbgrader autograde LAB --student S`` in its own process,
with its own kernel (sandboxed by ``nbgrader_config.py``). ``--jobs N`` runs N units at once;
they share the gradebook, which SQLite keeps consistent (each unit writes one submission's rows
in short transactions, waiting up to a minute for the others).

After the units, and outside any kernel, each graded notebook is checked for the sealed receipts
that genuine checks leave (``gan_lab.grading.seal``): a test cell that nbgrader scored without
one, or with a score its receipt does not back, is set to 0 in the gradebook (a manual score the
instructor sees in formgrader) and the reason is written into the cell for the feedback. Then
``gan-lab audit`` findings are listed for review, and feedback is generated.
"""
from __future__ import annotations

import dataclasses
import json
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Optional, Sequence

import nbformat

from gan_lab.course import CourseError, autograded_points, nbgrader, scores
from gan_lab.grading import seal

LEDGER = "gan-lab-overrides.json"  # the cells this command zeroed, so a re-grade can undo it


@dataclasses.dataclass(frozen=True)
class Override:
    cell: str
    score: float
    reason: str


@dataclasses.dataclass(frozen=True)
class Graded:
    """One submission after ``autograde``."""
    student: str
    earned: float
    available: float
    seconds: float
    overrides: tuple[Override, ...]
    findings: tuple[str, ...]  # kinds of audit finding to review (see ``gan-lab audit``)
    problem: str = ""  # why nbgrader could not grade it, when it could not


# --------------------------------------------------------------------------- inputs
def submitted_students(course_dir: Path, lab: str) -> list[str]:
    """Students with a submission folder for ``lab``, sorted."""
    root = course_dir / "submitted"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / lab).is_dir())


def _check_course(course_dir: Path, lab: str, students: Optional[Sequence[str]]) -> list[str]:
    from nbgrader.api import Gradebook, MissingEntry

    if not (course_dir / "nbgrader_config.py").is_file():
        raise CourseError(f"{course_dir} is not a course folder: it has no nbgrader_config.py")
    if not (course_dir / "gradebook.db").is_file():
        raise CourseError(f"{course_dir} has no gradebook.db yet: run `nbgrader generate_assignment "
                          f"{lab}` there first")
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
        try:
            gradebook.find_assignment(lab)
        except MissingEntry:
            raise CourseError(f"{lab} is not in the gradebook: run `nbgrader generate_assignment "
                              f"{lab}` first") from None
    present = submitted_students(course_dir, lab)
    if students:
        missing = sorted(set(students) - set(present))
        if missing:
            raise CourseError(f"no submission of {lab} in submitted/ for: {', '.join(missing)}")
        return list(dict.fromkeys(students))
    if not present:
        raise CourseError(f"no submissions of {lab} in {course_dir / 'submitted'}")
    return present


# --------------------------------------------------------------------------- receipts
def _test_cells(notebook) -> dict[str, object]:
    """grade_id -> cell for the autograded code cells (the tests)."""
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")}


def verify_receipts(notebook, cell_scores: dict[str, float], key: bytes) -> list[Override]:
    """The test cells whose score no genuine check backs, with the score they deserve."""
    overrides = []
    for grade_id, cell in _test_cells(notebook).items():
        score = cell_scores.get(grade_id)
        if not score or "check_" not in cell.source:  # nothing earned, or no check to back it
            continue
        found = seal.receipts(cell.get("outputs", []))
        genuine = [r for r in found if seal.valid_receipt(r, key)
                   and str(r["check"]).rsplit(".", 1)[-1] in cell.source]
        if not genuine:
            why = ("a forged receipt" if found else "no receipt") + " from the grading checks"
            overrides.append(Override(grade_id, 0.0, f"{score:g} point(s) came with {why}: the "
                                      "check did not run as written (the grader was replaced or "
                                      "bypassed in this kernel), so this test earns 0"))
            continue
        numbers = [r["result"] for r in genuine if isinstance(r.get("result"), (int, float))]
        if numbers and abs(numbers[-1] - score) > 1e-9:
            overrides.append(Override(grade_id, float(min(numbers[-1], score)),
                                      f"the check awarded {numbers[-1]:g} point(s) but the cell "
                                      f"reported {score:g}, so it earns {min(numbers[-1], score):g}"))
    return overrides


def _load_ledger(course_dir: Path) -> dict:
    path = course_dir / LEDGER
    return json.loads(path.read_text()) if path.exists() else {}


def _apply_overrides(course_dir: Path, lab: str, student: str, overrides: list[Override],
                     ledger: dict) -> None:
    """Write overrides as manual scores; undo the ones a previous run made that no longer hold."""
    from nbgrader.api import Gradebook

    previous = set(ledger.get(lab, {}).get(student, []))
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
        for grade_id in previous - {o.cell for o in overrides}:
            grade = gradebook.find_grade(grade_id, lab, lab, student)
            grade.manual_score = None
            grade.needs_manual_grade = False
        for override in overrides:
            grade = gradebook.find_grade(override.cell, lab, lab, student)
            grade.manual_score = override.score
            grade.needs_manual_grade = False
        gradebook.db.commit()
    ledger.setdefault(lab, {})[student] = sorted(o.cell for o in overrides)


def _annotate(path: Path, overrides: list[Override]) -> None:
    """Write each override's reason into its cell, where the feedback page shows it."""
    notebook = nbformat.read(path, as_version=4)
    cells = _test_cells(notebook)
    for override in overrides:
        reason = f"gan-lab autograde: {override.reason}"
        cells[override.cell].outputs.append(nbformat.v4.new_output(
            "error", ename="GradingSealError", evalue=override.reason, traceback=[reason]))
    mode = path.stat().st_mode
    path.chmod(mode | 0o200)  # nbgrader leaves graded notebooks read-only
    nbformat.write(notebook, path)
    path.chmod(mode)


# --------------------------------------------------------------------------- the command
def _grade_one(course_dir: Path, lab: str, student: str, env: dict[str, str]) -> tuple[float, str]:
    """Seconds taken, and why nbgrader could not grade the submission ("" when it did)."""
    started = time.perf_counter()
    problem = ""
    try:
        nbgrader(course_dir, "autograde", lab, "--student", student, "--force", env=env, strict=False)
    except CourseError as error:
        reasons = [line.split("ERROR]", 1)[1].strip() for line in str(error).splitlines()
                   if "ERROR]" in line and "error processing" not in line]
        problem = reasons[0] if reasons else str(error).splitlines()[0]
    if not problem and not (course_dir / "autograded" / student / lab / f"{lab}.ipynb").is_file():
        problem = "nbgrader wrote no graded notebook"
    return time.perf_counter() - started, problem


def _zero_ungraded(course_dir: Path, lab: str, student: str, reason: str) -> list[Override]:
    """A submission nbgrader could not grade earns 0 on every autograded cell, on record."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
        try:
            gradebook.find_submission(lab, student)
        except MissingEntry:
            gradebook.add_submission(lab, student)
        notebook = gradebook.find_submission_notebook(lab, lab, student)
        cells = [g.name for g in notebook.grades if g.cell.cell_type == "code"]
    return [Override(cell, 0.0, f"not graded: {reason}") for cell in cells]


def autograde(course_dir: Path, lab: str, *, jobs: int = 1, students: Optional[Sequence[str]] = None,
              feedback: bool = True, env: Optional[dict[str, str]] = None,
              say: Callable[[str], None] = print) -> list[Graded]:
    """Grade the submissions of ``lab`` in ``course_dir``; see the module docstring."""
    from gan_lab.audit import audit_lab
    from gan_lab.sandbox import sandbox_enabled

    if jobs < 1:
        raise CourseError(f"--jobs must be at least 1, got {jobs}")
    course_dir = course_dir.resolve()
    names = _check_course(course_dir, lab, students)
    key = secrets.token_bytes(32)
    sealed = sandbox_enabled({**os.environ, **(env or {})})
    unit_env = dict(env or {})
    if sealed:
        unit_env["GAN_LAB_SEAL_KEY"] = key.hex()
    else:
        say("GAN_LAB_SANDBOX=off: no sandbox, so no sealed receipts; scores are nbgrader's as is")
    # Each unit gets an equal share of the cores; torch would otherwise oversubscribe them.
    unit_env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // jobs)))
    say(f"[{lab}] grading {len(names)} submission(s) with {jobs} job(s)")
    seconds: dict[str, float] = {}
    problems: dict[str, str] = {}

    def unit(student: str) -> None:
        seconds[student], problem = _grade_one(course_dir, lab, student, unit_env)
        if problem:
            problems[student] = problem
        say(f"[{lab}] {student}: {'NOT GRADED: ' + problem if problem else 'graded'} "
            f"({seconds[student]:.1f} s)")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(unit, names))
    wall = time.perf_counter() - started

    audit = audit_lab(course_dir, lab)
    ledger = _load_ledger(course_dir)
    results = []
    for student in names:
        graded_path = course_dir / "autograded" / student / lab / f"{lab}.ipynb"
        overrides = []
        if student in problems:
            overrides = _zero_ungraded(course_dir, lab, student, problems[student])
        elif sealed:
            notebook = nbformat.read(graded_path, as_version=4)
            by_cell = {c.name: (c.auto or 0.0) for c in scores(course_dir, lab, student)
                       if not c.manual}
            overrides = verify_receipts(notebook, by_cell, key)
            if overrides:
                _annotate(graded_path, overrides)
        _apply_overrides(course_dir, lab, student, overrides, ledger)
        findings = tuple(dict.fromkeys(f.kind for f in audit.get(student, [])))
        earned, available = autograded_points(scores(course_dir, lab, student))
        results.append(Graded(student, earned, available, seconds[student], tuple(overrides),
                              findings, problems.get(student, "")))
    (course_dir / LEDGER).write_text(json.dumps(ledger, indent=1, sort_keys=True) + "\n")
    if feedback:
        nbgrader(course_dir, "generate_feedback", lab, "--force", env=env, strict=False)
    say(f"[{lab}] {len(names)} submission(s) in {wall:.1f} s: {60 * len(names) / wall:.1f} per minute "
        f"with {jobs} job(s)")
    return results


def format_results(lab: str, results: list[Graded]) -> str:
    """The table ``gan-lab autograde`` prints."""
    lines = [f"{'student':<18} {'autograded':>11} {'seconds':>8}  {'zeroed by gan-lab':<24} audit"]
    for row in results:
        zeroed = f"all: {row.problem}" if row.problem else ", ".join(o.cell for o in row.overrides) or "-"
        audit = f"{', '.join(row.findings)} (gan-lab audit {lab})" if row.findings else "clean"
        lines.append(f"{row.student:<18} {row.earned:>5g} / {row.available:<3g} {row.seconds:>8.1f}  "
                     f"{zeroed:<24} {audit}")
    return "\n".join(lines)
