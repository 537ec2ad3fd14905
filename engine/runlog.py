"""The warehouse's run log: meta.runs (one row per run) and meta.run_tables.

A layer's run_tables rows are written in the layer's own transaction, so the log
never disagrees with the tables. A target gets a copy through the sink's
`record_run` when the run ends (engine/publish.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import TYPE_CHECKING

from engine import warehouse
from engine.errors import EtlError
from engine.memory import duckdb_memory_limit

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

    from engine.config import Settings
    from engine.pipeline import RunSummary, TableStats


def start_run(con: duckdb.DuckDBPyConnection, summary: RunSummary) -> None:
    """Log the run as 'running', and any run still marked so as 'interrupted'."""
    # The file lock means no other run is alive: a 'running' row is a killed run.
    con.execute("UPDATE meta.runs SET status = 'interrupted' WHERE status = 'running'")
    con.execute(
        "INSERT INTO meta.runs VALUES ($id, $started, NULL, 'running', $layers, NULL, NULL)",
        {
            "id": summary.run_id,
            "started": summary.started_at,
            "layers": ",".join(summary.layers),
        },
    )


def finish_run(
    con: duckdb.DuckDBPyConnection, summary: RunSummary, *, error: str | None
) -> None:
    """Log the run's end: its status, as-of date and error."""
    summary.finished_at = dt.datetime.now(dt.UTC)
    con.execute(
        "UPDATE meta.runs SET finished_at = $f, status = $s, as_of = $a, error = $e WHERE run_id = $id",
        {
            "f": summary.finished_at,
            "s": summary.status,
            "a": summary.as_of,
            "e": error,
            "id": summary.run_id,
        },
    )


def log_tables(
    con: duckdb.DuckDBPyConnection, run_id: str, stats: Sequence[TableStats]
) -> None:
    """Log rows in and out per table; call in the layer's transaction."""
    con.executemany(
        "INSERT INTO meta.run_tables VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                run_id,
                s.layer,
                s.table,
                s.rows_in,
                s.rows_out,
                s.rows_rejected,
                s.rows_duplicate,
                s.seconds,
            )
            for s in stats
        ],
    )


def log_failure(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    summary: RunSummary,
    error: str,
) -> duckdb.DuckDBPyConnection | None:
    """Mark the run failed in meta.runs, reopening a warehouse the failure invalidated.

    Returns the connection that logged it, or None when the warehouse cannot be
    written at all (the next run then marks this one 'interrupted'). The run's own
    error is what gets raised either way.
    """
    import duckdb

    try:
        finish_run(con, summary, error=error)
    except duckdb.Error:
        with contextlib.suppress(duckdb.Error):
            con.close()
    else:
        return con
    try:
        con = warehouse.open_warehouse(
            settings.warehouse,
            threads=settings.threads,
            memory_limit=duckdb_memory_limit(settings.memory_limit, settings.engine),
        )
    except (EtlError, duckdb.Error):
        return None
    try:
        finish_run(con, summary, error=error)
    except duckdb.Error:
        con.close()
        return None
    return con
