"""The run lock of a PostgreSQL target: one etl run per database at a time.

A session-level advisory lock on the target's main connection: it outlives
transactions, is re-entrant within the process and dies with the connection.
"""

from __future__ import annotations

import contextlib
import zlib
from typing import TYPE_CHECKING, Final

from engine.postgres_session import DriverError, PostgresError, execute, translated
from engine.redact import redact

if TYPE_CHECKING:
    import threading
    from collections.abc import Iterator

    from adbc_driver_manager.dbapi import Connection

# One advisory lock per database serializes etl runs; the number only has to be ours.
_RUN_LOCK: Final = zlib.crc32(b"medallion-etl run")


class RunLock:
    """Held while any block entered through `hold()` runs; refused at once if taken."""

    def __init__(self, conn: Connection, url: str, guard: threading.RLock) -> None:
        self._conn = conn
        self._url = url
        # The connection is shared with the target's other main-connection work.
        self._guard = guard
        self._depth = 0

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the database's run lock for the block; refuse at once if another run has it."""
        with self._guard:
            if self._depth == 0:
                self._acquire()
            self._depth += 1
        try:
            yield
        finally:
            with self._guard:
                self._depth -= 1
                if self._depth == 0:
                    with contextlib.suppress(DriverError):
                        execute(self._conn, f"SELECT pg_advisory_unlock({_RUN_LOCK})")
                        self._conn.commit()

    def _acquire(self) -> None:
        with translated(self._url, None, "take the run lock"):
            got = execute(self._conn, f"SELECT pg_try_advisory_lock({_RUN_LOCK})")
            holder = execute(
                self._conn,
                "SELECT l.pid, to_char(a.backend_start AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD HH24:MI:SS') FROM pg_locks l "
                "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 "
                "AND l.objid::bigint = $1 AND l.objsubid = 1",
                [_RUN_LOCK],
            )
            self._conn.commit()
        if not got[0][0]:
            pid, since = holder[0] if holder else ("?", "?")
            msg = f"another etl run holds the lock on {redact(self._url)} (server pid {pid}, connected {since} UTC); wait for it to finish, or stop it with SELECT pg_terminate_backend({pid})"
            raise PostgresError(msg, reason="locked")
