"""When a layer is up to date: what each layer was built from, kept in meta.layers.

A run rebuilds staging only when raw's files (the ingest ledger), the code and SQL
that build the tables, or the engine changed, and prod only when staging or the
as-of date did too. A publish (engine/publish.py) skips a layer whose build the
target already holds.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import queries
from engine import contracts

if TYPE_CHECKING:
    import datetime as dt

    import duckdb

    from engine.config import Settings

logger = logging.getLogger(__name__)


class Build(NamedTuple):
    """The run that built a layer and a fingerprint of what it was built from."""

    run_id: str
    inputs: str


@functools.cache
def rules_fingerprint() -> str:
    """A hash of every module of the engine and the queries, the DDL and library versions.

    Wider than the staging and prod code on purpose: a change anywhere costs one
    rebuild, a change missed would leave stale tables. The analytics queries only
    read the tables, so they are left out.
    """
    engine_dir = Path(__file__).parent
    queries_dir = Path(queries.__file__).parent
    files = [
        *sorted(engine_dir.rglob("*.py")),
        *sorted(
            path
            for pattern in ("*.py", "*.sql")
            for path in queries_dir.rglob(pattern)
            if "analytics" not in path.relative_to(queries_dir).parts
        ),
        *sorted(contracts.sql_dir().rglob("*.sql")),
    ]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for package in ("polars", "duckdb", "pyarrow"):
        digest.update(importlib.metadata.version(package).encode() + b"\0")
    return digest.hexdigest()[:16]


def staging_inputs(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """What staging is built from: every ingested file's content, the rules, the engine."""
    ((ledger,),) = con.sql(
        "SELECT md5(coalesce(string_agg(table_name || '/' || source_file || '/' "
        "|| content_hash || '/' || run_id, '|' ORDER BY table_name, source_file), '')) "
        "FROM meta.ingested_files"
    ).fetchall()
    return f"raw={ledger} rules={rules_fingerprint()} engine={settings.engine}"


def prod_inputs(
    con: duckdb.DuckDBPyConnection, settings: Settings, as_of: dt.date
) -> str:
    """What prod is built from: the staging build it reads, the rules, the engine, the as-of date."""
    staging = built(con, "staging")
    source = staging.run_id if staging else "none"
    return f"staging={source} rules={rules_fingerprint()} engine={settings.engine} as_of={as_of}"


def built(con: duckdb.DuckDBPyConnection, layer: str) -> Build | None:
    """The build the warehouse holds for a layer, if one was recorded."""
    rows = con.sql(
        "SELECT run_id, inputs FROM meta.layers WHERE layer = $layer",
        params={"layer": layer},
    ).fetchall()
    return Build(*rows[0]) if rows else None


def record(
    con: duckdb.DuckDBPyConnection,
    layer: str,
    build: Build,
    built_at: dt.datetime,
) -> None:
    """Remember which run built a layer from what; call in the layer's transaction."""
    con.execute("DELETE FROM meta.layers WHERE layer = $layer", {"layer": layer})
    con.execute(
        "INSERT INTO meta.layers VALUES ($layer, $run, $inputs, $at)",
        {"layer": layer, "run": build.run_id, "inputs": build.inputs, "at": built_at},
    )
