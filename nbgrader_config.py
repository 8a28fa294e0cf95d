"""nbgrader settings for the gan-lab course (run nbgrader from this folder)."""
c = get_config()  # noqa: F821  (nbgrader injects get_config)

c.CourseDirectory.course_id = "gan-lab"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"  # holds the hidden tests: never commit it

# Under autograde (NBGRADER_EXECUTION is set) every training cell shrinks to a smoke budget
# (gan_lab.budget), so no cell needs long; the limit catches infinite loops in student code.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
# A cell's printed lines arrive in as many chunks as the kernel happened to flush, which varies
# with load; merged into one output per stream, the same notebook grades to the same feedback.
c.Execute.coalesce_streams = True

# Student code runs in a bubblewrap sandbox (gan_lab/sandbox.py): no network, writes only to its
# own submission folder, cannot see other submissions, the gradebook or the solutions, and has
# memory, CPU-time, file-size and output caps (GAN_LAB_SANDBOX_MEMORY_MB, _CPU_SECONDS, _FILE_MB,
# _OUTPUT_KB). A missing bubblewrap is an error, not a silent fallback; GAN_LAB_SANDBOX=off
# grades without the sandbox, for trusted notebooks only.
import gan_lab.sandbox  # noqa: E402

if gan_lab.sandbox.sandbox_enabled():
    c.Execute.kernel_name = gan_lab.sandbox.require_sandbox()
    c.KernelManager.transport = "ipc"  # the sandbox has no network, so Unix sockets
    c.KernelManager.ip = gan_lab.sandbox.socket_prefix()
# Before any cell runs, the kernel records the genuine grading code (gan_lab/grading/seal.py);
# every check then refuses to pass in a kernel where it, a builtin or torch was patched.
import gan_lab.grading.seal  # noqa: E402

c.Execute.extra_arguments = [gan_lab.grading.seal.arm_line()]
# A kernel that dies costs only the cells from the crash on, and a cell copied in Jupyter (two
# cells with one grade_id) no longer fails the submission (gan_lab/nbgrader_ext.py says why).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput", "gan_lab.nbgrader_ext.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec", "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata"]
c.Autograde.autograde_preprocessors = [
    "gan_lab.nbgrader_ext.CrashTolerantExecute", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata"]
# Feedback shows each check's result and message, never the hidden tests themselves.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades", "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "gan_lab.nbgrader_ext.HideHiddenTests"]
# LimitOutput keeps the feedback readable when a cell prints without end.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 50

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Everything else in solutions/<lab>/ ships to students: never the data or the runs a local
# execution of the solutions leaves behind.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "data", "runs"]
