"""``gan-lab autograde LAB``: grade a class's submissions, in parallel, and trust no kernel.

One unit of work is one submission: ``nbgrader autograde LAB --student S`` in its own process
(forked from a preloaded nbgrader, ``gan_lab.course.nbgrader_host``), with its own kernel
(sandboxed through ``gan_lab.course.config.configure``), then the re-check below
(``grade_unit``). ``--jobs N`` runs N units at once; they share the gradebook, which SQLite
or PostgreSQL keeps consistent (each unit writes one submission's rows in short transactions).
``--cluster ADDRESS`` runs each unit as a task of a Dask cluster instead
(``gan_lab.course.cluster``).

Within each unit, after nbgrader and outside any kernel, every test cell that nbgrader scored above 0 is
re-checked (``gan_lab.course.recheck``): its hidden check runs again in a fresh sandboxed process that
loaded the genuine checks before the student's definitions. A cell keeps its points only when
both runs agree; otherwise it is set to what the re-check awards (0 for a failed check) in the
gradebook, as a manual score the instructor sees in formgrader, and the reason is written into
the cell for the feedback. Then ``gan-lab audit`` runs: a submission whose code reaches for the
grader or the interpreter's internals has its autograded points held (see ``holds``) until the
instructor releases them. Feedback is generated last.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Optional, Sequence

import nbformat

from gan_lab.course.gradebook import autograded_points, open_gradebook, require_gradebook, scores
from gan_lab.course.nbgrader_run import CourseError, nbgrader

LEDGER = "gan-lab-overrides.json"  # the cells this command zeroed, so a re-grade can undo it


@dataclasses.dataclass(frozen=True)
class Override:
    cell: str
    score: float
    reason: str
    kind: str = "GradingRecheckError"  # how the feedback page names it
    key: str | None = None  # the mistake the re-check's failed check named, if it named one


HELD = "HeldForReview"


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
    recheck_seconds: float = 0.0  # the out-of-kernel re-check's wall time
    held: str = ""  # why its points are held for review ("" when they are not)
    unchanged: bool = False  # not regraded: the same notebook was graded under the same tests


# --------------------------------------------------------------------------- inputs
def submitted_students(course_dir: Path, lab: str) -> list[str]:
    """Students with a submission folder for ``lab``, sorted."""
    root = course_dir / "submitted"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / lab).is_dir())


def _check_course(course_dir: Path, lab: str, students: Optional[Sequence[str]]) -> list[str]:
    if not (course_dir / "nbgrader_config.py").is_file():
        raise CourseError(f"{course_dir} is not a course folder: it has no nbgrader_config.py")
    require_gradebook(course_dir, lab)
    present = submitted_students(course_dir, lab)
    if students:
        missing = sorted(set(students) - set(present))
        if missing:
            raise CourseError(f"no submission of {lab} in submitted/ for: {', '.join(missing)}")
        return list(dict.fromkeys(students))
    if not present:
        raise CourseError(f"no submissions of {lab} in {course_dir / 'submitted'}")
    return present


# --------------------------------------------------------------------------- the re-check
def _test_cells(notebook) -> dict[str, object]:
    """grade_id -> cell for the autograded code cells (the tests)."""
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")}


RECHECK_TIMEOUT_S = 300


def run_recheck(graded_path: Path, grade_ids: list[str], env: dict[str, str]) -> dict[str, dict] | None:
    """The re-check's verdicts for ``grade_ids`` of one graded notebook (None: no valid report)."""
    from gan_lab.course.recheck import parse_report
    from gan_lab.course.sandbox import run_isolated

    with tempfile.TemporaryDirectory(prefix="gan-lab-recheck-") as work, \
            tempfile.TemporaryFile(mode="w+") as report:
        shutil.copy(graded_path, Path(work) / "submission.ipynb")
        os.chmod(Path(work) / "submission.ipynb", 0o644)
        try:
            run_isolated([sys.executable, "-m", "gan_lab.course.recheck", "--report-fd", str(report.fileno()),
                          "submission.ipynb", *grade_ids], Path(work), env={**os.environ, **env},
                         pass_fds=[report.fileno()], timeout=RECHECK_TIMEOUT_S)
        except subprocess.TimeoutExpired:  # no verdict in time, so no trust
            return None
        report.seek(0)
        return parse_report(report.read(), grade_ids)


def recheck_overrides(notebook, graded_path: Path, cell_scores: dict[str, float],
                      env: dict[str, str]) -> list[Override]:
    """The test cells whose nbgrader score the out-of-kernel re-check does not back."""
    ids = [grade_id for grade_id, cell in _test_cells(notebook).items()
           if cell_scores.get(grade_id) and "BEGIN HIDDEN TESTS" in cell.source]
    if not ids:
        return []
    verdicts = run_recheck(graded_path, ids, env)
    if verdicts is None:
        return [Override(grade_id, 0.0, "the re-check of this test outside the notebook gave no valid "
                         "report (its process was stopped or its report was written to by the "
                         "submission's code), so this test earns 0") for grade_id in ids]
    overrides = []
    for grade_id in ids:
        verdict, score = verdicts[grade_id], cell_scores[grade_id]
        if not verdict["passed"]:
            overrides.append(Override(grade_id, 0.0, f"{score:g} point(s) in the notebook, but the "
                                      "genuine check, re-run outside the notebook on your definitions, "
                                      f"failed: {verdict['message']}; the notebook's result cannot be "
                                      "trusted, so this test earns 0", key=verdict.get("key")))
        elif verdict["points"] is not None and verdict["points"] < score - 1e-9:
            overrides.append(Override(grade_id, float(verdict["points"]),
                                      f"the notebook reported {score:g} point(s) but the genuine check, "
                                      f"re-run outside the notebook, awarded {verdict['points']:g}"))
    return overrides


def _load_ledger(course_dir: Path) -> dict:
    path = course_dir / LEDGER
    return json.loads(path.read_text()) if path.exists() else {}


# ledger[section][lab]; ledger[lab]: zeroed cells. "summary": per student, the last grading's
# seconds, problem and overrides, for the class report (gan_lab.course.report).
_LAB_SECTIONS = ("holds", "released", "graded", "summary")


def _save_ledger(course_dir: Path, lab: str, ledger: dict) -> None:
    """Write ``lab``'s part of the ledger, keeping what other labs' runs wrote meanwhile.

    Two labs graded at once each hold the ledger from their start; under a file lock, each
    writes its own lab's entries into the ledger as it is on disk now.
    """
    import fcntl

    with open(course_dir / f"{LEDGER}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = _load_ledger(course_dir)
        current[lab] = ledger.get(lab, {})
        for section in _LAB_SECTIONS:
            current.setdefault(section, {})[lab] = ledger.get(section, {}).get(lab, {})
        tmp = course_dir / f"{LEDGER}.tmp"
        tmp.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
        tmp.replace(course_dir / LEDGER)


def _apply_overrides(course_dir: Path, lab: str, student: str, overrides: list[Override],
                     ledger: dict) -> None:
    """Write overrides as manual scores; undo the ones a previous run made that no longer hold."""
    previous = set(ledger.get(lab, {}).get(student, []))
    with open_gradebook(course_dir) as gradebook:
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


def _write_graded(path: Path, notebook) -> None:
    mode = path.stat().st_mode
    path.chmod(mode | 0o200)  # nbgrader leaves graded notebooks read-only
    nbformat.write(notebook, path)
    path.chmod(mode)


def _annotate(path: Path, overrides: list[Override]) -> None:
    """Write each override's reason into its cell, where the feedback page shows it."""
    notebook = nbformat.read(path, as_version=4)
    cells = _test_cells(notebook)
    for override in overrides:
        reason = f"gan-lab autograde: {override.reason}"
        cells[override.cell].outputs.append(nbformat.v4.new_output(
            "error", ename=override.kind, evalue=override.reason, traceback=[reason]))
    _write_graded(path, notebook)


# --------------------------------------------------------------------------- holds
def _digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def _submitted(course_dir: Path, lab: str, student: str) -> Path:
    return course_dir / "submitted" / student / lab / f"{lab}.ipynb"


def _grading_code() -> list[Path]:
    """The code that decides a score besides the notebook: the checks and the answer list."""
    import gan_lab.grading
    from gan_lab.course import answers

    return [*sorted(Path(gan_lab.grading.__file__).parent.glob("*.py")), Path(answers.__file__)]


def grading_key(course_dir: Path, lab: str, student: str) -> str:
    """What a grade depends on: the submission, the lab's source (its hidden tests) and the
    grading code. A submission whose key matches its last grading's is not graded again."""
    import hashlib

    key = hashlib.sha256()
    for path in (_submitted(course_dir, lab, student), course_dir / "solutions" / lab / f"{lab}.ipynb",
                 *_grading_code()):
        key.update(_digest(path).encode())
    return key.hexdigest()


def hold_overrides(notebook, findings: list, overrides: list[Override]) -> list[Override]:
    """Every autograded test cell set to 0, "held for review" with the audit's findings."""
    first = findings[0].detail
    more = f" (and {len(findings) - 1} more finding(s); see gan-lab audit)" if len(findings) > 1 else ""
    reason = (f"held for review: {first}{more}. Code that touches the grader holds every "
              "autograded point until the instructor has looked at it")
    held = {o.cell: o for o in overrides}
    for grade_id in _test_cells(notebook):
        held[grade_id] = Override(grade_id, 0.0, reason, HELD)
    return list(held.values())


def release_hold(course_dir: Path, lab: str, student: str, *, env: Optional[dict[str, str]] = None,
                 say: Callable[[str], None] = print) -> None:
    """Give back the points a hold took (``gan-lab release-hold LAB STUDENT``) and rewrite the
    feedback; what the re-check found stays. The released notebook is not held again unless
    it changes."""
    course_dir = course_dir.resolve()
    ledger = _load_ledger(course_dir)
    hold = ledger.get("holds", {}).get(lab, {}).get(student)
    if hold is None:
        held = sorted(ledger.get("holds", {}).get(lab, {}))
        raise CourseError(f"{student}'s {lab} is not held for review (held: {', '.join(held) or 'none'})")
    beneath = [Override(cell, score, reason) for cell, (score, reason) in hold["beneath"].items()]
    _apply_overrides(course_dir, lab, student, beneath, ledger)
    graded = course_dir / "autograded" / student / lab / f"{lab}.ipynb"
    notebook = nbformat.read(graded, as_version=4)
    for cell in _test_cells(notebook).values():
        cell.outputs = [o for o in cell.outputs if o.get("ename") != HELD]
    _write_graded(graded, notebook)
    del ledger["holds"][lab][student]
    ledger.setdefault("released", {}).setdefault(lab, {})[student] = _digest(_submitted(course_dir, lab, student))
    summary = ledger.setdefault("summary", {}).setdefault(lab, {}).get(student)
    if summary is not None:
        summary["overrides"] = [dataclasses.asdict(o) for o in beneath]
    _save_ledger(course_dir, lab, ledger)
    nbgrader(course_dir, "generate_feedback", lab, "--student", student, "--force", env=env, strict=False)
    earned, available = autograded_points(scores(course_dir, lab, student))
    say(f"[{lab}] {student}: hold released; autograded {earned:g} / {available:g}; feedback rewritten")


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


@dataclasses.dataclass(frozen=True)
class Unit:
    """What one unit of work (one submission) returns: plain values, so a cluster can send it."""
    seconds: float  # nbgrader's autograde of this student
    problem: str  # why nbgrader could not grade it ("" when it did)
    overrides: tuple[Override, ...] = ()  # the re-check's verdicts against nbgrader's scores
    recheck_seconds: float = 0.0

    def line(self, lab: str, student: str) -> str:
        """The progress line printed as the unit finishes."""
        done = f"NOT GRADED: {self.problem}" if self.problem else "graded and re-checked"
        return f"[{lab}] {student}: {done} ({self.seconds:.1f} s)"


def grade_unit(course_dir: str, lab: str, student: str, env: dict[str, str]) -> Unit:
    """One unit of work: nbgrader autograde of one student, then the re-check of what it passed.

    Runs in a ``--jobs`` slot or on a cluster's worker (``gan_lab.course.cluster``), so it takes
    and returns plain values and touches only this student's files and gradebook rows.
    """
    course = Path(course_dir)
    if not (course / "nbgrader_config.py").is_file():
        raise CourseError(f"this machine cannot see the course folder {course}: a cluster's workers "
                          "need it at the same path (a shared filesystem)")
    env = dict(env)
    if "OMP_NUM_THREADS" not in env:  # an equal share of this machine's cores per running unit
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // _units_here()))
    seconds, problem = _grade_one(course, lab, student, env)
    if problem:
        return Unit(seconds, problem)
    graded_path = course / "autograded" / student / lab / f"{lab}.ipynb"
    by_cell = {c.name: (c.auto or 0.0) for c in scores(course, lab, student) if not c.manual}
    began = time.perf_counter()
    found = recheck_overrides(nbformat.read(graded_path, as_version=4), graded_path, by_cell, env)
    return Unit(seconds, "", tuple(found), time.perf_counter() - began)


def _units_here() -> int:
    """How many units run at once in this process: a Dask worker's threads, else 1."""
    try:
        from distributed import get_worker

        return max(1, get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return 1


def _zero_ungraded(course_dir: Path, lab: str, student: str, reason: str) -> list[Override]:
    """A submission nbgrader could not grade earns 0 on every autograded cell, on record."""
    from nbgrader.api import MissingEntry

    with open_gradebook(course_dir) as gradebook:
        try:
            gradebook.find_submission(lab, student)
        except MissingEntry:
            gradebook.add_submission(lab, student)
        notebook = gradebook.find_submission_notebook(lab, lab, student)
        cells = [g.name for g in notebook.grades if g.cell.cell_type == "code"]
    return [Override(cell, 0.0, f"not graded: {reason}") for cell in cells]


def _register_students(course_dir: Path, students: Sequence[str]) -> None:
    """Put the students the gradebook does not know yet into it, before any unit starts.

    nbgrader's autograde adds a new student itself, but two of its runs that add the same
    student at once (two labs graded side by side, each starting with the same new name) both
    try to insert that student, and the run that comes second fails.
    """
    import fcntl

    from nbgrader.api import MissingEntry

    # Under the ledger's lock, so that two runs beside each other on this machine take turns.
    with open(course_dir / f"{LEDGER}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with open_gradebook(course_dir) as gradebook:
            for student in students:
                try:
                    gradebook.find_student(student)
                except MissingEntry:
                    gradebook.add_student(student)


def autograde(course_dir: Path, lab: str, *, jobs: int = 1, students: Optional[Sequence[str]] = None,
              feedback: bool = True, force: bool = False, env: Optional[dict[str, str]] = None,
              cluster: Optional[str] = None, say: Callable[[str], None] = print) -> list[Graded]:
    """Grade the submissions of ``lab`` in ``course_dir``; see the module docstring.

    ``cluster``, a Dask scheduler's address, runs the units there instead of in ``jobs`` local
    slots (``gan_lab.course.cluster``); the audit, overrides and feedback still run here.

    A submission already graded, byte for byte the same, under the same source notebook and
    grading code (``grading_key``) is not graded again unless ``force``.
    """
    from gan_lab.course.audit import HOLD_KINDS, audit_lab
    from gan_lab.course.sandbox import bwrap_path, sandbox_enabled

    if jobs < 1:
        raise CourseError(f"--jobs must be at least 1, got {jobs}")
    if cluster and jobs != 1:
        raise CourseError("give --jobs or --cluster, not both: on a cluster the workers' threads "
                          "decide how many submissions are graded at once")
    course_dir = course_dir.resolve()
    names = _check_course(course_dir, lab, students)
    if cluster:
        from gan_lab.course.cluster import require_shared_gradebook

        require_shared_gradebook(course_dir)
    unit_env = dict(env or {})
    if not sandbox_enabled({**os.environ, **unit_env}):
        say("GAN_LAB_SANDBOX=off: student code runs unsandboxed, in the kernel and in the re-check")
    else:
        bwrap_path()  # a missing or unusable bubblewrap stops here, with what to do
    if not cluster:  # each unit an equal share of the cores (on a cluster, of its worker's)
        unit_env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // jobs)))
    ledger = _load_ledger(course_dir)
    keys = {student: grading_key(course_dir, lab, student) for student in names}
    last = ledger.get("graded", {}).get(lab, {})
    unchanged = [] if force else [
        student for student in names if last.get(student) == keys[student]
        and (course_dir / "autograded" / student / lab / f"{lab}.ipynb").is_file()]
    todo = [student for student in names if student not in unchanged]
    if unchanged:
        say(f"[{lab}] {len(unchanged)} submission(s) unchanged since they were graded: not regraded "
            "(--force regrades them)")
    where = f"on the Dask cluster at {cluster}" if cluster else f"with {jobs} job(s)"
    say(f"[{lab}] grading {len(todo)} submission(s) {where}")
    _register_students(course_dir, todo)
    unit = functools.partial(grade_unit, str(course_dir), lab, env=unit_env)
    started = time.perf_counter()
    if cluster and todo:
        from gan_lab.course.cluster import run_units

        done = run_units(cluster, unit, todo, lab=lab, say=say)
    else:
        def local(student: str) -> Unit:
            result = unit(student)
            say(result.line(lab, student))
            return result

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            done = dict(zip(todo, pool.map(local, todo)))
    wall = time.perf_counter() - started
    seconds = {student: result.seconds for student, result in done.items()}
    problems = {student: result.problem for student, result in done.items() if result.problem}

    audit = audit_lab(course_dir, lab)
    holds = ledger.setdefault("holds", {}).setdefault(lab, {})
    released = ledger.setdefault("released", {}).setdefault(lab, {})
    graded_keys = ledger.setdefault("graded", {}).setdefault(lab, {})
    summary = ledger.setdefault("summary", {}).setdefault(lab, {})
    results = []
    for student in names:
        findings = tuple(dict.fromkeys(f.kind for f in audit.get(student, [])))
        if student in unchanged:
            earned, available = autograded_points(scores(course_dir, lab, student))
            zeroed = tuple(Override(cell, 0.0, "") for cell in ledger.get(lab, {}).get(student, []))
            results.append(Graded(student, earned, available, 0.0, zeroed, findings,
                                  held=holds.get(student, {}).get("reason", ""), unchanged=True))
            continue
        graded_keys.pop(student, None)
        graded_path = course_dir / "autograded" / student / lab / f"{lab}.ipynb"
        overrides, recheck_seconds = [], 0.0
        if student in problems:
            overrides = _zero_ungraded(course_dir, lab, student, problems[student])
        else:
            notebook = nbformat.read(graded_path, as_version=4)
            overrides, recheck_seconds = list(done[student].overrides), done[student].recheck_seconds
            beneath = list(overrides)
            holding = [f for f in audit.get(student, []) if f.kind in HOLD_KINDS]
            digest = _digest(_submitted(course_dir, lab, student))
            holds.pop(student, None)
            if holding and released.get(student) != digest:
                released.pop(student, None)
                overrides = hold_overrides(notebook, holding, overrides)
                holds[student] = {"reason": overrides[0].reason,
                                  "beneath": {o.cell: [o.score, o.reason] for o in beneath}}
            if overrides:
                _annotate(graded_path, overrides)
            graded_keys[student] = keys[student]
        _apply_overrides(course_dir, lab, student, overrides, ledger)
        earned, available = autograded_points(scores(course_dir, lab, student))
        results.append(Graded(student, earned, available, seconds[student], tuple(overrides),
                              findings, problems.get(student, ""), recheck_seconds,
                              holds.get(student, {}).get("reason", "")))
        summary[student] = {"seconds": round(seconds[student], 2), "recheck_seconds": round(recheck_seconds, 2),
                            "problem": problems.get(student, ""), "findings": list(findings),
                            "overrides": [dataclasses.asdict(o) for o in overrides]}
    _save_ledger(course_dir, lab, ledger)
    if feedback and todo:  # one student's page alone when one was graded: the others did not change
        only = ["--student", todo[0]] if len(todo) == 1 else []
        nbgrader(course_dir, "generate_feedback", lab, *only, "--force", env=env, strict=False)
    if todo:
        checked = sum(r.recheck_seconds for r in results)
        say(f"[{lab}] {len(todo)} submission(s) in {wall:.1f} s: {60 * len(todo) / wall:.1f} per minute "
            f"{where}; the re-check took {checked:.1f} s ({checked / len(todo):.1f} s each)")
    return results


def format_results(lab: str, results: list[Graded]) -> str:
    """The table ``gan-lab autograde`` prints."""
    lines = [f"{'student':<18} {'autograded':>11} {'seconds':>8}  {'zeroed by gan-lab':<24} audit"]
    for row in results:
        zeroed = f"all: {row.problem}" if row.problem else ", ".join(o.cell for o in row.overrides) or "-"
        if row.held:
            zeroed = f"HELD for review (gan-lab release-hold {lab} {row.student})"
        audit = f"{', '.join(row.findings)} (gan-lab audit {lab})" if row.findings else "clean"
        seconds = "unchanged" if row.unchanged else f"{row.seconds:.1f}"
        lines.append(f"{row.student:<18} {row.earned:>5g} / {row.available:<3g} {seconds:>8}  "
                     f"{zeroed:<24} {audit}")
    return "\n".join(lines)
