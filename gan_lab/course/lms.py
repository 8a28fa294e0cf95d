"""Submissions from an LMS download: the file-name patterns ``nbgrader zip_collect`` reads.

An instructor downloads every submission of a lab from the course's LMS as one zip, puts it in
``downloaded/<lab>/archive/`` and runs ``nbgrader zip_collect <lab>``; nbgrader unpacks it and
files each notebook under ``submitted/<student id>/<lab>/``, the student id being the LMS's
numeric user id (what its gradebook import matches on). ``GAN_LAB_LMS`` picks the pattern
(``configure`` sets it):

- ``canvas`` (the default): ``smithjane_12345_67890_toy_1d.ipynb``: the student's sortable
  name, the user id, the submission id and the uploaded file's name; late submissions carry
  ``LATE_`` before the user id, and a resubmitted file a ``-1`` (``-2``, ...) suffix, both read;
- ``moodle``: ``Jane Smith_12345_assignsubmission_file_toy_1d.ipynb``, or the same name as a
  folder holding ``toy_1d.ipynb`` ("download submissions in folders").

An entry that fits neither the pattern nor the lab's notebook name is reported by name and
skipped (``ZipCollectApp.strict``), never filed under a wrong student or name.
"""
from __future__ import annotations

import os
from typing import Mapping

from gan_lab.errors import UsageError

LMS_ENV = "GAN_LAB_LMS"
PATTERNS = {
    "canvas": r"(?:.*/)?[^/_]+_(?:LATE_)?(?P<student_id>\d+)_\d+_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$",
    "moodle": r"(?:.*/)?[^/_]+_(?P<student_id>\d+)_assignsubmission_file_/?(?P<file_id>[^/]+)\.ipynb$",
}


def lms_pattern(env: Mapping[str, str] = os.environ) -> str:
    """The ``named_regexp`` of the LMS that ``GAN_LAB_LMS`` names (default: canvas)."""
    name = env.get(LMS_ENV, "canvas").lower()
    if name not in PATTERNS:
        raise UsageError(f"{LMS_ENV} must be one of {', '.join(PATTERNS)}, got {name!r}")
    return PATTERNS[name]
