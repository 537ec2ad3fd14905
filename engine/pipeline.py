"""Orchestration: run the layers in order, publish each atomically, log the run.

Each layer is built and published inside one warehouse transaction together with its
run-log rows, so the warehouse never holds half a layer or a log that disagrees with it.
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

from engine import checks, contracts, drift, freshness, publish, raw, warehouse
from engine.errors import EtlError, SinkError, SourceError
from engine.failures import first_line
from engine.memory import duckdb_memory_limit
from engine.progress import NullProgress

if TYPE_CHECKING:
    import types
    from collections.abc import Sequence

    import duckdb
    import polars as pl

    from engine.config import Settings
    from engine.contracts import Layer
    from engine.drift import Drift
    from engine.postgres import PostgresTarget
    from engine.progress import Progress
    from engine.publish import Published

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
    """Per layer, what went to PostgreSQL (empty without --pg-url)."""
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
) -> RunSummary:
    """Build the requested layers into the warehouse (raw -> staging -> prod)."""
    progress = progress or NullProgress()
    ordered = tuple(layer for layer in contracts.LAYERS if layer in layers)
    started_at = dt.datetime.now(dt.UTC)
    summary = RunSummary(
        run_id=new_run_id(started_at), started_at=started_at, layers=ordered
    )
    _run(settings, summary, progress)
    return summary


def _run(settings: Settings, summary: RunSummary, progress: Progress) -> None:
    with contextlib.ExitStack() as stack:
        # Postgres first: a server that is down, not set up or busy stops the run
        # before anything changes anywhere.
        target = None
        if settings.pg_url:
            target = stack.enter_context(_open_target(settings))
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
        _start_run(con, summary)
        try:
            _run_layers(con, settings, summary, progress, target)
        except BaseException as exc:
            summary.status = "failed"
            con = _log_failure(con, settings, summary, exc)
            if con is not None:
                _record_remote(con, target, summary.run_id)
            raise
        summary.status = "succeeded"
        _finish_run(con, summary, error=None)
        _record_remote(con, target, summary.run_id)


def publish_warehouse(
    settings: Settings,
    *,
    layers: Sequence[Layer] = contracts.LAYERS,
    progress: Progress | None = None,
    repair: bool = False,
) -> dict[str, Published]:
    """Publish the warehouse's layers as they are to PostgreSQL, building nothing.

    For a target that is new or behind: raw moves only the files its ledger lacks,
    staging and prod are swapped in whole, exactly as `etl run --pg-url` does.
    """
    progress = progress or NullProgress()
    ordered = tuple(layer for layer in contracts.LAYERS if layer in layers)
    published: dict[str, Published] = {}
    with contextlib.ExitStack() as stack:
        target = stack.enter_context(_open_target(settings))
        stack.enter_context(target.lock())
        con = warehouse.open_warehouse(
            settings.warehouse,
            read_only=True,
            memory_limit=duckdb_memory_limit(settings.memory_limit, "publish"),
        )
        stack.callback(warehouse.close_warehouse, con, settings.warehouse)
        for layer in ordered:
            _check_built(con, settings, layer)
        drifts = _drift(con, target, ordered) if repair else None
        try:
            for layer in ordered:
                progress.start(f"postgres: {layer}")
                if drifts is None:
                    sent = freshness.publish_if_behind(
                        con, target, layer, settings.batch_rows, settings.pg_url
                    )
                else:
                    sent = publish.repair_layer(
                        con, target, layer, drifts, settings.batch_rows
                    )
                published[layer] = sent
                _report_published(progress, sent)
        except Exception as exc:
            raise publish.PublishFailed(
                exc, publish.reached(target.committed, ordered, settings.pg_url)
            ) from exc
        if drifts and (left := _drift(con, target, ordered)):
            msg = f"PostgreSQL still differs after the repair: {left[0].describe()} ({len(left)} partitions); was it changed during the publish? run again"
            raise SinkError(msg, table=left[0].table)
    return published


def verify_target(
    settings: Settings, *, layers: Sequence[Layer] = contracts.LAYERS
) -> tuple[list[Drift], list[str]]:
    """Drifted partitions between the warehouse and PostgreSQL, and the tables checked.

    Only layers some run has built are compared.
    """
    from engine.postgres import PostgresTarget

    assert settings.pg_url is not None
    with contextlib.ExitStack() as stack:
        target = stack.enter_context(
            PostgresTarget(
                settings.pg_url,
                connect_timeout=settings.pg_connect_timeout,
                lock_timeout=settings.pg_lock_timeout,
            )
        )
        target.check_setup(for_write=False)
        con = warehouse.open_warehouse(settings.warehouse, read_only=True)
        stack.callback(con.close)
        built = [layer for layer in layers if _is_built(con, layer)]
        tables = [f"{layer}.{t}" for layer in built for t in contracts.tables(layer)]
        return drift.find_drift(con, target, tables), tables


def _drift(
    con: duckdb.DuckDBPyConnection, target: PostgresTarget, layers: Sequence[str]
) -> list[Drift]:
    tables = [f"{layer}.{t}" for layer in layers for t in contracts.tables(layer)]
    return drift.find_drift(con, target, tables)


def _is_built(con: duckdb.DuckDBPyConnection, layer: str) -> bool:
    # A layer's run-log rows commit with its tables, so they prove it was built.
    ((built,),) = con.sql(
        "SELECT count(*) FROM meta.run_tables WHERE layer = $layer",
        params={"layer": layer},
    ).fetchall()
    return bool(built)


def _check_built(
    con: duckdb.DuckDBPyConnection, settings: Settings, layer: str
) -> None:
    """Refuse to publish a layer no run has built: it would empty the target's copy."""
    if not _is_built(con, layer):
        msg = f'{settings.warehouse}: no run has built the {layer} layer yet; build it first with "etl run"'
        raise SourceError(msg)


def _open_target(settings: Settings) -> PostgresTarget:
    from engine.postgres import PostgresTarget

    assert settings.pg_url is not None
    target = PostgresTarget(
        settings.pg_url,
        batch_rows=settings.batch_rows,
        connect_timeout=settings.pg_connect_timeout,
        lock_timeout=settings.pg_lock_timeout,
        publish_mode=settings.publish_mode,
    )
    try:
        target.ensure_setup()
    except BaseException:
        target.close()
        raise
    return target


def _log_failure(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    summary: RunSummary,
    exc: BaseException,
) -> duckdb.DuckDBPyConnection | None:
    """Mark the run failed in meta.runs, reopening a warehouse the failure invalidated.

    Returns the connection that logged it, or None when the warehouse cannot be
    written at all (the next run then marks this one 'interrupted'). The run's own
    error is what gets raised either way.
    """
    import duckdb

    error = first_line(exc, named=True)
    try:
        _finish_run(con, summary, error=error)
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
        _finish_run(con, summary, error=error)
    except duckdb.Error:
        con.close()
        return None
    return con


def _close(con: duckdb.DuckDBPyConnection | None, settings: Settings) -> None:
    """Close the run's warehouse connection (if a failure left one) and its spill files."""
    if con is not None:
        warehouse.close_warehouse(con, settings.warehouse)
    else:
        shutil.rmtree(warehouse.temp_directory(settings.warehouse), ignore_errors=True)


def _record_remote(
    con: duckdb.DuckDBPyConnection, target: PostgresTarget | None, run_id: str
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
    target: PostgresTarget | None,
) -> None:
    # Publishing a layer to Postgres overlaps with building the next one: the copy
    # is mostly server work, and the next layer reads the warehouse, not the target.
    # A failed publish stops publishing, not the build: the warehouse completes the
    # run and the error says what reached PostgreSQL, which `etl publish` catches up.
    failed: Exception | None = None
    handoff: dict[str, pl.DataFrame] = {}  # staging frames prod may reuse
    with concurrent.futures.ThreadPoolExecutor(1, "etl-publish") as publisher:
        pending: tuple[str, concurrent.futures.Future[Published]] | None = None
        for layer in summary.layers:
            started = time.perf_counter()
            if layer == "raw" or not _up_to_date(
                con, settings, summary, layer, progress
            ):
                with warehouse.transaction(con):
                    if layer == "raw":
                        stats = _build_raw(con, settings, summary, progress)
                    else:
                        inputs = _inputs(con, settings, summary, layer)
                        if layer == "staging":
                            stats = _build_staging(con, settings, progress, handoff)
                        else:
                            stats = _build_prod(
                                con, settings, summary, progress, handoff
                            )
                        build = freshness.Build(summary.run_id, inputs)
                        freshness.record(con, layer, build, summary.started_at)
                    summary.layer_seconds[layer] = time.perf_counter() - started
                    summary.tables.extend(stats)
                    _log_tables(con, summary.run_id, stats)
            if target is not None and failed is None:
                failed = _await_publish(pending, summary.published, progress)
                job = (
                    freshness.publish_if_behind,
                    *(con, target, layer, settings.batch_rows, settings.pg_url),
                )
                pending = None if failed else (layer, publisher.submit(*job))
        failed = failed or _await_publish(pending, summary.published, progress)
    if failed is not None and target is not None:
        done = ", ".join(summary.layers)
        where = publish.reached(target.committed, summary.layers, settings.pg_url)
        reached = f"Warehouse: {done} committed (run {summary.run_id}). {where}"
        raise publish.PublishFailed(failed, reached) from failed


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
    published: dict[str, Published],
    progress: Progress,
) -> Exception | None:
    """Wait for a layer's publish; its error, if it failed."""
    if pending is None:
        return None
    layer, future = pending
    progress.start(f"postgres: {layer}")
    try:
        published[layer] = sent = future.result()
    except Exception as exc:  # noqa: BLE001 - reported with what reached where
        progress.done("failed")
        return exc
    _report_published(progress, sent)
    return None


def _report_published(progress: Progress, sent: Published) -> None:
    if sent.up_to_date:
        progress.done("up to date, nothing sent", seconds=sent.seconds)
    else:
        progress.done(f"{sent.rows:,} rows published", seconds=sent.seconds)


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


def _start_run(con: duckdb.DuckDBPyConnection, summary: RunSummary) -> None:
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


def _finish_run(
    con: duckdb.DuckDBPyConnection, summary: RunSummary, *, error: str | None
) -> None:
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


def _log_tables(
    con: duckdb.DuckDBPyConnection, run_id: str, stats: Sequence[TableStats]
) -> None:
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
