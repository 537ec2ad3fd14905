"""Input checks before a run creates or changes anything, and cleanup when a first run fails.

Bad input gets one line before the warehouse file exists, so a failed run leaves
nothing behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from engine import contracts, sources
from engine.errors import ConfigError, SourceError, WarehouseError

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Sequence

    import duckdb

    from engine.config import Settings
    from engine.contracts import Layer


def remove_on_failure(path: Path) -> Callable[..., bool]:
    """An exit callback deleting a warehouse this run created, if the run fails.

    A failed first run leaves nothing behind; its error was printed.
    """

    def remove(exc_type: type[BaseException] | None, *_: object) -> bool:
        if exc_type is not None:
            for leftover in (path, Path(f"{path}.wal")):
                leftover.unlink(missing_ok=True)
        return False

    return remove


def check_inputs(settings: Settings, layers: Sequence[Layer]) -> None:
    """Refuse what is sure to fail before anything is created or changed."""
    if "raw" not in layers and not settings.warehouse.exists():
        msg = f'{settings.warehouse}: no warehouse here yet; build it with "etl run" (all layers) or pass --warehouse'
        raise WarehouseError(msg)
    # A second scan of the files (the ingest makes its own) only where it saves
    # something: a warehouse not created, or a build not started with a bad --as-of.
    checks_as_of = settings.as_of is not None and "prod" in layers
    if "raw" in layers and (checks_as_of or not settings.warehouse.exists()):
        found = sources.scan_partitions(settings.data_dir)
        if settings.as_of and "prod" in layers:
            dates = [f.partition_date for files in found.values() for f in files]
            check_as_of(settings.as_of, max(dates, default=None))


def check_as_of(as_of: dt.date, last: dt.date | None) -> None:
    """Refuse an as-of date inside the data: days_since_* would count backwards."""
    if last is not None and as_of < last:
        msg = f"--as-of {as_of} is before the last partition ({last}), so days_since_* would count back from a date inside the data; pass {last} or later, or leave --as-of out"
        raise ConfigError(msg)


def as_of_date(con: duckdb.DuckDBPyConnection, requested: dt.date | None) -> dt.date:
    """The date prod counts from: `requested` once checked, else the last partition."""
    last = last_partition_date(con)
    if requested:
        check_as_of(requested, last)
    return requested or last


def last_partition_date(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The newest partition in raw: the default as-of date, so output never depends on the clock."""
    union = " UNION ALL ".join(
        f"SELECT max(_partition_date) AS d FROM raw.{e}" for e in contracts.ENTITIES
    )
    ((last,),) = con.sql(f"SELECT max(d) FROM ({union})").fetchall()
    if last is None:
        msg = 'raw layer is empty, so there is no as-of date; run "etl run" with data or pass --as-of'
        raise SourceError(msg)
    return last
