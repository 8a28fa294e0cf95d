"""What a class did in one lab, read back from the gradebook, the graded notebooks and the ledger.

Per student and test cell: the points, a status (passed, partial, failed, unfinished, not
graded) and why it failed: the mistakes the checks named (their keys, displayed into the graded
notebook by ``gan_lab.grading.mistakes``), a visible check's assertion that names one, output on
stderr, or, for failures nobody named, the exception type. Per submission: lateness, a hold, a
re-check that disagreed with the kernel, a submission nbgrader could not grade, grading time
(``gan-lab autograde``'s ledger). Nothing here runs student code or changes a file.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Optional

import nbformat

from gan_lab.course.gradebook import open_gradebook
from gan_lab.grading.mistakes import MIME, visible_key

STATUSES = ("passed", "partial", "failed", "unfinished", "not graded")
STDERR_KEY = "grading.cell.stderr"
UNFINISHED = "NotImplementedError"
# Outputs ``gan-lab autograde`` writes into a cell (gan_lab.course.autograde).
RECHECK, HELD = "GradingRecheckError", "HeldForReview"


@dataclasses.dataclass
class Outcome:
    """One autograded test cell of one submission."""

    cell: str
    score: float
    max_score: float
    status: str
    keys: list = dataclasses.field(default_factory=list)  # the mistakes named, in order
    unnamed: Optional[str] = None  # the exception type of a failure nobody named
    message: str = ""  # the failure's message, as the feedback shows it


@dataclasses.dataclass
class Written:
    """One hand-graded answer of one submission."""

    cell: str
    score: Optional[float]  # None: waiting for a grader
    max_score: float


@dataclasses.dataclass
class Submission:
    student: str
    outcomes: list
    written: list
    seconds_late: float = 0.0
    problem: str = ""  # why nbgrader could not grade it ("NOT GRADED")
    held: str = ""  # why its points are held for review
    overrides: list = dataclasses.field(default_factory=list)  # the re-check's disagreements
    seconds: Optional[float] = None  # nbgrader's autograde of it
    recheck_seconds: Optional[float] = None
    feedback: Optional[Path] = None

    @property
    def auto_score(self) -> float:
        return sum(outcome.score for outcome in self.outcomes)

    @property
    def auto_max(self) -> float:
        return sum(outcome.max_score for outcome in self.outcomes)

    @property
    def total(self) -> float:
        return self.auto_score + sum(w.score or 0.0 for w in self.written)

    @property
    def total_max(self) -> float:
        return self.auto_max + sum(w.max_score for w in self.written)


@dataclasses.dataclass
class LabResults:
    lab: str
    cells: list  # the autograded test cells, in notebook order: (grade_id, max points)
    written_cells: list  # the hand-graded answers: (grade_id, max points)
    submissions: list  # Submission, sorted by student


# --------------------------------------------------------------------------- one cell's outputs
def _records(cell) -> list[dict]:
    return [output["data"][MIME] for output in cell.get("outputs", [])
            if MIME in output.get("data", {}) and isinstance(output["data"][MIME], dict)]


def _errors(cell) -> list[dict]:
    return [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]


def _stderr(cell) -> str:
    return "".join(output.get("text", "") for output in cell.get("outputs", [])
                   if output.get("output_type") == "stream" and output.get("name") == "stderr")


def read_outcome(cell, grade_id: str, score: float, max_score: float, todo_unfinished: bool = False) -> Outcome:
    """The status and named mistakes of one graded test cell; ``todo_unfinished``: the TODO
    cell before it still raised NotImplementedError (its names are then undefined here)."""
    keys: list[str] = []
    for record in _records(cell):
        keys += [key for key in record.get("keys", []) if isinstance(key, str) and key not in keys]
    errors = [e for e in _errors(cell) if e.get("ename") not in (RECHECK, HELD)]
    failure = next((r["failure"] for r in _records(cell) if isinstance(r.get("failure"), dict)), None)
    message = failure["message"] if failure else (f"{errors[0].get('ename')}: {errors[0].get('evalue', '')}"
                                                   if errors else "")
    unfinished = todo_unfinished or (failure and failure.get("cause") == UNFINISHED) or any(
        e.get("ename") == UNFINISHED for e in errors)
    for error in errors:  # a visible check's assert that names a mistake
        key = visible_key(str(error.get("evalue", ""))) if error.get("ename") == "AssertionError" else None
        if key and key not in keys:
            keys.append(key)
    if score >= max_score - 1e-9:
        status = "passed"
    elif score > 0:
        status = "partial"
    else:
        status = "unfinished" if unfinished else "failed"
    unnamed = None
    if status == "failed" and not keys:
        if _stderr(cell) and not errors:
            keys.append(STDERR_KEY)
            message = _stderr(cell).strip().splitlines()[-1][:300]
        elif failure:
            unnamed = failure.get("cause") or "GradingFailure"
        elif errors:
            unnamed = str(errors[0].get("ename") or "Error")
        else:
            unnamed = "no output"
    return Outcome(grade_id, score, max_score, status, keys, unnamed, message)


def _add_recheck(outcome: Outcome, overrides: list[dict]) -> None:
    """A cell the out-of-kernel re-check failed: its named mistake, or "re-check" unnamed."""
    for override in overrides:
        if override.get("cell") != outcome.cell or override.get("kind") != RECHECK or outcome.status == "passed":
            continue
        key = override.get("key")
        if key and key not in outcome.keys:
            outcome.keys.append(key)
        elif not outcome.keys:
            outcome.unnamed = "re-check"
        outcome.message = outcome.message or override.get("reason", "")


# --------------------------------------------------------------------------- a lab
def _ledger(course_dir: Path) -> dict:
    from gan_lab.course.autograde import LEDGER

    path = course_dir / LEDGER
    return json.loads(path.read_text()) if path.is_file() else {}


def collect_lab(course_dir: Path, lab: str) -> LabResults:
    """Every submission of ``lab`` in the gradebook, with what ``gan-lab autograde`` recorded."""
    course_dir = Path(course_dir).resolve()
    ledger = _ledger(course_dir)
    summary = ledger.get("summary", {}).get(lab, {})
    holds = ledger.get("holds", {}).get(lab, {})
    cells: dict[str, float] = {}
    written_cells: dict[str, float] = {}
    submissions = []
    with open_gradebook(course_dir) as gradebook:
        assignment = gradebook.find_assignment(lab)
        for notebook in assignment.notebooks:
            for cell in notebook.grade_cells:
                (written_cells if cell.cell_type == "markdown" else cells)[cell.name] = cell.max_score
        for submission in sorted(assignment.submissions, key=lambda s: s.student.id):
            student = submission.student.id
            graded = course_dir / "autograded" / student / lab / f"{lab}.ipynb"
            notebook_cells, unfinished_before = {}, set()
            if graded.is_file():
                last_todo_unfinished = False
                for cell in nbformat.read(graded, as_version=4).cells:
                    nbgrader = cell.metadata.get("nbgrader", {})
                    grade_id = nbgrader.get("grade_id")
                    if grade_id:
                        notebook_cells[grade_id] = cell
                    if cell.cell_type == "code" and nbgrader.get("solution"):
                        last_todo_unfinished = any(e.get("ename") == UNFINISHED for e in _errors(cell))
                    elif cell.cell_type == "code" and nbgrader.get("grade") and last_todo_unfinished:
                        unfinished_before.add(grade_id)
            found = summary.get(student, {})
            outcomes, written = [], []
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.cell.cell_type == "markdown":
                        score = grade.manual_score if grade.manual_score is not None else (
                            None if grade.needs_manual_grade else grade.auto_score)
                        written.append(Written(grade.name, score, grade.max_score))
                    elif found.get("problem") or not graded.is_file():
                        outcomes.append(Outcome(grade.name, 0.0, grade.max_score, "not graded",
                                                message=found.get("problem", "")))
                    else:
                        outcome = read_outcome(notebook_cells.get(grade.name, {}), grade.name,
                                               grade.score or 0.0, grade.max_score,
                                               grade.name in unfinished_before)
                        _add_recheck(outcome, found.get("overrides", []))
                        outcomes.append(outcome)
            feedback = course_dir / "feedback" / student / lab / f"{lab}.html"
            submissions.append(Submission(
                student, outcomes, written, float(submission.total_seconds_late or 0.0),
                found.get("problem", ""), holds.get(student, {}).get("reason", ""),
                [o for o in found.get("overrides", []) if o.get("kind") == RECHECK],
                found.get("seconds"), found.get("recheck_seconds"),
                feedback if feedback.is_file() else None))
    return LabResults(lab, list(cells.items()), list(written_cells.items()), submissions)
