"""The target's tables: created from sql/ when missing, checked against it before a load.

`etl run --pg-url` and `etl publish` create what a fresh database lacks themselves,
with the same DDL as `etl setup`; only a role without the rights to do so is refused.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Final

import pyarrow as pa

from engine import contracts
from engine.config import redact
from engine.errors import ContractError
from engine.postgres_session import (
    PostgresError,
    execute,
    run_script,
    translated,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from adbc_driver_manager.dbapi import Connection

SCHEMAS: Final = (*contracts.LAYERS, "meta")
_SETUP_LOCK: Final = zlib.crc32(b"medallion-etl setup")


def setup(conn: Connection, url: str) -> None:
    """Create schemas, tables, comments and the Postgres-only indexes; idempotent."""
    extras = sorted((contracts.sql_dir() / "postgres").glob("*.sql"))
    scripts = [path.read_text() for path in [*contracts.ddl_files(), *extras]]
    scripts += [f"{statement};" for statement in contracts.comment_statements()]
    # Two setups at once would race on CREATE ... IF NOT EXISTS.
    script = f"SELECT pg_advisory_xact_lock({_SETUP_LOCK});\n" + "\n".join(scripts)
    with translated(url, None, "set up the tables"):
        run_script(conn, script)
        conn.commit()


def check(
    conn: Connection,
    url: str,
    identity: tuple[str, str],
    for_write: bool,
    mode: str,
) -> None:
    """Raise unless every contract table exists as sql/ says (and, for_write, may be loaded)."""
    user, database = identity
    with translated(url, None, "read the catalog"):
        check_columns(conn, url, database, SCHEMAS)
        if for_write:
            _check_rights(conn, user, swapping=mode == "swap")
        conn.rollback()


def ensure(conn: Connection, url: str, identity: tuple[str, str], mode: str) -> None:
    """check(), after creating the schemas and tables a fresh database lacks."""
    try:
        check(conn, url, identity, True, mode)
    except PostgresError as exc:
        if exc.reason != "not_set_up":
            raise
        missing = exc.table
    else:
        return
    try:
        setup(conn, url)
    except PostgresError as exc:
        if exc.reason != "permission":
            raise
        user, database = identity
        detail = str(exc).split(": ", 2)[-1].split("; ")[0]
        msg = f'{database}: table {missing} is missing and user "{user}" may not create it ({detail}); run "etl setup --pg-url {redact(url)}" once as a user with CREATE rights on the database, or GRANT CREATE ON DATABASE {database} TO {user}'
        raise PostgresError(msg, reason="permission", table=missing) from exc
    check(conn, url, identity, True, mode)


def check_columns(
    conn: Connection,
    url: str,
    database: str,
    schemas: Sequence[str],
    only: Sequence[str] = (),
) -> None:
    """Raise naming the first missing table, or the first column altered by hand."""
    found: dict[str, dict[str, str]] = {}
    for schema, table, column, pg_type in execute(
        conn,
        "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') "
        "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        [list(schemas)],
    ):
        found.setdefault(f"{schema}.{table}", {})[column] = pg_type
    wanted = [f"{s}.{t}" for s in schemas for t in contracts.tables(s)]
    missing = [name for name in wanted if name not in found]
    if missing:
        msg = f'{database}: table {missing[0]} is missing ({len(missing)} of {len(wanted)} tables); run "etl setup --pg-url {redact(url)}"'
        raise PostgresError(msg, reason="not_set_up", table=missing[0])
    for name in wanted:
        if only and name not in only:
            continue
        _compare(name, contracts.arrow_schema(name), found[name], url)


def _check_rights(conn: Connection, user: str, *, swapping: bool) -> None:
    """SELECT, INSERT and DELETE everywhere; swapping also needs CREATE and ownership."""
    for schema, table, owner, own, usage, create, *rights in execute(
        conn,
        "SELECT n.nspname, c.relname, pg_get_userbyid(c.relowner), "
        "pg_has_role(c.relowner, 'USAGE'), has_schema_privilege(n.oid, 'USAGE'), "
        "has_schema_privilege(n.oid, 'CREATE'), has_table_privilege(c.oid, 'SELECT'), "
        "has_table_privilege(c.oid, 'INSERT'), has_table_privilege(c.oid, 'DELETE') "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') ORDER BY 1, 2",
        [list(SCHEMAS)],
    ):
        name = f"{schema}.{table}"
        if table not in contracts.tables(schema):
            continue
        swapped = swapping and schema in {"staging", "prod"}
        lacking = [
            right
            for right, ok in zip(("SELECT", "INSERT", "DELETE"), rights, strict=True)
            if not ok
        ]
        if not usage or (swapped and not create):
            what = "USAGE, CREATE" if swapped else "USAGE"
            msg = f'permission denied: user "{user}" needs {what} on schema {schema}; GRANT {what} ON SCHEMA {schema} TO {user}, or run etl as the tables\' owner'
            raise PostgresError(msg, reason="permission", table=name)
        if swapped and not own:
            msg = f'permission denied: user "{user}" must own {name} to replace it with --publish-mode swap (owner is "{owner}"); run etl as "{owner}", ALTER TABLE {name} OWNER TO {user}, or use the default --publish-mode replace'
            raise PostgresError(msg, reason="permission", table=name)
        if lacking:
            what = ", ".join(lacking)
            msg = f'permission denied: user "{user}" has no {what} on {name}; GRANT {what} ON {name} TO {user}, or run etl as the tables\' owner'
            raise PostgresError(msg, reason="permission", table=name)


def _compare(name: str, schema: pa.Schema, found: dict[str, str], url: str) -> None:
    """Raise ContractError naming the first column altered by hand."""
    hint = f'restore it as in sql/, or drop the table and run "etl setup --pg-url {redact(url)}"'
    for field in schema:
        want = _pg_type(field.type)
        got = found.get(field.name)
        if got is None:
            msg = f'{name}: column "{field.name}" is missing in PostgreSQL (altered by hand?); {hint}'
            raise ContractError(msg, table=name, column=field.name)
        if got != want:
            msg = f'{name}: column "{field.name}" is {got} in PostgreSQL but sql/ says {want} (altered by hand?); {hint}'
            raise ContractError(msg, table=name, column=field.name)
    extra = [column for column in found if column not in schema.names]
    if extra:
        msg = f'{name}: column "{extra[0]}" is not in sql/ (added by hand?); drop it or the table, then run "etl setup --pg-url {redact(url)}"'
        raise ContractError(msg, table=name, column=extra[0])


def _pg_type(arrow: pa.DataType) -> str:
    """The PostgreSQL type format_type() shows for a contract column."""
    if pa.types.is_decimal(arrow):
        return f"numeric({arrow.precision},{arrow.scale})"
    if pa.types.is_timestamp(arrow):
        zone = "with" if arrow.tz else "without"
        return f"timestamp {zone} time zone"
    names = {
        pa.int16(): "smallint",
        pa.int32(): "integer",
        pa.int64(): "bigint",
        pa.float32(): "real",
        pa.float64(): "double precision",
        pa.string(): "text",
        pa.large_string(): "text",
        pa.date32(): "date",
        pa.bool_(): "boolean",
    }
    return names.get(arrow, str(arrow))


def check_known(layer: str, names: Sequence[str]) -> None:
    """Refuse a table name sql/ does not declare in `layer`, before any connection work."""
    known = contracts.tables(layer)
    unknown = [n for n in names if n not in known]
    if unknown:
        what = "raw table" if layer == "raw" else "table"
        msg = f"{layer}.{unknown[0]}: no such {what} in sql/; known: {', '.join(known)}"
        raise ContractError(msg, table=f"{layer}.{unknown[0]}")
