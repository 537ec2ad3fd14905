"""Publishing: the warehouse's layers copied to a target, streamed from the DuckDB file.

The embedded warehouse stays the working store; a target (engine/sink.py) keeps its
own ledger and remembers which build of each layer it holds, so a target that is
behind (new, or its last publish failed) catches up on the next publish and one
that is current receives nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from typing import TYPE_CHECKING

from engine import contracts, drift, freshness, warehouse
from engine.config import redact
from engine.errors import EtlError, SinkError, SourceError
from engine.memory import duckdb_memory_limit
from engine.progress import NullProgress
from engine.sink import open_target, open_target_reader

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Mapping, Sequence

    import duckdb
    import pyarrow as pa

    from engine.config import Settings
    from engine.contracts import Layer
    from engine.drift import Drift
    from engine.freshness import Build
    from engine.progress import Progress
    from engine.sink import Reader, Sink

logger = logging.getLogger(__name__)

_ROW_ORDER = "_partition_date, _source_file, _source_row"


@dataclasses.dataclass(frozen=True, slots=True)
class Published:
    """Rows sent to a target for one layer, and how long it took."""

    layer: str
    rows: int
    seconds: float
    up_to_date: bool = False
    """True when the target already held this build of the layer and nothing was sent."""


@dataclasses.dataclass(frozen=True, slots=True)
class LayerCopy:
    """One warehouse layer as a target receives it: its tables, streamed on demand.

    Every reader gets a cursor of its own, so a target may read several tables on
    worker threads.
    """

    con: duckdb.DuckDBPyConnection
    layer: Layer
    tables: tuple[str, ...]
    """The layer's tables to send (names without the schema)."""
    batch_rows: int
    build: Build | None = None
    """The build being published, for the target's `held_build`; None for a repair."""
    repair_dates: Mapping[str, Sequence[dt.date]] = dataclasses.field(
        default_factory=dict
    )
    """Raw partitions found drifted, per table: a target empties and re-sends them."""

    def reader(self, table: str) -> pa.RecordBatchReader:
        """Every row of `layer.table`."""
        sql = f"SELECT * FROM {self.layer}.{table}"
        return self.con.cursor().sql(sql).to_arrow_reader(self.batch_rows)

    def ledger(self, table: str) -> pa.Table:
        """Raw only: the warehouse's meta.ingested_files rows of one table."""
        return (
            self.con.cursor()
            .sql(
                "SELECT * FROM meta.ingested_files WHERE table_name = $t",
                params={"t": table},
            )
            .to_arrow_table()
        )

    def files_fetcher(
        self, table: str, ledger: pa.Table
    ) -> Callable[[Sequence[str]], pa.RecordBatchReader]:
        """Raw only: a function streaming the rows of the given source files."""
        # Raw is ingested in lineage order, so a whole table streams without a sort;
        # a subset is sorted to keep Postgres's BRIN index on _partition_date selective.
        every = ledger.num_rows

        def fetch(files: Sequence[str]) -> pa.RecordBatchReader:
            if len(set(files)) == every:
                return self.reader(table)
            query = (
                f"SELECT * FROM raw.{table} WHERE _source_file IN (SELECT unnest($files)) "
                f"ORDER BY {_ROW_ORDER}"
            )
            relation = self.con.cursor().sql(query, params={"files": list(files)})
            return relation.to_arrow_reader(self.batch_rows)

        return fetch


class PublishFailed(EtlError):
    """A publish to a target failed; the message says what reached where."""

    def __init__(self, cause: BaseException, reached: str) -> None:
        text = str(cause).rstrip(".") if str(cause) else type(cause).__name__
        super().__init__(f"{text}. {reached}")
        self.table = getattr(cause, "table", None)


def publish_warehouse(
    settings: Settings,
    *,
    layers: Sequence[Layer] = contracts.LAYERS,
    progress: Progress | None = None,
    repair: bool = False,
    target: Sink | None = None,
) -> dict[str, Published]:
    """Publish the warehouse's layers as they are to the target, building nothing.

    For a target that is new or behind: raw moves only the files its ledger lacks,
    staging and prod are replaced whole, exactly as `etl run --pg-url` does. The
    target is the one the settings name unless one is given (left open then).
    """
    progress = progress or NullProgress()
    ordered = tuple(layer for layer in contracts.LAYERS if layer in layers)
    published: dict[str, Published] = {}
    with contextlib.ExitStack() as stack:
        if target is None:
            target = open_target(settings)
            assert target is not None, "publish_warehouse needs settings.pg_url"
            stack.callback(target.close)
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
                progress.start(f"{target.kind}: {layer}")
                if drifts is None:
                    sent = publish_if_behind(con, target, layer, settings.batch_rows)
                else:
                    sent = repair_layer(con, target, layer, drifts, settings.batch_rows)
                published[layer] = sent
                report_published(progress, sent)
        except Exception as exc:
            raise PublishFailed(
                exc, reached(target.committed, ordered, settings.pg_url)
            ) from exc
        if drifts and (left := _drift(con, target, ordered)):
            msg = f"PostgreSQL still differs after the repair: {left[0].describe()} ({len(left)} partitions); was it changed during the publish? run again"
            raise SinkError(msg, table=left[0].table)
    return published


def verify_target(
    settings: Settings, *, layers: Sequence[Layer] = contracts.LAYERS
) -> tuple[list[Drift], list[str]]:
    """Drifted partitions between the warehouse and the target, and the tables checked.

    Only layers some run has built are compared.
    """
    with contextlib.ExitStack() as stack:
        target = open_target_reader(settings)
        stack.callback(target.close)
        con = warehouse.open_warehouse(settings.warehouse, read_only=True)
        stack.callback(con.close)
        built = [layer for layer in layers if _is_built(con, layer)]
        tables = [f"{layer}.{t}" for layer in built for t in contracts.tables(layer)]
        return drift.find_drift(con, target, tables), tables


def publish_if_behind(
    con: duckdb.DuckDBPyConnection, target: Sink, layer: Layer, batch_rows: int
) -> Published:
    """Publish a layer unless the target holds the warehouse's build of it.

    Raw is always sent: its ledger sync sends only what the target lacks.
    """
    # A cursor of its own: this runs on the publisher thread while the next layer builds.
    build = freshness.built(con.cursor(), layer) if layer != "raw" else None
    if build is not None and target.held_build(layer) == build:
        return Published(layer, 0, 0.0, up_to_date=True)
    tables = tuple(contracts.tables(layer))
    return _publish(target, LayerCopy(con, layer, tables, batch_rows, build))


def repair_layer(
    con: duckdb.DuckDBPyConnection,
    target: Sink,
    layer: Layer,
    drifts: Sequence[Drift],
    batch_rows: int,
) -> Published:
    """Re-send only the drifted partitions of raw, or the drifted staging and prod tables."""
    drifted: dict[str, list[dt.date]] = {}
    for found in drifts:
        schema, _, name = found.table.partition(".")
        if schema == layer:
            drifted.setdefault(name, []).append(found.partition)  # type: ignore[arg-type]
    repair_dates = drifted if layer == "raw" else {}
    copy = LayerCopy(con, layer, tuple(drifted), batch_rows, None, repair_dates)
    return _publish(target, copy, log=False)


def _publish(target: Sink, copy: LayerCopy, *, log: bool = True) -> Published:
    started = time.perf_counter()
    rows = target.publish(copy) if copy.tables else 0
    seconds = time.perf_counter() - started
    if log:
        logger.info(
            "published %s rows -> %s %s in %.2f s",
            f"{rows:,}",
            target.kind,
            copy.layer,
            seconds,
        )
    return Published(copy.layer, rows, seconds)


def report_published(progress: Progress, sent: Published) -> None:
    """Finish a layer's progress line: rows sent, or that it was up to date."""
    if sent.up_to_date:
        progress.done("up to date, nothing sent", seconds=sent.seconds)
    else:
        progress.done(f"{sent.rows:,} rows published", seconds=sent.seconds)


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


def record_run(con: duckdb.DuckDBPyConnection, target: Sink, run_id: str) -> None:
    """Copy the run's log rows to the target, so `etl status --pg-url` shows them."""
    params = {"id": run_id}
    run = con.sql("SELECT * FROM meta.runs WHERE run_id = $id", params=params)
    tables = con.sql("SELECT * FROM meta.run_tables WHERE run_id = $id", params=params)
    target.record_run(run.to_arrow_table(), tables.to_arrow_table())


def _drift(
    con: duckdb.DuckDBPyConnection, target: Reader, layers: Sequence[str]
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
