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
        text = first_line(link)
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


def first_line(exc: BaseException, *, named: bool = False) -> str:
    """The first line of an error's message, or its type's name when the message is empty.

    DuckDB and Polars errors carry multi-line plans and hints; our messages stay one
    line. With ``named``, an error that is not an ``EtlError`` gets its type's name in
    front (`KeyError: 'x'`), for a log that is read without the traceback.
    """
    text = str(exc).strip()
    name = type(exc).__name__
    if not text:
        return name
    line = text.splitlines()[0].strip()
    return f"{name}: {line}" if named and not isinstance(exc, EtlError) else line


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, then what caused it or was being handled when it was raised."""
    seen: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in seen:
        seen.append(link)
        link = link.__cause__ or link.__context__
    return seen
