"""The embedded DuckDB warehouse: the engine's working store and the source of every publish.

Every layer is published inside one DuckDB transaction, so a failed or killed run
leaves the previous tables intact and readable.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import time
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from engine import contracts
from engine.errors import ContractError, WarehouseBusyError, WarehouseError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from pathlib import Path


def open_warehouse(
    path: Path,
    *,
    read_only: bool = False,
    threads: int | None = None,
    memory_limit: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (and, for writers, create and set up) the warehouse file.

    With a ``memory_limit`` (DuckDB's share of the budget, in bytes; see
    ``engine.memory.duckdb_memory_limit``), DuckDB spills to ``temp_directory(path)``
    beyond it; close such a connection with ``close_warehouse`` so the directory
    goes too.
    """
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
            raise WarehouseBusyError(msg) from exc
        msg = f"{path}: cannot open the warehouse ({str(exc).splitlines()[0]})"
        raise WarehouseError(msg) from exc
    except duckdb.Error as exc:
        msg = f"{path}: not a DuckDB warehouse file ({str(exc).splitlines()[0]}); pass another --warehouse"
        raise WarehouseError(msg) from exc
    # Timestamps leave the warehouse in UTC, whatever the machine's zone.
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit is not None:
        _limit_memory(con, path, memory_limit, exclusive=not read_only)
    if not read_only:
        try:
            setup_warehouse(con)
        except BaseException:
            con.close()
            raise
    return con


_POLL_SECONDS = 0.25


def open_for_reading(
    path: Path, *, wait: float, on_wait: Callable[[str], None] | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only, waiting up to `wait` seconds for a running build.

    DuckDB lets no other process open a file while one process writes it, so a
    reader cannot see the last committed state during a run; it waits instead,
    tells `on_wait` once why, and fails with one line when the bound runs out.
    """
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            return open_warehouse(path, read_only=True)
        except WarehouseBusyError as exc:
            if time.monotonic() >= deadline:
                if not told:
                    raise
                msg = f"{path}: still in use by another etl process after {wait:g} s; retry when it finishes, or wait longer with --wait (ETL_WAIT)"
                raise WarehouseBusyError(msg) from exc
            if not told and on_wait is not None:
                on_wait(
                    f"{path}: another etl process is writing the warehouse; "
                    f"waiting up to {wait:g} s for it to finish (--wait)"
                )
            told = True
            time.sleep(min(_POLL_SECONDS, max(0.0, deadline - time.monotonic())))


def temp_directory(path: Path) -> Path:
    """Where DuckDB spills for the warehouse at ``path``: next to it, ``<name>.tmp/``."""
    return path.with_name(f"{path.name}.tmp")


def _limit_memory(
    con: duckdb.DuckDBPyConnection, path: Path, limit: int, *, exclusive: bool
) -> None:
    spill = temp_directory(path)
    if exclusive:
        # The file lock makes this the only process on the warehouse, so anything
        # here is left over from a killed run.
        shutil.rmtree(spill, ignore_errors=True)
    # Created now rather than at the first spill: one we cannot create fails here.
    spill.mkdir(exist_ok=True)
    quoted = str(spill).replace("'", "''")
    try:
        con.execute(f"SET memory_limit = '{int(limit)}B'")
        con.execute(f"SET temp_directory = '{quoted}'")
    except BaseException:
        close_warehouse(con, path)
        raise


def close_warehouse(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Close a connection from ``open_warehouse`` and remove its temp directory.

    DuckDB deletes its own spill files when it closes; the directory is removed
    whole by a writer (nobody else can have the file open) and, when empty, by a
    reader (other readers may still be spilling there).
    """
    read_only = _is_read_only(con)
    con.close()
    spill = temp_directory(path)
    if not read_only:
        shutil.rmtree(spill, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            spill.rmdir()


def _is_read_only(con: duckdb.DuckDBPyConnection) -> bool:
    # A cursor of its own: the connection may sit in a failed transaction.
    ((read_only,),) = (
        con.cursor()
        .execute(
            "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
        )
        .fetchall()
    )
    return bool(read_only)


def setup_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Apply the sql/ DDL; every statement is IF NOT EXISTS, so this is idempotent.

    Staging and prod tables are then recreated without their primary key's index
    (see replace_tables), which only matters for a new file: their keys are
    checked by the engine before every write instead.
    """
    with transaction(con):
        for path in contracts.ddl_files():
            con.execute(path.read_text())
        indexed = con.execute(
            "SELECT DISTINCT schema_name || '.' || table_name FROM duckdb_constraints() "
            "WHERE constraint_type = 'PRIMARY KEY' AND schema_name IN ('staging', 'prod') "
            "ORDER BY 1"
        ).fetchall()
        for (table,) in indexed:
            if count_rows(con, table) == 0:
                _recreate_without_key(con, table)
        _comment_columns(con)


def _comment_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Give each column its comment from sql/, touching only those that differ."""
    have = {
        (f"{schema}.{table}", column): comment
        for schema, table, column, comment in con.execute(
            "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() "
            "WHERE schema_name IN ('raw', 'staging', 'prod', 'meta')"
        ).fetchall()
    }
    for table, columns in contracts.column_comments().items():
        for column, text in columns.items():
            if have.get((table, column)) != text:
                quoted = text.replace("'", "''")
                con.execute(f"COMMENT ON COLUMN {table}.{column} IS '{quoted}'")


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit on success, roll back on any error (including KeyboardInterrupt)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        # A database invalidated by the failure (disk full) cannot roll back, and
        # DuckDB discards the transaction anyway: keep the error that says why.
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def replace_tables(
    con: duckdb.DuckDBPyConnection, frames: Mapping[str, pl.DataFrame]
) -> None:
    """Replace the contents of each qualified table; call inside a transaction.

    For outputs small enough to hold whole; steps that work in pieces call
    ``empty_table``, ``append_frame`` (or their own ``INSERT``) and
    ``check_primary_key`` themselves.
    """
    for table, frame in frames.items():
        empty_table(con, table)
        append_frame(con, table, frame)
        check_primary_key(con, table)


def empty_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Recreate a qualified table empty from its own definition; call in a transaction.

    Its primary key is checked by ``check_primary_key``, not held as a DuckDB
    index: the ART index made the commit of a scale-10 staging layer 1.9x slower
    (1.4 s -> 2.6 s) and doubled the file, and DuckDB's scans do not use it.
    Postgres targets keep real primary keys.
    """
    _recreate_without_key(con, table)


def append_frame(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame
) -> None:
    """Append one piece of a table's rows, after checking it against the contract."""
    check_frame(table, frame)
    con.register("_incoming", frame.to_arrow())
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming")
    finally:
        con.unregister("_incoming")


def check_frame(table: str, frame: pl.DataFrame) -> None:
    """Fail unless a frame has exactly the qualified table's contract schema."""
    expected = contracts.polars_schema(table)
    if frame.schema != expected:
        msg = f"{table}: output schema {dict(frame.schema)} does not match sql/ ({dict(expected)})"
        raise ContractError(msg, table=table)


def check_frame_key(table: str, frame: pl.DataFrame) -> None:
    """Fail on a repeated primary key within a frame holding all of a table's rows."""
    key = contracts.primary_key(table)
    if not key:
        return
    repeated = frame.select(key).filter(pl.struct(key).is_duplicated())
    if repeated.height:
        first = repeated.sort(key).row(0)
        _duplicate_key(table, key, first)


def check_primary_key(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Fail on a repeated primary key of a filled table, naming it.

    Runs inside the writing transaction, so on failure nothing is written. The
    GROUP BY is DuckDB's, which spills to disk under the memory limit.
    """
    key = contracts.primary_key(table)
    if not key:
        return
    columns = ", ".join(key)
    repeated = con.sql(
        f"SELECT {columns} FROM {table} GROUP BY ALL HAVING count(*) > 1 "
        f"ORDER BY ALL LIMIT 1"
    ).fetchall()
    if repeated:
        _duplicate_key(table, key, repeated[0])


def _duplicate_key(table: str, key: Sequence[str], values: Sequence[object]) -> None:
    shown = ", ".join(str(value) for value in values)
    msg = f"{table}: duplicate primary key ({', '.join(key)})=({shown}); nothing was written, this is an engine bug"
    raise ContractError(msg, table=table)


def _recreate_without_key(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop a table and create it empty from its own definition, minus the key."""
    schema, name = table.split(".")
    ((create, comment),) = con.execute(
        "SELECT sql, comment FROM duckdb_tables() WHERE schema_name = $s AND table_name = $t",
        {"s": schema, "t": name},
    ).fetchall()
    con.execute(f"DROP TABLE {table}")
    con.execute(_without_primary_key(create))
    if comment:
        quoted = comment.replace("'", "''")
        con.execute(f"COMMENT ON TABLE {table} IS '{quoted}'")
    for statement in contracts.comment_statements([table]):
        con.execute(statement)


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
