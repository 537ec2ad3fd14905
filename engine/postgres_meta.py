"""A PostgreSQL target's meta schema: its copy of the run log and the builds it holds.

`etl status --pg-url` reads the run log here; meta.layers lets a publish skip a
layer whose warehouse build the target already holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow.compute as pc

from engine.freshness import Build
from engine.postgres_load import conform, ingest
from engine.postgres_session import execute, translated

if TYPE_CHECKING:
    from collections.abc import Callable

    import pyarrow as pa
    from adbc_driver_manager.dbapi import Connection


def record_run(
    conn: Connection, url: str, run: pa.Table, tables: pa.Table, batch_rows: int
) -> None:
    """Replace the copies of these runs' meta.runs and meta.run_tables rows; commits."""
    run_ids = pc.unique(run["run_id"]).to_pylist()
    with translated(url, "meta.runs", "record the run"):
        for log in ("meta.run_tables", "meta.runs"):
            execute(conn, f"DELETE FROM {log} WHERE run_id = ANY($1)", [run_ids])
    for log, data in (("runs", run), ("run_tables", tables)):
        stream, tally = conform(data.to_reader(), f"meta.{log}", batch_rows)
        ingest(conn, url, stream, tally, ("meta", log))
    conn.commit()


def record_build(conn: Connection, url: str, layer: str, build: Build) -> None:
    """Note in meta.layers which warehouse build of `layer` the target now holds; commits."""
    with translated(url, "meta.layers", "record the published layer"):
        execute(conn, "DELETE FROM meta.layers WHERE layer = $1", [layer])
        execute(
            conn,
            "INSERT INTO meta.layers VALUES ($1, $2, $3, now())",
            [layer, build.run_id, build.inputs],
        )
        conn.commit()


def held_build(query: Callable[[str], pa.Table], layer: str) -> Build | None:
    """The build meta.layers records for `layer`, read through the target's `query`."""
    literal = "'" + layer.replace("'", "''") + "'"
    rows = query(
        f"SELECT run_id, inputs FROM meta.layers WHERE layer = {literal}"
    ).to_pylist()
    return Build(rows[0]["run_id"], rows[0]["inputs"]) if rows else None
