"""Connections for a PostgreSQL target: a pool of idle ones, one per concurrent load.

Loads never share a connection; one is reused only after it rolled back cleanly.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

from engine.postgres_session import DriverError, connect

if TYPE_CHECKING:
    from collections.abc import Iterator

    from adbc_driver_manager.dbapi import Connection


class ConnectionPool:
    """Idle connections to one database, opened on demand with the target's timeouts."""

    def __init__(
        self, url: str, *, connect_timeout: float, lock_timeout: float
    ) -> None:
        self._url = url
        self._timeouts = {
            "connect_timeout": connect_timeout,
            "lock_timeout": lock_timeout,
        }
        self._idle: list[Connection] = []
        self._guard = threading.Lock()

    def connect(self) -> Connection:
        """A new connection of the pool's own, not returned to it."""
        return connect(self._url, **self._timeouts)

    @contextlib.contextmanager
    def worker(self) -> Iterator[Connection]:
        """A connection for one load, rolled back and kept for the next one after it."""
        with self._guard:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self.connect()
        try:
            yield conn
        finally:
            try:
                conn.rollback()
            except DriverError:
                with contextlib.suppress(DriverError):
                    conn.close()
            else:
                with self._guard:
                    self._idle.append(conn)

    def close(self) -> None:
        """Close every idle connection."""
        with self._guard:
            idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(DriverError):
                conn.close()
