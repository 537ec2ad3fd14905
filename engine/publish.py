"""Publishing the warehouse's layers to PostgreSQL, streamed from the DuckDB file.

The embedded warehouse stays the working store; Postgres is a publish target with its
own ledger, so a database that is behind (new, or its last publish failed) catches up
on the next run and one that is current receives nothing for raw.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine import contracts
from engine.config import redact
from engine.errors import EtlError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import duckdb
    import pyarrow as pa

    from engine.drift import Drift
    from engine.postgres import PostgresTarget

logger = logging.getLogger(__name__)

_ROW_ORDER = "_partition_date, _source_file, _source_row"


@dataclass(frozen=True, slots=True)
class Published:
    """Rows sent to Postgres for one layer, and how long it took."""

    layer: str
    rows: int
    seconds: float
    up_to_date: bool = False
    """True when the target already held this build of the layer and nothing was sent."""


def publish_layer(
    con: duckdb.DuckDBPyConnection,
    target: PostgresTarget,
    layer: str,
    batch_rows: int,
) -> Published:
    """Make the target's copy of `layer` equal the warehouse's, atomically per table."""
    started = time.perf_counter()
    if layer == "raw":
        ledgers = {table: _ledger(con, table) for table in contracts.ENTITIES}
        results = target.sync_raw_tables(
            {
                table: (ledger, _fetch_files(con, table, batch_rows, ledger))
                for table, ledger in ledgers.items()
            }
        )
        rows = sum(r.rows_loaded for r in results.values())
    else:
        sent = target.replace_tables(
            layer,  # type: ignore[arg-type]
            {
                table: _fetch_table(con, f"{layer}.{table}", batch_rows)
                for table in contracts.tables(layer)
            },
        )
        rows = sum(sent.values())
    seconds = time.perf_counter() - started
    logger.info(
        "published %s rows -> postgres %s in %.2f s", f"{rows:,}", layer, seconds
    )
    return Published(layer, rows, seconds)


def repair_layer(
    con: duckdb.DuckDBPyConnection,
    target: PostgresTarget,
    layer: str,
    drifts: Sequence[Drift],
    batch_rows: int,
) -> Published:
    """Re-send only the drifted partitions of raw, or the drifted staging and prod tables."""
    started = time.perf_counter()
    drifted: dict[str, list[object]] = {}
    for drift in drifts:
        schema, _, name = drift.table.partition(".")
        if schema == layer:
            drifted.setdefault(name, []).append(drift.partition)
    if layer == "raw":
        jobs = {}
        for table, dates in drifted.items():
            ledger = _ledger(con, table)
            jobs[table] = (ledger, _fetch_files(con, table, batch_rows, ledger), dates)
        results = target.sync_raw_tables(jobs)  # type: ignore[arg-type]
        rows = sum(r.rows_loaded for r in results.values())
    else:
        sent = target.replace_tables(
            layer,  # type: ignore[arg-type]
            {t: _fetch_table(con, f"{layer}.{t}", batch_rows) for t in drifted},
        )
        rows = sum(sent.values())
    return Published(layer, rows, time.perf_counter() - started)


class PublishFailed(EtlError):
    """A publish to PostgreSQL failed; the message says what reached where."""

    def __init__(self, cause: BaseException, reached: str) -> None:
        text = str(cause).rstrip(".") if str(cause) else type(cause).__name__
        super().__init__(f"{text}. {reached}")
        self.table = getattr(cause, "table", None)


def reached(committed: Sequence[str], layers: Sequence[str], pg_url: str | None) -> str:
    """'PostgreSQL: raw committed, staging not updated, ...; catch up with: etl publish ...'."""
    parts = []
    for layer in layers:
        tables = contracts.tables(layer)
        done = [t for t in tables if f"{layer}.{t}" in committed]
        if len(done) == len(tables):
            parts.append(f"{layer} committed")
        elif done:
            rest = [t for t in tables if t not in done]
            parts.append(
                f"{layer} partly ({', '.join(done)} committed; {', '.join(rest)} not updated)"
            )
        else:
            parts.append(f"{layer} not updated")
    return f"PostgreSQL: {', '.join(parts)}; catch up with: etl publish --pg-url {redact(pg_url)}"


def _ledger(con: duckdb.DuckDBPyConnection, table: str) -> pa.Table:
    return (
        con.cursor()
        .sql(
            "SELECT * FROM meta.ingested_files WHERE table_name = $t",
            params={"t": table},
        )
        .to_arrow_table()
    )


def _fetch_files(
    con: duckdb.DuckDBPyConnection, table: str, batch_rows: int, ledger: pa.Table
) -> Callable[[Sequence[str]], pa.RecordBatchReader]:
    # One cursor per call: the target reads several tables on worker threads.
    # Raw is ingested in lineage order, so a whole table streams without a sort;
    # a subset is sorted to keep Postgres's BRIN index on _partition_date selective.
    every = ledger.num_rows

    def fetch(files: Sequence[str]) -> pa.RecordBatchReader:
        if len(set(files)) == every:
            query, params = f"SELECT * FROM raw.{table}", None
        else:
            query = (
                f"SELECT * FROM raw.{table} WHERE _source_file IN (SELECT unnest($files)) "
                f"ORDER BY {_ROW_ORDER}"
            )
            params = {"files": list(files)}
        return con.cursor().sql(query, params=params).to_arrow_reader(batch_rows)

    return fetch


def _fetch_table(
    con: duckdb.DuckDBPyConnection, table: str, batch_rows: int
) -> Callable[[], pa.RecordBatchReader]:
    def fetch() -> pa.RecordBatchReader:
        return con.cursor().sql(f"SELECT * FROM {table}").to_arrow_reader(batch_rows)

    return fetch


def record_run(
    con: duckdb.DuckDBPyConnection, target: PostgresTarget, run_id: str
) -> None:
    """Copy the run's log rows to the target, so `etl status --pg-url` shows them."""
    params = {"id": run_id}
    run = con.sql("SELECT * FROM meta.runs WHERE run_id = $id", params=params)
    tables = con.sql("SELECT * FROM meta.run_tables WHERE run_id = $id", params=params)
    target.record_run(run.to_arrow_table(), tables.to_arrow_table())
