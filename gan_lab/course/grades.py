"""``gan-lab grades``: the class's points per lab, ready for an LMS gradebook import.

One row per student in the gradebook and, per lab, the autograded points (after ``gan-lab
autograde``'s re-check and holds), the hand-graded points (blank while a written answer still
waits for formgrader), the late penalty nbgrader assigned, and the total so far. The CSV's first
row under the header is "Points Possible", as Canvas's and Moodle's imports expect; a student who
did not hand a lab in has blank cells for it, not zeros, so the LMS can tell "missing" from 0.
``nbgrader export`` still writes nbgrader's own CSV (one row per student and lab).
"""
from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from typing import Optional, Sequence

from gan_lab.course.gradebook import open_gradebook


@dataclasses.dataclass(frozen=True)
class LabGrade:
    autograded: float
    hand_graded: Optional[float]  # None while a written answer waits for grading
    late_penalty: float
    max_autograded: float
    max_hand_graded: float

    @property
    def total(self) -> float:
        """Points so far: autograded plus what is hand-graded, less the late penalty."""
        return max(0.0, self.autograded + (self.hand_graded or 0.0) - self.late_penalty)


def class_grades(course_dir: Path, labs: Sequence[str]) -> dict[str, dict[str, Optional[LabGrade]]]:
    """student id -> lab -> its grade (None: no submission), for every student in the gradebook."""
    from nbgrader.api import MissingEntry

    table: dict[str, dict[str, Optional[LabGrade]]] = {}
    with open_gradebook(course_dir) as gradebook:
        for lab in labs:
            gradebook.find_assignment(lab)  # MissingEntry for a lab that was never released
        for student in sorted(s.id for s in gradebook.students):
            row = table.setdefault(student, {})
            for lab in labs:
                try:
                    submission = gradebook.find_submission(lab, student)
                except MissingEntry:
                    row[lab] = None
                    continue
                grades = [g for notebook in submission.notebooks for g in notebook.grades]
                auto = [g for g in grades if g.cell.cell_type == "code"]
                written = [g for g in grades if g.cell.cell_type == "markdown"]
                # nbgrader reads an ungraded answer's score as 0; it has neither score yet.
                pending = any(g.manual_score is None and g.auto_score is None for g in written)
                row[lab] = LabGrade(sum(g.score or 0.0 for g in auto),
                                    None if pending else sum(g.score for g in written),
                                    submission.late_submission_penalty or 0.0,
                                    sum(g.max_score for g in auto), sum(g.max_score for g in written))
    return table


def _points(value: Optional[float]) -> str:
    return "" if value is None else f"{value:g}"


def write_csv(table: dict[str, dict[str, Optional[LabGrade]]], labs: Sequence[str], path: Path) -> None:
    """The table as an LMS-importable CSV (see the module docstring)."""
    columns = ["autograded", "hand-graded", "late penalty", "total"]
    header = ["Student ID"] + [f"{lab} {column}" for lab in labs for column in columns]
    possible = ["Points Possible"]
    for lab in labs:
        sample = next((row[lab] for row in table.values() if row.get(lab)), None)
        auto, hand = (sample.max_autograded, sample.max_hand_graded) if sample else (None, None)
        possible += [_points(auto), _points(hand), "", _points(None if sample is None else auto + hand)]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow(possible)
        for student, row in table.items():
            cells = [student]
            for lab in labs:
                grade = row[lab]
                cells += (["", "", "", ""] if grade is None else
                          [_points(grade.autograded), _points(grade.hand_graded),
                           _points(grade.late_penalty), _points(grade.total)])
            writer.writerow(cells)


def format_grades(table: dict[str, dict[str, Optional[LabGrade]]], labs: Sequence[str]) -> str:
    """One line per student: each lab's total, with what is still missing or pending."""
    lines = [f"{'student':<18} " + " ".join(f"{lab:>16}" for lab in labs)]
    for student, row in table.items():
        cells = []
        for lab in labs:
            grade = row[lab]
            text = "missing" if grade is None else (
                f"{grade.total:g}" + ("" if grade.hand_graded is not None else " (+ pending)"))
            cells.append(f"{text:>16}")
        lines.append(f"{student:<18} " + " ".join(cells))
    return "\n".join(lines)
