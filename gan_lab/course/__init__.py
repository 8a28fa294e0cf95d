"""The instructor's side of the course: nbgrader set up, submissions graded, students' wheels.

- ``config``: ``configure(c)``, the grading settings ``nbgrader_config.py`` applies;
- ``nbgrader_run``: nbgrader's commands run from Python, each forked by ``nbgrader_host`` from
  a process that imported nbgrader once; ``gradebook``: the scores they record;
- ``autograde``: ``gan-lab autograde``, a class graded in parallel, re-checked and audited;
- ``kernel``, ``sandbox``, ``outstream``: the grading kernel, its bubblewrap launcher and its
  output cap; ``recheck``: every passed hidden check re-run outside the kernel;
- ``audit``: tampered cells and delegated answers, read statically;
- ``nbgrader_ext``: the preprocessors that replace nbgrader's own;
- ``answers``: which gan_lab code answers which TODO; ``student_build``: wheels without them;
- ``demo``: ``gan-lab course-demo``.

Students' wheels leave this folder out, with ``gan_lab.grading``.
"""
