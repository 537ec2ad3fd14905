"""Check a run's tables against the reference warehouse: the same rows, money as exact
decimals. Runs in the harness process, after the run's process has exited.

The comparison is `EXCEPT ALL` both ways in DuckDB SQL, under a memory limit and with
a spill folder, so the harness never holds a whole table: a DuckDB warehouse is
attached read-only, a PostgreSQL table is streamed in Arrow batches into a scratch
DuckDB file first, Parquet files are read where they are.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

from benchmarks.cases import CheckFailed
from engine.contracts import ENTITIES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    import duckdb

    Source = Callable[["duckdb.DuckDBPyConnection", str], str]
    """Makes a table's candidate rows readable in the check connection: returns the
    name to select from."""

REJECT_COLUMNS: Final = ("reject_reason", "_source_file", "_source_row")
"""A reject is identified by its raw row and reason; its values are the raw ones."""
# Money columns are compared at a scale wider than the contract's, so a value with
# stray digits cannot round its way into a match.
_MONEY: Final = "DECIMAL(38, 6)"
CHECK_MEMORY: Final = "2GB"
"""DuckDB memory limit of the check; beyond it the comparison spills to disk."""


def prod_tables() -> list[str]:
    """One prod table per discovered query, so a new metric is checked too."""
    from queries import discover

    return [f"prod.{query.name}" for query in discover()]


def staging_tables(*, rejects: bool = True) -> list[str]:
    clean = [f"staging.{name}" for name in ENTITIES]
    return clean + ([f"staging.{name}_rejects" for name in ENTITIES] if rejects else [])


def built_tables() -> list[str]:
    """Every staging and prod table a full build writes."""
    return [*staging_tables(), *prod_tables()]


def classic_tables() -> tuple[list[str], list[str]]:
    """(tables the classic baseline builds, prod tables it lacks) among built_tables()."""
    from benchmarks.classic import PROD_TABLES

    lacking = [t for t in prod_tables() if t.removeprefix("prod.") not in PROD_TABLES]
    return [t for t in built_tables() if t not in lacking], lacking


def duckdb_source(path: Path) -> Source:
    """Tables of a DuckDB warehouse file, attached read-only."""

    def read(con: duckdb.DuckDBPyConnection, table: str) -> str:
        attached = {row[0] for row in con.sql("SHOW DATABASES").fetchall()}
        if "candidate" not in attached:
            con.execute(f"ATTACH '{_quoted(path)}' AS candidate (READ_ONLY)")
        return f"candidate.{table}"

    return read


def postgres_source(url: str) -> Source:
    """Tables of a PostgreSQL database, streamed into the check's scratch file."""
    from benchmarks.pg import arrow_batches

    def read(con: duckdb.DuckDBPyConnection, table: str) -> str:
        name = table.replace(".", "__")
        with arrow_batches(url, f"SELECT * FROM {table}") as batches:
            con.register("_batches", batches)
            try:
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM _batches")
            finally:
                con.unregister("_batches")
        return name

    return read


def parquet_source(directory: Path) -> Source:
    """Tables written as <directory>/<table>.parquet (transform_only.write_parquet)."""
    return lambda _con, table: (
        f"read_parquet('{_quoted(directory / f'{table}.parquet')}')"
    )


def check_tables(
    reference: Path, source: Source, tables: Iterable[str], what: str
) -> None:
    """Raise CheckFailed naming every table whose rows differ from the reference's."""
    problems = []
    with _check_connection(reference) as con:
        for table in tables:
            problem = _compare(con, table, source(con, table))
            if problem:
                problems.append(problem)
    if problems:
        msg = f"{what}: output differs from the reference warehouse {reference.name}: {'; '.join(problems)}"
        raise CheckFailed(msg)


@contextlib.contextmanager
def _check_connection(reference: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A scratch DuckDB file with the reference attached as `ref`, removed after."""
    import duckdb

    scratch = Path(tempfile.mkdtemp(prefix="check-", dir=reference.parent))
    con = duckdb.connect(str(scratch / "check.duckdb"))
    try:
        con.execute(f"SET memory_limit = '{CHECK_MEMORY}'")
        con.execute(f"SET temp_directory = '{_quoted(scratch / 'spill')}'")
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"ATTACH '{_quoted(reference)}' AS ref (READ_ONLY)")
        yield con
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _compare(con: duckdb.DuckDBPyConnection, table: str, candidate: str) -> str:
    described = con.sql(f"DESCRIBE ref.{table}").fetchall()
    columns = [(name, str(kind)) for name, kind, *_ in described]
    if table.endswith("_rejects"):
        columns = [(n, k) for n, k in columns if n in REJECT_COLUMNS]
    present = {
        row[0] for row in con.sql(f"DESCRIBE SELECT * FROM {candidate}").fetchall()
    }
    missing = [name for name, _ in columns if name not in present]
    if missing:
        return f"{table} lacks column(s) {', '.join(missing)}"

    def typed(name: str, kind: str) -> str:
        return f'CAST("{name}" AS {_MONEY if kind.startswith("DECIMAL") else kind})'

    select = ", ".join(typed(n, k) for n, k in columns)
    ours = f"SELECT {select} FROM ref.{table}"
    theirs = f"SELECT {select} FROM {candidate}"
    ((n_lacking,),) = con.sql(
        f"SELECT count(*) FROM ({ours} EXCEPT ALL {theirs})"
    ).fetchall()
    ((n_extra,),) = con.sql(
        f"SELECT count(*) FROM ({theirs} EXCEPT ALL {ours})"
    ).fetchall()
    if not n_lacking and not n_extra:
        return ""
    ((n_ref,),) = con.sql(f"SELECT count(*) FROM ref.{table}").fetchall()
    ((n_candidate,),) = con.sql(f"SELECT count(*) FROM {candidate}").fetchall()
    sample = (
        con.sql(f"({theirs} EXCEPT ALL {ours}) LIMIT 1").fetchall()
        or con.sql(f"({ours} EXCEPT ALL {theirs}) LIMIT 1").fetchall()
    )[0]
    return (
        f"{table}: {n_candidate:,} rows vs {n_ref:,} in the reference, "
        f"{n_lacking:,} reference rows missing, {n_extra:,} rows not in the reference "
        f"(e.g. {sample})"
    )


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
