"""Progress reporting: core code reports through a Progress and never prints."""

from __future__ import annotations

import sys
import time
from typing import Protocol


class Progress(Protocol):
    """What long-running library code reports to; the CLI decides how to show it."""

    def start(self, task: str, total: int | None = None) -> None:
        """Begin a task of `total` steps (None when the size is unknown)."""

    def advance(self, n: int = 1) -> None:
        """Mark `n` more steps of the current task as done."""

    def done(self, summary: str = "", *, seconds: float | None = None) -> None:
        """Finish the current task with a short summary.

        `seconds` is how long the work took when it did not run between start()
        and done() (a publish that overlapped with building); default: that span.
        """


class NullProgress:
    """Reports nothing: the library default and what tests use."""

    def start(self, task: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def done(self, summary: str = "", *, seconds: float | None = None) -> None:
        pass


class StderrProgress:
    """One line per task on stderr, redrawn in place on a terminal."""

    def __init__(self) -> None:
        self._task = ""
        self._total: int | None = None
        self._count = 0
        self._started = 0.0
        self._tty = sys.stderr.isatty()

    def start(self, task: str, total: int | None = None) -> None:
        self._task, self._total, self._count = task, total, 0
        self._started = time.perf_counter()
        self._draw()

    def advance(self, n: int = 1) -> None:
        self._count += n
        if self._tty:
            self._draw()

    def done(self, summary: str = "", *, seconds: float | None = None) -> None:
        if seconds is None:
            seconds = time.perf_counter() - self._started
        text = f"{self._task}: {summary} ({seconds:.2f} s)" if summary else self._task
        end = "\n"
        sys.stderr.write(("\r\033[K" if self._tty else "") + text + end)
        sys.stderr.flush()

    def _draw(self) -> None:
        if not self._tty:
            return
        count = f" {self._count}/{self._total}" if self._total else ""
        sys.stderr.write(f"\r\033[K{self._task}...{count}")
        sys.stderr.flush()
