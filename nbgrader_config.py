"""nbgrader settings for the gan-lab course (run nbgrader from this folder).

What names the course is here; how it is graded (time and memory limits, the sandbox, the seal,
the preprocessors) is ``gan_lab.course.config.configure``, with limits from the environment
(``gan_lab.limits``).
"""
from gan_lab.course.config import configure

c = get_config()  # noqa: F821  (nbgrader injects get_config)

c.CourseDirectory.course_id = "gan-lab"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"  # holds the hidden tests: never commit it
# The course's late policy: a submission collected after its lab's due date (`nbgrader db
# assignment add LAB --duedate=...`) earns no autograded points; extensions go through formgrader.
c.LateSubmissionPlugin.penalty_method = "zero"
# Everything else in solutions/<lab>/ ships to students: never the data or the runs a local
# execution of the solutions leaves behind.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "data", "runs"]

configure(c)
