"""The LMS in and out: an LMS download collected by nbgrader zip_collect, grades out as a CSV."""
from __future__ import annotations

import csv
import shutil
import zipfile

import nbformat
import pytest

import course_helpers
from gan_lab.course.gradebook import open_gradebook
from gan_lab.course.nbgrader_run import nbgrader

LAB = "toy_1d"


def _zip(path, entries: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)


@pytest.mark.parametrize("lms, good, late, malformed", [
    ("canvas", "smithjane_12345_67890_toy_1d.ipynb", "doejohn_LATE_23456_67891_toy_1d-1.ipynb",
     "notes.ipynb"),
    ("moodle", "Jane Smith_12345_assignsubmission_file_toy_1d.ipynb",
     "John Doe_23456_assignsubmission_file_/toy_1d.ipynb", "Ann Lee_assignsubmission_file_toy_1d.ipynb"),
])
def test_zip_collect_files_an_lms_download_and_names_what_it_skips(course, tmp_path, lms, good, late, malformed):
    root = tmp_path / "course"
    shutil.copytree(course, root, ignore=shutil.ignore_patterns("submitted", "autograded", "feedback"))
    notebook = nbformat.writes(course_helpers.solutions(root, LAB))
    wrong_name = good.replace("toy_1d.ipynb", "lab4.ipynb")
    _zip(root / "downloaded" / LAB / "archive" / f"{lms}.zip",
         {good: notebook, late: notebook, malformed: notebook, wrong_name: notebook})
    output = nbgrader(root, "zip_collect", LAB, env={**course_helpers.KERNEL_ENV, "GAN_LAB_LMS": lms},
                      strict=False)
    for student in ("12345", "23456"):
        collected = root / "submitted" / student / LAB / f"{LAB}.ipynb"
        assert nbformat.read(collected, as_version=4).cells, student
    assert sorted(p.name for p in (root / "submitted").iterdir()) == ["12345", "23456"]
    assert malformed.split("/")[-1] in output and "Skipped" in output  # named, not silently dropped
    assert "Skipped notebook with invalid name 'lab4.ipynb'" in output


def test_grades_csv_has_every_student_with_autograded_hand_graded_and_total_points(graded_course, tmp_path):
    """After autograde and formgrader's hand grading, gan-lab grades writes what an LMS imports."""
    from gan_lab import cli

    root = tmp_path / "course"
    shutil.copytree(graded_course, root)
    with open_gradebook(root) as gradebook:  # as formgrader would: the written answers, by hand
        notebook = gradebook.find_submission_notebook(LAB, LAB, "instructor")
        written = [g for g in notebook.grades if g.cell.cell_type == "markdown"]
        for grade in written:
            grade.manual_score = grade.max_score
            grade.needs_manual_grade = False
        gradebook.db.commit()
        hand = sum(g.max_score for g in written)
    out = tmp_path / "grades.csv"
    assert cli.main(["grades", LAB, "mlp_gan", "--course", str(root), "--out", str(out)]) == 0
    rows = list(csv.reader(out.open()))
    header, possible, students = rows[0], rows[1], {row[0]: dict(zip(rows[0], row)) for row in rows[2:]}
    assert header[:5] == ["Student ID", f"{LAB} autograded", f"{LAB} hand-graded", f"{LAB} late penalty",
                          f"{LAB} total"]
    assert possible[0] == "Points Possible" and possible[1:5] == ["8", f"{hand:g}", "", f"{8 + hand:g}"]
    instructor = students["instructor"]
    assert (instructor[f"{LAB} autograded"], instructor[f"{LAB} hand-graded"]) == ("8", f"{hand:g}")
    assert instructor[f"{LAB} total"] == f"{8 + hand:g}"
    assert students["instructor"]["mlp_gan hand-graded"] == ""  # still waiting in formgrader
    assert students["untouched"][f"{LAB} autograded"] == "0"
    assert "mistakes-1" in students  # every student in the gradebook has a row
