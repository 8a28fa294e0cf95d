"""``UsageError``: the one kind of error that is the user's to fix, not a bug.

A bad flag or setting, a file the user named that is missing or unreadable, a course folder not
ready for the command, a machine without what the command needs: each is a ``UsageError`` (or
one of its subclasses) whose message names the problem and what to do. ``gan-lab`` prints such
a message in one line; every other exception is a bug and shows its traceback.
"""
from __future__ import annotations


class UsageError(Exception):
    """Bad input from the user, or a machine without what the command needs; the message says
    what and how to fix it."""
