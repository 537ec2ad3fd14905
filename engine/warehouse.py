"""The embedded DuckDB warehouse: the engine's working store and default target.

Every layer is published inside one DuckDB transaction, so a failed or killed run
leaves the previous tables intact and readable.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from engine import contracts
from engine.errors import WarehouseError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path


def open_warehouse(
    path: Path, *, read_only: bool = False, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """Open (and, for writers, create and set up) the warehouse file."""
    if read_only and not path.exists():
        msg = f'{path}: no warehouse here yet; build it with "etl run" or pass --warehouse'
        raise WarehouseError(msg)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            msg = f"{path}: the warehouse is in use by another etl process; wait for it to finish and retry"
        else:
            msg = f"{path}: cannot open the warehouse ({str(exc).splitlines()[0]})"
        raise WarehouseError(msg) from exc
    except duckdb.Error as exc:
        msg = f"{path}: not a DuckDB warehouse file ({str(exc).splitlines()[0]}); pass another --warehouse"
        raise WarehouseError(msg) from exc
    # Timestamps leave the warehouse in UTC, whatever the machine's zone.
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if not read_only:
        setup_warehouse(con)
    return con


def setup_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Apply the sql/ DDL; every statement is IF NOT EXISTS, so this is idempotent."""
    with transaction(con):
        for path in contracts.ddl_files():
            con.execute(path.read_text())


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit on success, roll back on any error (including KeyboardInterrupt)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def replace_tables(
    con: duckdb.DuckDBPyConnection, frames: Mapping[str, pl.DataFrame]
) -> None:
    """Replace the contents of each qualified table; call inside a transaction.

    Each table is recreated from its own definition, filled, and only then given
    its primary key back: deleting and re-inserting millions of rows through the
    key's index costs about three times as much, and building the index after the
    insert about half as much as maintaining it during the insert.
    """
    for table, frame in frames.items():
        expected = contracts.polars_schema(table)
        if frame.schema != expected:
            from engine.errors import ContractError

            msg = f"{table}: output schema {dict(frame.schema)} does not match sql/ ({dict(expected)})"
            raise ContractError(msg, table=table)
        schema, name = table.split(".")
        ((create, comment),) = con.execute(
            "SELECT sql, comment FROM duckdb_tables() WHERE schema_name = $s AND table_name = $t",
            {"s": schema, "t": name},
        ).fetchall()
        keys = con.execute(
            "SELECT constraint_column_names FROM duckdb_constraints() "
            "WHERE schema_name = $s AND table_name = $t AND constraint_type = 'PRIMARY KEY'",
            {"s": schema, "t": name},
        ).fetchall()
        con.execute(f"DROP TABLE {table}")
        con.execute(_without_primary_key(create))
        if comment:
            quoted = comment.replace("'", "''")
            con.execute(f"COMMENT ON TABLE {table} IS '{quoted}'")
        con.register("_incoming", frame.to_arrow())
        try:
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming")
        finally:
            con.unregister("_incoming")
        for (columns,) in keys:
            con.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({', '.join(columns)})")


_COLUMN_KEY = re.compile(r"(?:\s+NOT NULL)?\s+PRIMARY KEY(?=\s*[,)])")
_TABLE_KEY = re.compile(r",\s*PRIMARY KEY\s*\([^)]*\)")


def _without_primary_key(create: str) -> str:
    """A CREATE TABLE statement (as DuckDB prints it) minus its primary key."""
    return _TABLE_KEY.sub("", _COLUMN_KEY.sub(" NOT NULL", create))


def read_table(con: duckdb.DuckDBPyConnection, table: str) -> pl.DataFrame:
    """A whole warehouse table as a Polars frame with the contract's dtypes."""
    frame = pl.from_arrow(con.sql(f"SELECT * FROM {table}").to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame.cast(dict(contracts.polars_schema(table)))  # type: ignore[arg-type]


def count_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Row count of a qualified table."""
    ((count,),) = con.sql(f"SELECT count(*) FROM {table}").fetchall()
    return int(count)
