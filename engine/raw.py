"""Raw layer: DuckDB reads the partition files directly and appends them with lineage.

An ingest ledger (meta.ingested_files) holds each file's content hash, so a re-run
ingests only new or changed files, a changed file replaces exactly its own rows, and
no file is ever ingested twice. ``plan_ingest`` decides what changed (pure, from the
files, their hashes and the ledger); ``ingest_raw`` then carries the plan out.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from engine import contracts, sources, warehouse
from engine.errors import SourceError
from engine.progress import NullProgress

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from engine.progress import Progress

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RawResult:
    """What one raw table's ingest did."""

    table: str
    files_new: int
    files_changed: int
    files_unchanged: int
    files_missing: int
    """Files in the ledger that are no longer on disk; their rows are kept."""
    rows_ingested: int
    rows_total: int
    seconds: float


@dataclass(frozen=True, slots=True)
class TablePlan:
    """What one raw table's ingest will do, decided before any write."""

    table: str
    on_disk: int
    """Files of the table found under the data directory."""
    todo: tuple[sources.SourceFile, ...]
    """Files to ingest: new and changed ones (every file on a full refresh)."""
    replace: tuple[str, ...]
    """Ledger paths whose rows and entries go first because the file changed."""
    missing: int
    """Files in the ledger that are no longer on disk; their rows are kept."""
    full_refresh: bool
    """Empty the table and its ledger entries first."""

    @property
    def new(self) -> int:
        """Files ingested for the first time (every file on a full refresh)."""
        return len(self.todo) - len(self.replace)


def plan_ingest(
    found: Mapping[str, Sequence[sources.SourceFile]],
    hashes: Mapping[str, str],
    ledger: Mapping[tuple[str, str], str],
    *,
    full_refresh: bool = False,
) -> dict[str, TablePlan]:
    """Decide per table which files are new, changed, unchanged or gone.

    Parameters
    ----------
    found
        Each table's files on disk (``sources.scan_partitions``).
    hashes
        Content hash of every found file, by relative path.
    ledger
        (table, relative path) -> content hash of what was ingested before.
    """
    plans = {}
    for table, files in found.items():
        known = {path for (name, path) in ledger if name == table}
        todo = tuple(
            file
            for file in files
            if full_refresh
            or ledger.get((table, file.relative)) != hashes[file.relative]
        )
        on_disk = {file.relative for file in files}
        plans[table] = TablePlan(
            table=table,
            on_disk=len(files),
            todo=todo,
            replace=()
            if full_refresh
            else tuple(file.relative for file in todo if file.relative in known),
            missing=0 if full_refresh else len(known - on_disk),
            full_refresh=full_refresh,
        )
    return plans


def ingest_raw(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path,
    *,
    run_id: str,
    ingested_at: dt.datetime,
    full_refresh: bool = False,
    progress: Progress | None = None,
) -> dict[str, RawResult]:
    """Ingest new and changed files of every table; call inside a transaction."""
    progress = progress or NullProgress()
    found = sources.scan_partitions(data_dir)
    every_file = [file for files in found.values() for file in files]
    progress.start("raw: fingerprint files", total=len(every_file))
    hashes = sources.hash_files(every_file)
    progress.done(f"{len(every_file):,} files")
    plans = plan_ingest(found, hashes, _ledger(con), full_refresh=full_refresh)
    footer_rows = sources.check_files(
        file for plan in plans.values() for file in plan.todo
    )
    results = {}
    for table, plan in plans.items():
        progress.start(f"raw.{table}", total=len(plan.todo))
        started = time.perf_counter()
        rows = _apply(
            con,
            data_dir,
            plan,
            hashes,
            footer_rows,
            run_id=run_id,
            ingested_at=ingested_at,
        )
        progress.advance(len(plan.todo))
        result = RawResult(
            table=table,
            files_new=plan.new,
            files_changed=len(plan.replace),
            files_unchanged=plan.on_disk - len(plan.todo),
            files_missing=plan.missing,
            rows_ingested=rows,
            rows_total=warehouse.count_rows(con, f"raw.{table}"),
            seconds=time.perf_counter() - started,
        )
        _log(result, data_dir)
        progress.done(f"{rows:,} rows from {len(plan.todo):,} new or changed files")
        results[table] = result
    return results


def _ledger(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """(table, relative path) -> content hash of every file ingested before."""
    return {
        (table, path): digest
        for table, path, digest in con.execute(
            "SELECT table_name, source_file, content_hash FROM meta.ingested_files"
        ).fetchall()
    }


def _apply(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path,
    plan: TablePlan,
    hashes: dict[str, str],
    footer_rows: dict[str, int],
    *,
    run_id: str,
    ingested_at: dt.datetime,
) -> int:
    """Carry out one table's plan: drop what it replaces, append its files."""
    if plan.full_refresh:
        con.execute(f"DELETE FROM raw.{plan.table}")
        con.execute(
            "DELETE FROM meta.ingested_files WHERE table_name = $t", {"t": plan.table}
        )
    elif plan.replace:
        _forget(con, plan.table, list(plan.replace))
    return _append(
        con,
        data_dir,
        plan.table,
        list(plan.todo),
        hashes,
        footer_rows,
        run_id=run_id,
        ingested_at=ingested_at,
    )


def _log(result: RawResult, data_dir: Path) -> None:
    if result.files_missing:
        logger.warning(
            "raw.%s: %d ingested file(s) are no longer in %s; their rows are kept "
            "(use --full-refresh to drop them)",
            result.table,
            result.files_missing,
            data_dir,
        )
    logger.info(
        "loaded %s rows -> raw.%s in %.2f s",
        f"{result.rows_ingested:,}",
        result.table,
        result.seconds,
    )


def _forget(con: duckdb.DuckDBPyConnection, table: str, paths: list[str]) -> None:
    """Delete the rows and ledger entries of files about to be re-ingested."""
    con.execute(
        f"DELETE FROM raw.{table} WHERE _source_file IN (SELECT unnest($p))",
        {"p": paths},
    )
    con.execute(
        "DELETE FROM meta.ingested_files WHERE table_name = $t AND source_file IN (SELECT unnest($p))",
        {"t": table, "p": paths},
    )


def _append(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path,
    table: str,
    files: list[sources.SourceFile],
    hashes: dict[str, str],
    rows: dict[str, int],
    *,
    run_id: str,
    ingested_at: dt.datetime,
) -> int:
    """Insert the files' rows with lineage and record them in the ledger.

    Rows go in file by file in (partition date, path) order, row order kept, so the
    table is stored in lineage order and a publish can stream it without a sort.
    """
    if not files:
        return 0
    expected = sum(rows[file.relative] for file in files)
    schema = contracts.arrow_schema(f"raw.{table}")
    columns = [f.name for f in schema if f.name not in contracts.LINEAGE_COLUMNS]
    types = _column_types(con, table)
    select = ", ".join(
        f'CAST("{name}" AS {types[name]}) AS "{name}"' for name in columns
    )
    # Lineage from the file name itself: a join with the file list would cost a
    # hash join and give up the scan's order. scan_partitions vetted every folder
    # name as a date, and every path starts with the resolved data directory.
    prefix = len(str(data_dir.resolve())) + 2
    # read_parquet binds columns by name, so files of other writers may order
    # them differently or add extras (a pandas index); check_files vetted types.
    try:
        ((inserted,),) = con.execute(
            rf"""
        INSERT INTO raw.{table}
        SELECT {select},
               substring(filename, {prefix}) AS _source_file,
               file_row_number AS _source_row,
               CAST(regexp_extract(filename, '(\d{{4}}-\d{{2}}-\d{{2}})/[^/]*$', 1) AS DATE)
                   AS _partition_date,
               $ingested_at AS _ingested_at
        FROM read_parquet($paths, filename = true, file_row_number = true,
                          hive_partitioning = false)
        """,
            {"paths": [str(file.path) for file in files], "ingested_at": ingested_at},
        ).fetchall()
    except duckdb.Error as exc:
        raise _read_error(table, files, exc) from exc
    if inserted != expected:
        msg = f"raw.{table}: read {inserted:,} rows from {len(files):,} files whose footers count {expected:,}; a file changed during the run, run again"
        raise SourceError(msg)
    # A Polars frame: building Arrow arrays from Python lists imports pandas (0.7 s).
    manifest = pl.DataFrame(
        {
            "relative": [file.relative for file in files],
            "partition_date": [file.partition_date for file in files],
            "size_bytes": [file.size for file in files],
            "content_hash": [hashes[file.relative] for file in files],
            "row_count": [rows[file.relative] for file in files],
        },
        schema_overrides={"partition_date": pl.Date, "row_count": pl.Int64},
    )
    con.register("_manifest", manifest)
    try:
        con.execute(
            """
            INSERT INTO meta.ingested_files
            SELECT $table, relative, partition_date, size_bytes, content_hash,
                   row_count, $run_id, $ingested_at
            FROM _manifest
            """,
            {"table": table, "run_id": run_id, "ingested_at": ingested_at},
        )
    finally:
        con.unregister("_manifest")
    return int(inserted)


def _read_error(
    table: str, files: list[sources.SourceFile], exc: duckdb.Error
) -> SourceError:
    """One line naming the file DuckDB could not read (a garbled page, bad UTF-8)."""
    text = re.sub(r"^[A-Za-z ]+ Error: ", "", str(exc).splitlines()[0])
    for file in files:
        if str(file.path) in text:
            reason = text.replace(f' "{file.path}"', "").replace(str(file.path), "")
            msg = f"{file.relative}: cannot read its rows ({reason}); regenerate or remove it"
            return SourceError(msg, path=file.relative)
    msg = f"raw.{table}: cannot read the new files ({text}); regenerate or remove the bad one"
    return SourceError(msg)


def _column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """DuckDB type of each raw column, to cast source columns to (e.g. null-typed ones)."""
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = 'raw' AND table_name = $t",
        {"t": table},
    ).fetchall()
    return dict(rows)
