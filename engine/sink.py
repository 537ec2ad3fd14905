"""The sink protocol: what the pipeline and the CLI need from a store, and the one factory.

Words, used the same way in code and docs:

- **warehouse**: the embedded DuckDB file. The build's working store (raw, staging
  and prod are built there, with the run log) and the source of every publish.
- **target**: a store outside the warehouse that receives copies of its layers
  (PostgreSQL today; a Parquet folder or another database tomorrow).
- **sink**: the protocol below. A target implements all of `Sink`; the warehouse
  implements only its read part, `Reader`, because it is built, not published to.
- **publish**: make a target's copy of one layer equal the warehouse's, each table
  whole or not at all, and remember which warehouse build it now holds.

A new target is one module implementing `Sink`, plus a branch in `open_target`.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager
    from pathlib import Path

    import pyarrow as pa

    from engine.config import Settings
    from engine.freshness import Build
    from engine.publish import LayerCopy


class Rows(NamedTuple):
    """A query's column names, its rows (the first `limit` when limited) and its row count."""

    columns: list[str]
    rows: list[tuple[object, ...]]
    total: int


@runtime_checkable
class Reader(Protocol):
    """The read role: `etl query`, `status`, `dq` and `verify` run their SQL here.

    The SQL is the dialect DuckDB and PostgreSQL share, over the tables of sql/.
    """

    where: str
    """The store as messages name it: a file path, or a URL without its password."""

    def read(self, sql: str, limit: int | None = None) -> Rows:
        """Run one read-only statement; with `limit`, keep that many rows but count all."""
        ...

    def close(self) -> None:
        """Release connections (and with them any lock)."""
        ...


@runtime_checkable
class Sink(Reader, Protocol):
    """A target: receives the warehouse's layers and a copy of its run log."""

    kind: str
    """What progress lines call this kind of target, e.g. "postgres: raw"."""
    committed: list[str]
    """Tables ("layer.table") whose publish committed, in order: a failure reports them."""

    def setup(self) -> None:
        """Create the schemas and tables of sql/ (`etl setup`); safe to repeat."""
        ...

    def check_setup(self, *, for_write: bool = True) -> None:
        """Refuse a target lacking a table of sql/ (`for_write`: or the right to load it)."""
        ...

    def ensure_setup(self) -> None:
        """Before a publish: create what is missing, then `check_setup`."""
        ...

    def lock(self) -> AbstractContextManager[None]:
        """Keep other runs out of this target for the block; refuse at once if one is in."""
        ...

    def held_build(self, layer: str) -> Build | None:
        """The warehouse build of `layer` last published here, so an equal one is skipped."""
        ...

    def publish(self, copy: LayerCopy) -> int:
        """Make this target's copy of `copy.layer` equal the warehouse's; rows sent.

        Each table is replaced whole or not at all (raw may send only the source
        files it lacks). When `copy.build` is set, remember it for `held_build`.
        """
        ...

    def record_run(self, run: pa.Table, tables: pa.Table) -> None:
        """Store a run's meta.runs and meta.run_tables rows, replacing earlier copies."""
        ...


def open_target(settings: Settings) -> Sink | None:
    """The target the settings name, set up and checked for a publish; None without one."""
    target = connect_target(settings)
    if target is None:
        return None
    try:
        target.ensure_setup()
    except BaseException:
        target.close()
        raise
    return target


def open_target_reader(settings: Settings) -> Reader:
    """The target the settings name, checked to hold every table, for reading only."""
    target = connect_target(settings)
    assert target is not None, "open_target_reader needs settings.pg_url"
    try:
        target.check_setup(for_write=False)
    except BaseException:
        target.close()
        raise
    return target


def connect_target(settings: Settings) -> Sink | None:
    """The one place a target is chosen: PostgreSQL with --pg-url, else none."""
    if not settings.pg_url:
        return None
    from engine.postgres import PostgresTarget

    return PostgresTarget(
        settings.pg_url,
        batch_rows=settings.batch_rows,
        connect_timeout=settings.pg_connect_timeout,
        lock_timeout=settings.pg_lock_timeout,
        publish_mode=settings.publish_mode,
    )


@contextlib.contextmanager
def open_reader(
    warehouse: Path,
    pg_url: str | None = None,
    *,
    wait: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[Reader]:
    """The target at `pg_url` when given, else the warehouse, for reading.

    While a build writes the warehouse, wait up to `wait` seconds for it (DuckDB
    lets no other process open a file one process writes), telling `on_wait` once.
    """
    if pg_url:
        from engine.config import Settings

        reader = open_target_reader(Settings(warehouse=warehouse, pg_url=pg_url))
    else:
        from engine.warehouse_reader import WarehouseReader

        reader = WarehouseReader(warehouse, wait=wait, on_wait=on_wait)
    try:
        yield reader
    finally:
        reader.close()
