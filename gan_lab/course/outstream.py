"""The grading kernel's output streams, capped: a cell keeps the first ``output_kb`` it prints.

The sandbox starts the kernel with ``--IPKernelApp.outstream_class=
gan_lab.course.outstream.CappedOutStream``. A notebook that prints without end would otherwise
fill the grader's memory and the feedback page; the rest of the cell's output is dropped with a
one-line notice.
"""
from __future__ import annotations

from typing import Optional

from ipykernel.iostream import OutStream

from gan_lab.limits import GradingLimits


class CappedOutStream(OutStream):
    """An output stream that keeps the first ``GradingLimits.output_kb`` of each cell."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._budget = GradingLimits.from_env().output_kb * 1024
        self._written = 0
        self._parent_id = None

    def write(self, string: str) -> Optional[int]:
        parent = getattr(self, "parent_header", {}).get("msg_id")
        if parent != self._parent_id:
            self._parent_id, self._written = parent, 0
        room = self._budget - self._written
        if room <= 0:
            return len(string)
        self._written += len(string)
        if len(string) > room:
            note = f"\n[gan-lab sandbox: output beyond {self._budget // 1024} kB in this cell was dropped]\n"
            super().write(string[:room] + note)
            return len(string)
        return super().write(string)
