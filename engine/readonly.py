"""What `etl query` may run: exactly one read statement, decided by each engine's parser.

DuckDB: the statement types come from DuckDB's own parser, and the warehouse is
opened with file access, ATTACH and extension loading off and the configuration
locked. PostgreSQL: the text is wrapped as a subquery and prepared by the server,
whose grammar then accepts one plain query only (no COPY, DO, CALL, SET, no
data-modifying WITH, no second statement); its plan is checked for file, program,
large-object and admin functions, and it runs READ ONLY with a statement timeout.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from engine.errors import QueryError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    from adbc_driver_manager.dbapi import Connection

QUERY_TIMEOUT: Final = "10min"
"""Longest a query may run on PostgreSQL before the server cancels it."""

ALLOWED: Final = (
    "etl query runs exactly one read-only statement (SELECT, WITH ... SELECT, "
    "VALUES, TABLE; on DuckDB also FROM, DESCRIBE, SHOW, SUMMARIZE)"
)
_CHANGES: Final = (
    'tables change only through "etl run" and "etl publish" (fix the source files '
    "and rerun)"
)

_SANDBOX: Final = (
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    # Last: after it no setting, including the ones above, can be changed back.
    "SET lock_configuration = true",
)
_OUTSIDE = re.compile(r'Cannot access (?:file|directory) "([^"]*)"')

# Functions that read or write server files, run programs, touch large objects,
# act on other sessions or the server, change settings, or run SQL given as text
# (which would hide the others from the plan check).
_FORBIDDEN: Final = re.compile(
    r"\b("
    r"pg_read_file|pg_read_binary_file|pg_ls_\w+|pg_stat_file|pg_current_logfile"
    r"|pg_file_\w+|lo_import|lo_export|lo_from_bytea|lo_put|lo_get|lo_create"
    r"|lo_creat|lo_unlink|lo_open|lo_close|lo_truncate\w*|lo_lseek\w*|lo_tell\w*"
    r"|loread|lowrite|pg_terminate_backend|pg_cancel_backend|pg_reload_conf"
    r"|pg_rotate_logfile|pg_promote|pg_switch_wal|pg_create_restore_point"
    r"|pg_backup_\w+|pg_start_backup|pg_stop_backup|pg_log_backend_memory_contexts"
    r"|pg_\w*advisory\w*|pg_notify|set_config|dblink\w*|pg_\w*replication\w*"
    r"|pg_logical_\w+|pg_stat_reset\w*|pg_stat_statements_reset"
    r"|pg_import_system_collations|query_to_xml\w*|query_to_xmlschema"
    r"|cursor_to_xml\w*|ts_stat"
    r")\b",
    re.IGNORECASE,
)


def sandbox_duckdb(con: duckdb.DuckDBPyConnection) -> None:
    """Confine a read-only warehouse connection to its own file, for good."""
    for statement in _SANDBOX:
        con.execute(statement)


def check_duckdb(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but exactly one SELECT-type statement, by DuckDB's parser."""
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        msg = f"query failed: {str(exc).splitlines()[0]}"
        raise QueryError(msg) from exc
    kinds = [statement.type.name for statement in statements]
    if kinds != ["SELECT"]:
        got = (
            f"{len(kinds)} statements ({', '.join(kinds)})"
            if len(kinds) > 1
            else (kinds[0] if kinds else "no statement")
        )
        msg = f"{ALLOWED}, got {got}; {_CHANGES}"
        raise QueryError(msg)


def duckdb_error(exc: duckdb.Error) -> QueryError:
    """One line for a failed query; a file outside the warehouse says why it is off."""
    first = str(exc).splitlines()[0]
    if outside := _OUTSIDE.search(first):
        msg = (
            f'etl query reads only the warehouse\'s own tables: "{outside[1]}" is '
            f"outside it (files, ATTACH, COPY and EXPORT are off); {_CHANGES}"
        )
        return QueryError(msg)
    return QueryError(f"query failed: {first}")


def fetch_postgres(conn: Connection, sql: str) -> pa.Table:
    """Run one plain read query in a READ ONLY transaction; the caller rolls back.

    Driver errors propagate, except a query PostgreSQL cannot take as one plain
    query, which becomes a QueryError saying what is allowed.
    """
    import adbc_driver_manager

    from engine.postgres_session import execute, fetch_arrow

    # A newline before ")" so a trailing "-- comment" cannot swallow it.
    wrapped = f"SELECT * FROM (\n{sql.strip().rstrip(';').rstrip()}\n) AS etl_query"
    execute(conn, "SET TRANSACTION READ ONLY")
    execute(conn, f"SET LOCAL statement_timeout = '{QUERY_TIMEOUT}'")
    try:
        plan = _explain(conn, wrapped)
    except adbc_driver_manager.Error as exc:
        if getattr(exc, "sqlstate", None) not in {"42601", "0A000"}:
            raise
        from engine.postgres_session import server_message

        msg = f"{ALLOWED}, and PostgreSQL cannot take it as one: {server_message(exc, '')}; {_CHANGES}"
        raise QueryError(msg) from exc
    if found := _FORBIDDEN.search(plan):
        msg = (
            f"{ALLOWED}; {found[1]}() is refused on PostgreSQL (file, program, "
            f"large-object, session and admin functions are off); run it in psql "
            f"as an administrator if you must"
        )
        raise QueryError(msg)
    return fetch_arrow(conn, wrapped)


def _explain(conn: Connection, query: str) -> str:
    """The server's plan of a query, with every expression spelled out."""
    with conn.cursor() as cur:
        # The driver fetches results through COPY (query), which cannot hold EXPLAIN.
        cur.adbc_statement.set_options(**{"adbc.postgresql.use_copy": "false"})
        cur.execute(f"EXPLAIN (VERBOSE, FORMAT JSON) {query}")
        return str(cur.fetchall())
