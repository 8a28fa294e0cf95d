"""Counts over a class: how each TODO went, which mistakes were made by whom, what went wrong
that no check names, and the grading events an instructor should look at."""
from __future__ import annotations

import dataclasses
import statistics
from collections import Counter, defaultdict

from gan_lab.course.report.collect import STATUSES, LabResults
from gan_lab.grading.mistakes import MISTAKES


@dataclasses.dataclass
class MistakeCount:
    lab: str
    key: str
    description: str
    students: list  # sorted
    cells: list  # the test cells it cost points in
    example: str  # one failure message, as the students saw it

    @property
    def count(self) -> int:
        return len(self.students)


@dataclasses.dataclass
class Unnamed:
    """Failures no check names, grouped by test cell and exception type."""

    lab: str
    cell: str
    kind: str
    students: list
    example: str

    @property
    def count(self) -> int:
        return len(self.students)


def todo_counts(results: LabResults) -> dict[str, Counter]:
    """Test cell -> how many submissions passed, got partial credit, failed, left it unfinished."""
    counts = {cell: Counter({status: 0 for status in STATUSES}) for cell, _ in results.cells}
    for submission in results.submissions:
        for outcome in submission.outcomes:
            counts.setdefault(outcome.cell, Counter())[outcome.status] += 1
    return counts


def mistakes(results: LabResults) -> list[MistakeCount]:
    """The named mistakes of the class, most frequent first."""
    students, cells, examples = defaultdict(set), defaultdict(set), {}
    for submission in results.submissions:
        for outcome in submission.outcomes:
            for key in outcome.keys:
                students[key].add(submission.student)
                cells[key].add(outcome.cell)
                examples.setdefault(key, outcome.message)
    found = [MistakeCount(results.lab, key, MISTAKES.get(key, "(not in gan_lab.grading.mistakes)"),
                          sorted(students[key]), sorted(cells[key]), examples[key]) for key in students]
    return sorted(found, key=lambda m: (-m.count, m.key))


def unnamed(results: LabResults) -> list[Unnamed]:
    """Failures without a key, by test cell and exception type, most frequent first."""
    groups, examples = defaultdict(set), {}
    for submission in results.submissions:
        for outcome in submission.outcomes:
            if outcome.status in ("failed", "partial") and not outcome.keys and outcome.unnamed:
                group = (outcome.cell, outcome.unnamed)
                groups[group].add(submission.student)
                examples.setdefault(group, outcome.message)
    found = [Unnamed(results.lab, cell, kind, sorted(students), examples[(cell, kind)])
             for (cell, kind), students in groups.items()]
    return sorted(found, key=lambda u: (-u.count, u.cell, u.kind))


@dataclasses.dataclass
class Events:
    late: list  # (student, hours late)
    held: list  # (student, reason)
    not_graded: list  # (student, problem)
    rechecks: list  # (student, cell, reason)
    pending_written: int  # hand-graded answers still waiting for a grader
    seconds: list  # nbgrader's grading time per submission, where recorded
    recheck_seconds: list


def events(results: LabResults) -> Events:
    subs = results.submissions
    return Events(
        late=[(s.student, s.seconds_late / 3600) for s in subs if s.seconds_late > 0],
        held=[(s.student, s.held) for s in subs if s.held],
        not_graded=[(s.student, s.problem) for s in subs if s.problem],
        rechecks=[(s.student, o.get("cell", ""), o.get("reason", "")) for s in subs for o in s.overrides],
        pending_written=sum(w.score is None for s in subs for w in s.written),
        seconds=[s.seconds for s in subs if s.seconds is not None],
        recheck_seconds=[s.recheck_seconds for s in subs if s.recheck_seconds is not None])


def score_summary(results: LabResults) -> dict[str, float]:
    """Mean, median and spread of the autograded and total points."""
    autos = [s.auto_score for s in results.submissions]
    totals = [s.total for s in results.submissions]
    if not autos:
        return {}
    return {"students": len(autos), "auto_max": results.submissions[0].auto_max,
            "total_max": results.submissions[0].total_max, "auto_mean": statistics.fmean(autos),
            "auto_median": statistics.median(autos), "total_mean": statistics.fmean(totals),
            "total_median": statistics.median(totals)}
