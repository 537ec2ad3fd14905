"""Failures of the machine rather than of the engine, told in one plain line.

Disk full, a file that cannot be read or written, a directory where a file should be:
the CLI's error boundary asks here before calling anything "unexpected".
"""

from __future__ import annotations

import errno

from engine.errors import EtlError

_DISK_FULL = "No space left on device"


class SystemFailure(EtlError):
    """The operating system refused: disk full, permission denied, not a file."""


def explain(exc: BaseException) -> SystemFailure | None:
    """A one-line error for a known system failure anywhere in the exception's chain."""
    for link in _chain(exc):
        text = str(link).splitlines()[0].strip() if str(link).strip() else ""
        if _DISK_FULL in text or (
            isinstance(link, OSError) and link.errno == errno.ENOSPC
        ):
            detail = text if _DISK_FULL in text else f"{text}: {_DISK_FULL}"
            msg = f"disk full: {detail}; free space (or use another --warehouse) and run again"
            return SystemFailure(msg)
        if isinstance(link, OSError) and link.filename is not None:
            why = link.strerror or type(link).__name__
            if isinstance(link, PermissionError):
                hint = "fix its permissions or run as a user who may use it"
            elif isinstance(link, IsADirectoryError):
                hint = "a file was expected; rename or remove the directory"
            else:
                hint = "check the path and the disk"
            return SystemFailure(f"{link.filename}: {why}; {hint}")
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, then what caused it or was being handled when it was raised."""
    seen: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in seen:
        seen.append(link)
        link = link.__cause__ or link.__context__
    return seen
