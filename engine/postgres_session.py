"""PostgreSQL connections for a PostgreSQL target.

Connect, run SQL, and turn driver errors into one-line EtlErrors without passwords.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import re
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import unquote, urlsplit

import adbc_driver_manager
import adbc_driver_postgresql.dbapi as adbc_pg

from engine.errors import ConfigError, SinkError, WarehouseError
from engine.postgres_locks import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_LOCK_TIMEOUT,
    LOCK_SETTINGS,
    lock_holder,
    session_settings,
    with_connect_timeout,
)
from engine.redact import misencoded_userinfo, redact, scrub

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import pyarrow as pa
    from adbc_driver_manager.dbapi import Connection

    from engine.errors import EtlError

Reason = Literal[
    "unreachable",
    "login",
    "no_database",
    "not_set_up",
    "permission",
    "locked",
    "busy",
    "lost",
]

DriverError: Final = adbc_driver_manager.Error
Row = tuple[Any, ...]

_SETUP_HINT = 'run "etl setup --pg-url {url}"'
_UNREACHABLE = (
    "Connection refused",
    "could not translate host name",
    "timeout expired",
    "No such file or directory",
    "Network is unreachable",
    "No route to host",
    "server closed the connection",
)
_LOST = re.compile(
    "server closed the connection|no connection to the server|terminating connection"
)
_LOGIN = (
    "password authentication failed",
    "does not exist",  # role "x" does not exist (checked after the database case)
    "no pg_hba.conf entry",
    "no password supplied",
    "authentication failed",
)


class PostgresError(WarehouseError):
    """The PostgreSQL target cannot be used: unreachable, refused, not set up or locked."""

    def __init__(
        self, message: str, *, reason: Reason, table: str | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.table = table


def connect(
    url: str,
    *,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Connection:
    """Open one connection with autocommit off, so a killed load rolls back whole.

    Connecting gives up after `connect_timeout` seconds (a server that accepts
    but never answers), and every lock wait on the server after `lock_timeout`.
    """
    if re.match(r"^postgres(ql)?\+", url):
        msg = f"--pg-url {redact(url)}: use a libpq URL (postgresql://user@host:port/db), not a SQLAlchemy one"
        raise ConfigError(msg)
    if misencoded_userinfo(url):
        msg = f"--pg-url {redact(url)}: the user name or password holds '@', ':', '/', '?' or '#'; percent-encode them (%40, %3A, %2F, %3F, %23)"
        raise ConfigError(msg)
    try:
        conn = adbc_pg.connect(
            with_connect_timeout(url, connect_timeout), autocommit=False
        )
    except DriverError as exc:
        raise connect_error(exc, url, connect_timeout) from exc
    try:
        with conn.cursor() as cur:
            # UTC so timestamptz text matches the warehouse; the name shows in pg_stat_activity.
            cur.execute(
                "SELECT set_config('TimeZone', 'UTC', false), "
                "set_config('application_name', 'etl', false), "
                + session_settings(lock_timeout)
            )
            cur.fetchall()
        conn.commit()
    except DriverError as exc:
        conn.close()
        raise translate(exc, url, action="open a session") from exc
    return conn


def connect_error(
    exc: adbc_driver_manager.Error,
    url: str,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
) -> EtlError:
    """Classify a libpq connection failure; libpq gives text only, no SQLSTATE."""
    detail = server_message(exc, url)
    where = redact(url)
    if "timeout expired" in detail:
        msg = f"PostgreSQL at {where} did not answer within {connect_timeout:g} s (timeout expired); check the server and host/port in --pg-url, or raise --pg-connect-timeout (ETL_PG_CONNECT_TIMEOUT)"
        return PostgresError(msg, reason="unreachable")
    if any(marker in detail for marker in _UNREACHABLE):
        msg = f"cannot reach PostgreSQL at {where}: {detail}; start the server or fix host/port in --pg-url"
        return PostgresError(msg, reason="unreachable")
    if match := re.search(r'database "([^"]+)" does not exist', detail):
        msg = f'database "{match[1]}" does not exist on {where}; create it (createdb {match[1]}) or fix the database name in --pg-url'
        return PostgresError(msg, reason="no_database")
    if "permission denied" in detail:
        msg = f'PostgreSQL refused user "{url_user(url)}" at {where}: {detail}; GRANT CONNECT on the database or use another user'
        return PostgresError(msg, reason="permission")
    if any(marker in detail for marker in _LOGIN):
        msg = f'PostgreSQL refused login for user "{url_user(url)}" at {where}: {detail}; check the user name and password in --pg-url'
        return PostgresError(msg, reason="login")
    msg = f"cannot connect to PostgreSQL at {where}: {detail}"
    return PostgresError(msg, reason="unreachable")


def translate(
    exc: adbc_driver_manager.Error,
    url: str,
    *,
    table: str | None = None,
    action: str = "run SQL",
) -> EtlError:
    """One-line error for a failed statement, chosen by SQLSTATE."""
    state = getattr(exc, "sqlstate", None) or ""
    detail = server_message(exc, url)
    subject = table or redact(url)
    if state == "42501":
        msg = f"permission denied: cannot {action} on {subject}: {detail}; grant the rights or run as the tables' owner"
        return PostgresError(msg, reason="permission", table=table)
    if state in {"3F000", "42P01"}:
        msg = f"{subject}: {detail}; the target is not set up: {_SETUP_HINT.format(url=redact(url))}"
        return PostgresError(msg, reason="not_set_up", table=table)
    if state == "55P03":
        holder = lock_holder(with_connect_timeout(url, DEFAULT_CONNECT_TIMEOUT), table)
        by = f" ({holder})" if holder else ""
        pid = holder.split(",")[0].removeprefix("pid ") if holder else "PID"
        msg = f"{subject}: gave up waiting for a lock another session holds{by}, cannot {action}: {detail}; nothing was changed here: wait for that session to finish (or end it: SELECT pg_terminate_backend({pid})) and run again; {LOCK_SETTINGS} sets the wait"
        return PostgresError(msg, reason="busy", table=table)
    if state == "40P01":
        msg = f"{subject}: another session holds a lock, cannot {action}: {detail}; nothing was changed, retry when it is idle"
        return PostgresError(msg, reason="busy", table=table)
    if state == "23505":
        key = re.search(r"DETAIL:\s+(Key .*?)\n", str(exc))
        which = f" ({key[1]})" if key else ""
        msg = f"{subject}: duplicate primary key{which}: {detail}; the layer breaks its key, fix how it is built (rolled back)"
        return SinkError(msg, table=table)
    if state == "2BP01":
        msg = (
            f"{subject}: {detail}; drop or recreate the views or keys that depend on it"
        )
        return SinkError(msg, table=table)
    if state.startswith(("08", "57")) or (not state and _LOST.search(str(exc))):
        msg = f"lost the connection to PostgreSQL at {redact(url)} while trying to {action}: {detail}; that transaction was rolled back"
        return PostgresError(msg, reason="lost", table=table)
    msg = f"{subject}: cannot {action}: {detail}; rolled back"
    return SinkError(msg, table=table)


@contextlib.contextmanager
def translated(url: str, table: str | None, action: str) -> Iterator[None]:
    """Turn driver errors raised inside the block into EtlErrors naming `table`."""
    try:
        yield
    except DriverError as exc:
        raise translate(exc, url, table=table, action=action) from exc


def url_user(url: str) -> str:
    """The user libpq will log in as: from the URL, else PGUSER, else the OS user."""
    user = None
    if "://" in url:
        user = urlsplit(url).username
    elif match := re.search(r"\buser=(\S+)", url):
        user = match[1]
    return unquote(user) if user else os.environ.get("PGUSER") or getpass.getuser()


def server_message(exc: adbc_driver_manager.Error, url: str) -> str:
    """The server's message in one line, without the driver's status prefixes."""
    text = str(exc).split("\n. SQLSTATE")[0]
    if server := re.search(r"\b(?:ERROR|FATAL):\s+(.*)", text, re.DOTALL):
        text = server[1]
    else:
        text = re.sub(r"^[A-Z_]+: (\[libpq\] )?(Failed to connect: )?", "", text)
        text = re.sub(
            r'^connection to server at "[^"]*"(, port \d+)? failed: ', "", text
        )
    line = text.strip().splitlines()[0].strip() if text.strip() else type(exc).__name__
    return scrub(line, url)


def execute(
    conn: Connection, sql: str, params: Sequence[object] | None = None
) -> list[Row]:
    """Run one statement and return its rows (none for DDL and DML)."""
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def fetch_arrow(
    conn: Connection, sql: str, params: Sequence[object] | None = None
) -> pa.Table:
    """Run one query and return its result as an Arrow table."""
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetch_arrow_table()


def run_script(conn: Connection, script: str) -> None:
    """Run several statements at once (the DDL files); commits what was pending first."""
    with conn.cursor() as cur:
        cur.executescript(script)


def quote(*names: str) -> str:
    """A qualified, double-quoted identifier: quote('staging', 'orders') -> "staging"."orders"."""
    return ".".join('"' + name.replace('"', '""') + '"' for name in names)
