"""Orchestration: build the layers in order, publish each to the target, log the run.

Each layer is built inside one warehouse transaction together with its run-log
rows, so the warehouse never holds half a layer or a log that disagrees with it.
A target, when there is one, is a sink (engine/sink.py) that receives each layer.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import logging
import secrets
import shutil
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine import checks, contracts, freshness, publish, raw, runlog, warehouse
from engine.errors import EtlError, SourceError
from engine.failures import first_line
from engine.memory import duckdb_memory_limit
from engine.progress import NullProgress
from engine.sink import open_target

if TYPE_CHECKING:
    import types
    from collections.abc import Sequence

    import duckdb
    import polars as pl

    from engine.config import Settings
    from engine.contracts import Layer
    from engine.progress import Progress
    from engine.publish import Published
    from engine.sink import Sink

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TableStats:
    """Rows in and out of one table of one layer in one run."""

    layer: str
    table: str
    rows_in: int
    rows_out: int
    rows_rejected: int = 0
    rows_duplicate: int = 0
    seconds: float = 0.0


@dataclass(slots=True)
class RunSummary:
    """What a run did: the basis of the CLI summary and of meta.runs/meta.run_tables."""

    run_id: str
    started_at: dt.datetime
    layers: tuple[Layer, ...]
    status: str = "running"
    finished_at: dt.datetime | None = None
    as_of: dt.date | None = None
    tables: list[TableStats] = field(default_factory=list)
    layer_seconds: dict[str, float] = field(default_factory=dict)
    raw_files: dict[str, raw.RawResult] = field(default_factory=dict)
    published: dict[str, Published] = field(default_factory=dict)
    """Per layer, what went to the target (empty without one)."""
    up_to_date: dict[str, str] = field(default_factory=dict)
    """Layers skipped because their inputs did not change -> the run that built them."""


def new_run_id(started_at: dt.datetime) -> str:
    """Sortable, unique run id: UTC start time plus a random suffix."""
    return f"{started_at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def run_pipeline(
    settings: Settings,
    *,
    layers: Sequence[Layer] = contracts.LAYERS,
    progress: Progress | None = None,
    target: Sink | None = None,
) -> RunSummary:
    """Build the requested layers into the warehouse (raw -> staging -> prod).

    Each layer is also published to the target: the one the settings name, unless
    one is given (which is left open).
    """
    progress = progress or NullProgress()
    ordered = tuple(layer for layer in contracts.LAYERS if layer in layers)
    started_at = dt.datetime.now(dt.UTC)
    summary = RunSummary(
        run_id=new_run_id(started_at), started_at=started_at, layers=ordered
    )
    _run(settings, summary, progress, target)
    return summary


def _run(
    settings: Settings, summary: RunSummary, progress: Progress, target: Sink | None
) -> None:
    with contextlib.ExitStack() as stack:
        # The target first: one that is down, not set up or busy stops the run
        # before anything changes anywhere.
        if target is None and (target := open_target(settings)) is not None:
            stack.callback(target.close)
        if target is not None:
            stack.enter_context(target.lock())
        checks.check_inputs(settings, summary.layers)
        created = not settings.warehouse.exists()
        con = warehouse.open_warehouse(
            settings.warehouse,
            threads=settings.threads,
            memory_limit=duckdb_memory_limit(settings.memory_limit, settings.engine),
        )
        if created:
            stack.push(checks.remove_on_failure(settings.warehouse))
        stack.callback(lambda: _close(con, settings))
        runlog.start_run(con, summary)
        try:
            _run_layers(con, settings, summary, progress, target)
        except BaseException as exc:
            summary.status = "failed"
            con = runlog.log_failure(
                con, settings, summary, first_line(exc, named=True)
            )
            if con is not None:
                _record_remote(con, target, summary.run_id)
            raise
        summary.status = "succeeded"
        runlog.finish_run(con, summary, error=None)
        _record_remote(con, target, summary.run_id)


def _close(con: duckdb.DuckDBPyConnection | None, settings: Settings) -> None:
    """Close the run's warehouse connection (if a failure left one) and its spill files."""
    if con is not None:
        warehouse.close_warehouse(con, settings.warehouse)
    else:
        shutil.rmtree(warehouse.temp_directory(settings.warehouse), ignore_errors=True)


def _record_remote(
    con: duckdb.DuckDBPyConnection, target: Sink | None, run_id: str
) -> None:
    if target is None:
        return
    try:
        publish.record_run(con, target, run_id)
    except EtlError as exc:
        # The run's own outcome matters more than its log copy; the warehouse has it.
        # One line: a traceback here would bury the run's own error, printed last.
        logger.warning(
            "could not copy run %s to the PostgreSQL run log: %s", run_id, exc
        )
        logger.debug("run log copy failed", exc_info=True)


def _run_layers(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    summary: RunSummary,
    progress: Progress,
    target: Sink | None,
) -> None:
    # Publishing a layer overlaps with building the next one: the copy is mostly
    # the target's work, and the next layer reads the warehouse, not the target.
    # A failed publish stops publishing, not the build: the warehouse completes the
    # run and the error says what reached the target, which `etl publish` catches up.
    failed: Exception | None = None
    handoff: dict[str, pl.DataFrame] = {}  # staging frames prod may reuse
    with concurrent.futures.ThreadPoolExecutor(1, "etl-publish") as publisher:
        pending: tuple[str, concurrent.futures.Future[Published]] | None = None
        for layer in summary.layers:
            started = time.perf_counter()
            if layer == "raw" or not _up_to_date(
                con, settings, summary, layer, progress
            ):
                _build_layer(con, settings, summary, progress, layer, started, handoff)
            if target is not None and failed is None:
                failed = _await_publish(pending, target, summary.published, progress)
                job = (
                    publish.publish_if_behind,
                    con,
                    target,
                    layer,
                    settings.batch_rows,
                )
                pending = None if failed else (layer, publisher.submit(*job))
        failed = failed or _await_publish(pending, target, summary.published, progress)
    if failed is not None and target is not None:
        done = ", ".join(summary.layers)
        where = publish.reached(target.committed, summary.layers, settings.pg_url)
        reached = f"Warehouse: {done} committed (run {summary.run_id}). {where}"
        raise publish.PublishFailed(failed, reached) from failed


def _build_layer(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    summary: RunSummary,
    progress: Progress,
    layer: Layer,
    started: float,
    handoff: dict[str, pl.DataFrame],
) -> None:
    """Build one layer and log it, in one warehouse transaction; seconds from `started`.

    ``handoff`` carries staging frames to prod within the run (polars_build).
    """
    with warehouse.transaction(con):
        if layer == "raw":
            stats = _build_raw(con, settings, summary, progress)
        else:
            inputs = _inputs(con, settings, summary, layer)
            if layer == "staging":
                stats = _build_staging(con, settings, progress, handoff)
            else:
                stats = _build_prod(con, settings, summary, progress, handoff)
            build = freshness.Build(summary.run_id, inputs)
            freshness.record(con, layer, build, summary.started_at)
        summary.layer_seconds[layer] = time.perf_counter() - started
        summary.tables.extend(stats)
        runlog.log_tables(con, summary.run_id, stats)


def _as_of(
    con: duckdb.DuckDBPyConnection, settings: Settings, summary: RunSummary
) -> dt.date:
    if summary.as_of is None:
        summary.as_of = checks.as_of_date(con, settings.as_of)
    return summary.as_of


def _inputs(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    summary: RunSummary,
    layer: str,
) -> str:
    if layer == "staging":
        return freshness.staging_inputs(con, settings)
    return freshness.prod_inputs(con, settings, _as_of(con, settings, summary))


def _up_to_date(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    summary: RunSummary,
    layer: str,
    progress: Progress,
) -> bool:
    """True (and say so) when the layer was built from exactly these inputs."""
    if settings.full_refresh:
        return False
    build = freshness.built(con, layer)
    if build is None or build.inputs != _inputs(con, settings, summary, layer):
        return False
    summary.up_to_date[layer] = build.run_id
    progress.start(f"{layer}: up to date")
    progress.done(f"nothing changed since run {build.run_id}", seconds=0.0)
    return True


def _await_publish(
    pending: tuple[str, concurrent.futures.Future[Published]] | None,
    target: Sink,
    published: dict[str, Published],
    progress: Progress,
) -> Exception | None:
    """Wait for a layer's publish; its error, if it failed."""
    if pending is None:
        return None
    layer, future = pending
    progress.start(f"{target.kind}: {layer}")
    try:
        published[layer] = sent = future.result()
    except Exception as exc:  # noqa: BLE001 - reported with what reached where
        progress.done("failed")
        return exc
    publish.report_published(progress, sent)
    return None


def _build_raw(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    summary: RunSummary,
    progress: Progress,
) -> list[TableStats]:
    results = raw.ingest_raw(
        con,
        settings.data_dir,
        run_id=summary.run_id,
        ingested_at=summary.started_at,
        full_refresh=settings.full_refresh,
        progress=progress,
    )
    summary.raw_files = results
    return [
        TableStats(
            "raw", f"raw.{name}", r.rows_ingested, r.rows_total, seconds=r.seconds
        )
        for name, r in results.items()
    ]


def _engine(settings: Settings) -> types.ModuleType:
    """The module that builds staging and prod for the chosen engine."""
    if settings.engine == "duckdb":
        from engine import duckdb_build

        return duckdb_build
    from engine import polars_build

    return polars_build


def _build_staging(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    progress: Progress,
    handoff: dict[str, pl.DataFrame],
) -> list[TableStats]:
    raw_rows = {e: warehouse.count_rows(con, f"raw.{e}") for e in contracts.ENTITIES}
    if not any(raw_rows.values()):
        msg = 'raw layer is empty; ingest files first with "etl run" (or --layers raw)'
        raise SourceError(msg)
    progress.start(f"staging: clean ({settings.engine})", total=len(contracts.ENTITIES))
    started = time.perf_counter()
    counts = _engine(settings).build_staging_tables(
        con, memory_limit=settings.memory_limit, handoff=handoff
    )
    seconds = time.perf_counter() - started
    progress.done(f"{sum(c.clean for c in counts.values()):,} clean rows")
    return [
        TableStats(
            "staging",
            f"staging.{entity}",
            rows_in=raw_rows[entity],
            rows_out=c.clean,
            rows_rejected=c.rejects,
            rows_duplicate=c.duplicates,
            seconds=seconds,
        )
        for entity, c in counts.items()
    ]


def _build_prod(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    summary: RunSummary,
    progress: Progress,
    handoff: dict[str, pl.DataFrame],
) -> list[TableStats]:
    as_of = _as_of(con, settings, summary)
    progress.start(f"prod: aggregate ({settings.engine})", total=None)
    started = time.perf_counter()
    rows = _engine(settings).build_prod_tables(
        con, as_of=as_of, memory_limit=settings.memory_limit, handoff=handoff
    )
    handoff.clear()
    seconds = time.perf_counter() - started
    progress.done(f"{sum(rows.values()):,} rows in {len(rows)} tables")
    return [
        TableStats("prod", name, rows_in=n, rows_out=n, seconds=seconds)
        for name, n in rows.items()
    ]
