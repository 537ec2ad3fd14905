"""Raw layer: DuckDB reads the partition files directly and appends them with lineage.

An ingest ledger (meta.ingested_files) holds each file's content hash, so a re-run
ingests only new or changed files, a changed file replaces exactly its own rows, and
no file is ever ingested twice.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from engine import contracts, sources, warehouse
from engine.progress import NullProgress

if TYPE_CHECKING:
    import datetime as dt
    from pathlib import Path

    import duckdb

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
    ledger = {
        (table, path): digest
        for table, path, digest in con.execute(
            "SELECT table_name, source_file, content_hash FROM meta.ingested_files"
        ).fetchall()
    }
    todo = {
        table: [
            file
            for file in files
            if full_refresh
            or ledger.get((table, file.relative)) != hashes[file.relative]
        ]
        for table, files in found.items()
    }
    sources.check_files(file for files in todo.values() for file in files)

    results = {}
    for table, files in found.items():
        progress.start(f"raw.{table}", total=len(todo[table]))
        started = time.perf_counter()
        on_disk = {file.relative for file in files}
        known = {path for (name, path) in ledger if name == table}
        changed = [file for file in todo[table] if file.relative in known]
        if full_refresh:
            con.execute(f"DELETE FROM raw.{table}")
            con.execute(
                "DELETE FROM meta.ingested_files WHERE table_name = $t", {"t": table}
            )
        elif changed:
            _forget(con, table, [file.relative for file in changed])
        rows = _append(
            con, table, todo[table], hashes, run_id=run_id, ingested_at=ingested_at
        )
        progress.advance(len(todo[table]))
        total = warehouse.count_rows(con, f"raw.{table}")
        result = RawResult(
            table=table,
            files_new=len(todo[table]) - (0 if full_refresh else len(changed)),
            files_changed=0 if full_refresh else len(changed),
            files_unchanged=len(files) - len(todo[table]),
            files_missing=0 if full_refresh else len(known - on_disk),
            rows_ingested=rows,
            rows_total=total,
            seconds=time.perf_counter() - started,
        )
        if result.files_missing:
            logger.warning(
                "raw.%s: %d ingested file(s) are no longer in %s; their rows are kept "
                "(use --full-refresh to drop them)",
                table,
                result.files_missing,
                data_dir,
            )
        logger.info(
            "loaded %s rows -> raw.%s in %.2f s", f"{rows:,}", table, result.seconds
        )
        progress.done(f"{rows:,} rows from {len(todo[table]):,} new or changed files")
        results[table] = result
    return results


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
    table: str,
    files: list[sources.SourceFile],
    hashes: dict[str, str],
    *,
    run_id: str,
    ingested_at: dt.datetime,
) -> int:
    """Insert the files' rows with lineage and record them in the ledger."""
    if not files:
        return 0
    manifest = pa.table(
        {
            "path": [str(file.path) for file in files],
            "relative": [file.relative for file in files],
            "partition_date": pa.array(
                [file.partition_date for file in files], pa.date32()
            ),
            "size_bytes": [file.size for file in files],
            "content_hash": [hashes[file.relative] for file in files],
        }
    )
    schema = contracts.arrow_schema(f"raw.{table}")
    columns = [f.name for f in schema if f.name not in contracts.LINEAGE_COLUMNS]
    types = _column_types(con, table)
    select = ", ".join(
        f'CAST(r."{name}" AS {types[name]}) AS "{name}"' for name in columns
    )
    con.register("_manifest", manifest)
    try:
        # read_parquet binds columns by name, so files of other writers may order
        # them differently or add extras (a pandas index); check_files vetted types.
        con.execute(
            f"""
            INSERT INTO raw.{table}
            SELECT {select},
                   m.relative AS _source_file,
                   r.file_row_number AS _source_row,
                   m.partition_date AS _partition_date,
                   $ingested_at AS _ingested_at
            FROM read_parquet($paths, filename = true, file_row_number = true,
                              hive_partitioning = false) AS r
            JOIN _manifest AS m ON r.filename = m.path
            """,
            {"paths": manifest["path"].to_pylist(), "ingested_at": ingested_at},
        )
        con.execute(
            f"""
            INSERT INTO meta.ingested_files
            SELECT $table, m.relative, m.partition_date, m.size_bytes, m.content_hash,
                   coalesce(c.n, 0), $run_id, $ingested_at
            FROM _manifest AS m
            LEFT JOIN (SELECT _source_file, count(*) AS n FROM raw.{table}
                       WHERE _source_file IN (SELECT relative FROM _manifest)
                       GROUP BY _source_file) AS c ON c._source_file = m.relative
            """,
            {"table": table, "run_id": run_id, "ingested_at": ingested_at},
        )
        ((rows,),) = con.execute(
            "SELECT coalesce(sum(row_count), 0) FROM meta.ingested_files "
            "WHERE table_name = $t AND run_id = $r "
            "AND source_file IN (SELECT relative FROM _manifest)",
            {"t": table, "r": run_id},
        ).fetchall()
    finally:
        con.unregister("_manifest")
    return int(rows)


def _column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """DuckDB type of each raw column, to cast source columns to (e.g. null-typed ones)."""
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = 'raw' AND table_name = $t",
        {"t": table},
    ).fetchall()
    return dict(rows)
