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

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Everything else in solutions/<lab>/ ships to students: never the data or the runs a local
# execution of the solutions leaves behind.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "data", "runs"]
