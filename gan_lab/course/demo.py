"""``gan-lab course-demo``: the instructor's job end to end on sample submissions.

Every lab is released, handed in by five sample students (the instructor's solutions, the
untouched release, two students who each left one TODO unfinished, and one who made two of the
lab's typical mistakes), graded by ``gan-lab autograde``'s pipeline, and given feedback;
``make demo`` prints the score table and writes the class report (``gan-lab report``).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from gan_lab.course.gradebook import autograded_points, scores
from gan_lab.course.nbgrader_run import REPO, CourseError, labs, nbgrader, solution_submission

SAMPLE_STUDENTS = ("ada", "ben", "cal")
# cal's two typical mistakes per lab: (TODO cell, text in the solution, what cal wrote instead).
TYPICAL_MISTAKES = {
    "mlp_gan": [("training-steps", "fake_images = G(noise).detach()", "fake_images = G(noise)"),
                ("discriminator", "nn.LeakyReLU(0.1)", "nn.LeakyReLU(0.2)")],
    "dcgan": [("discriminator-block", "nn.LeakyReLU(0.2, inplace=True)", "nn.LeakyReLU(inplace=True)"),
              ("batchnorm-reading", "bn_momentum = 0.1", "bn_momentum = 0.8")],
    "gan_losses": [("sample_noise", "return 2 * torch.rand(batch_size, dim) - 1", "return torch.rand(batch_size, dim)"),
                   ("discriminator_loss", "loss = real_loss + fake_loss", "loss = (real_loss + fake_loss) / 2")],
    "toy_1d": [("get-distribution-sampler", "mu + sigma * torch.randn(n, 1)", "mu + sigma ** 2 * torch.randn(n, 1)"),
               ("decorate-with-diffs", "diffs = (data - mean) ** exponent", "diffs = data ** exponent")],
}


def _code_solution_cells(notebook) -> list[int]:
    return [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            and cell.metadata.get("nbgrader", {}).get("solution")]


def sample_submission(solved, release, unfinished: int):
    """The solutions with one TODO cell left as released: a student who ran out of time.

    ``unfinished`` indexes the code TODO cells (0 = first, -1 = last).
    """
    import nbformat

    notebook = nbformat.reads(nbformat.writes(solved), as_version=4)  # a deep copy
    index = _code_solution_cells(notebook)[unfinished]
    grade_id = notebook.cells[index].metadata["nbgrader"]["grade_id"]
    stub = next(c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    notebook.cells[index].source = stub.source
    return notebook


def mistaken_submission(solved, lab: str):
    """The solutions with the lab's ``TYPICAL_MISTAKES`` made."""
    import nbformat

    notebook = nbformat.reads(nbformat.writes(solved), as_version=4)
    for grade_id, right, wrong in TYPICAL_MISTAKES[lab]:
        cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        if right not in cell.source:
            raise CourseError(f"{lab}: the demo's mistake {right!r} is no longer in cell {grade_id}")
        cell.source = cell.source.replace(right, wrong)
    return notebook


@dataclasses.dataclass(frozen=True)
class DemoRow:
    lab: str
    student: str
    earned: float
    available: float
    manual_pending: int
    seconds: float  # autograde time for the lab's submissions, shared by its rows


def course_demo(course_dir: Path, *, kernel_env: dict[str, str] | None = None,
                say=print) -> list[DemoRow]:
    """The instructor's job end to end in ``course_dir``: release, autograde, feedback, scores.

    Submissions per lab: the instructor's solutions, the untouched release and two sample
    students who each left one TODO unfinished. Raises CourseError when the solutions miss a
    point or the untouched release earns one.
    """
    import shutil
    import time

    import nbformat

    from gan_lab.course.autograde import autograde

    if course_dir.exists():
        shutil.rmtree(course_dir)
    course_dir.mkdir(parents=True)
    shutil.copytree(REPO / "solutions", course_dir / "solutions")
    shutil.copy(REPO / "nbgrader_config.py", course_dir)
    rows = []
    for lab in labs():
        say(f"[{lab}] generating the release")
        nbgrader(course_dir, "generate_assignment", lab, "--force", env=kernel_env)
        release = nbformat.read(course_dir / "notebooks" / lab / f"{lab}.ipynb", as_version=4)
        solved_path = course_dir / "instructor-solutions" / f"{lab}.ipynb"
        solution_submission(course_dir / "solutions" / lab / f"{lab}.ipynb", solved_path)
        solved = nbformat.read(solved_path, as_version=4)
        submissions = {"instructor": solved, "untouched": release,
                       SAMPLE_STUDENTS[0]: sample_submission(solved, release, -1),
                       SAMPLE_STUDENTS[1]: sample_submission(solved, release, 0),
                       SAMPLE_STUDENTS[2]: mistaken_submission(solved, lab)}
        for student, notebook in submissions.items():
            target = course_dir / "submitted" / student / lab / f"{lab}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)
        say(f"[{lab}] autograding {len(submissions)} submissions")
        started = time.perf_counter()
        # The same pipeline as `gan-lab autograde`: sandboxed kernels, the out-of-kernel
        # re-check, the audit's holds, and feedback without the hidden tests.
        autograde(course_dir, lab, jobs=2, env=kernel_env, say=lambda _line: None)
        seconds = time.perf_counter() - started
        for student in submissions:
            cells = scores(course_dir, lab, student)
            earned, available = autograded_points(cells)
            pending = sum(1 for c in cells if c.manual)
            rows.append(DemoRow(lab, student, earned, available, pending, seconds))
        by_student = {r.student: r for r in rows if r.lab == lab}
        if by_student["instructor"].earned != by_student["instructor"].available:
            raise CourseError(f"{lab}: the solutions earn {by_student['instructor'].earned} of "
                              f"{by_student['instructor'].available} autograded points")
        if by_student["untouched"].earned != 0:
            raise CourseError(f"{lab}: the untouched release earns {by_student['untouched'].earned} points")
    return rows


def format_demo(rows: list[DemoRow], course_dir: Path) -> str:
    """The per-lab score table the demo prints."""
    lines = [f"{'lab':<12} {'student':<11} {'autograded':>11} {'to grade by hand':>17} {'autograde s':>12}"]
    for row in rows:
        lines.append(f"{row.lab:<12} {row.student:<11} {row.earned:>5g} / {row.available:<3g}"
                     f" {row.manual_pending:>17} {row.seconds:>12.1f}")
    lines.append(f"Feedback pages: {course_dir / 'feedback'}/<student>/<lab>/<lab>.html")
    return "\n".join(lines)
