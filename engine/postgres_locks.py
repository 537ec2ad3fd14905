"""Bounded waits on PostgreSQL: a connect timeout, a server-side lock timeout.

A run never hangs on a server that does not answer or on a lock another session
holds; the lock error names the table and the session holding it.
"""

from __future__ import annotations

import contextlib
from typing import Final
from urllib.parse import parse_qsl, urlsplit

import adbc_driver_manager
import adbc_driver_postgresql.dbapi as adbc_pg

DEFAULT_CONNECT_TIMEOUT: Final = 10.0
"""Seconds to wait for a server to accept a connection and answer the login."""
DEFAULT_LOCK_TIMEOUT: Final = 30.0
"""Seconds a statement waits for a lock another session holds, set on the server."""
LOCK_SETTINGS: Final = "--pg-lock-timeout (ETL_PG_LOCK_TIMEOUT)"


def with_connect_timeout(url: str, seconds: float) -> str:
    """The URL with libpq's connect_timeout added, unless it already sets one.

    libpq counts whole seconds and treats 1 as 2, so a value is rounded up to 2.
    """
    value = max(2, round(seconds))
    if "://" not in url:
        if "connect_timeout=" in url:
            return url
        return f"{url} connect_timeout={value}"
    query = urlsplit(url).query
    if any(key == "connect_timeout" for key, _ in parse_qsl(query)):
        return url
    joiner = "&" if query else ("" if url.endswith("?") else "?")
    return f"{url}{joiner}connect_timeout={value}"


def session_settings(lock_timeout: float) -> str:
    """SELECT that sets this session's server-side waits.

    lock_timeout is enforced by the server, so a backend stops waiting even when
    its client died. No statement_timeout: a large COPY may rightly run for minutes.
    """
    millis = max(1, round(lock_timeout * 1000))
    return f"set_config('lock_timeout', '{millis}ms', false)"


def lock_holder(url: str, table: str | None) -> str:
    """'pid N, application "x", holding Mode' for the session locking `table`, or ''.

    `table` is "schema.table", or "schema layer" for any table of the schema. Asked
    on a new connection after the wait ended, so the holder is still listed.
    """
    if not table:
        return ""
    schema, _, name = table.replace(" layer", "").partition(".")
    sql = (
        "SELECT l.pid, coalesce(a.application_name, ''), l.mode, "
        "n.nspname || '.' || c.relname FROM pg_locks l "
        "JOIN pg_class c ON c.oid = l.relation "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.granted AND l.pid <> pg_backend_pid() AND n.nspname = $1 "
        "AND (c.relname = $2 OR $2 = '') AND c.relkind IN ('r', 'p') "
        "ORDER BY l.mode = 'AccessExclusiveLock' DESC, l.pid LIMIT 1"
    )
    with contextlib.suppress(adbc_driver_manager.Error):
        with adbc_pg.connect(url) as conn, conn.cursor() as cur:
            cur.execute(sql, [schema, name])
            row = cur.fetchone()
        if row:
            pid, app, mode, held = row
            what = f" on {held}" if not name else ""
            return f'pid {pid}, application "{app}", holding {mode}{what}'
    return ""
