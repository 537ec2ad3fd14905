"""Replace the rows of a layer's live tables in one transaction: the default publish.

DELETE, COPY and verify every table, then commit once. Unlike a rename swap (or
TRUNCATE), this is MVCC-safe: a REPEATABLE READ or SERIALIZABLE reader whose
snapshot predates the commit keeps seeing the old rows, and the tables keep their
indexes, grants, views and comments untouched.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import TYPE_CHECKING

from engine.postgres_load import conform, ingest, verify
from engine.postgres_session import DriverError, execute, quote, translated

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import pyarrow as pa
    from adbc_driver_manager.dbapi import Connection

logger = logging.getLogger(__name__)


def replace_rows(
    conn: Connection,
    url: str,
    layer: str,
    names: Sequence[str],
    sources: Mapping[str, Callable[[], pa.RecordBatchReader]],
    batch_rows: int,
) -> dict[str, int]:
    """Make every `layer.name` hold exactly its source's rows; all tables or none."""
    rows: dict[str, int] = {}
    try:
        for name in names:
            started = time.perf_counter()
            table = f"{layer}.{name}"
            with translated(url, table, "delete the old rows"):
                execute(conn, f"DELETE FROM {quote(layer, name)}")
            with sources[name]() as reader:
                stream, tally = conform(reader, table, batch_rows)
                ingest(conn, url, stream, tally, (layer, name))
            with translated(url, table, "verify the load"):
                verify(conn, tally, (layer, name))
            rows[name] = tally.rows
            seconds = time.perf_counter() - started
            logger.info(
                "loaded %s rows -> %s in %.2f s", f"{tally.rows:,}", table, seconds
            )
        with translated(url, f"{layer} layer", "commit"):
            conn.commit()
    except BaseException:
        # A lost connection cannot roll back (the server already has): keep the
        # error that says what happened.
        with contextlib.suppress(DriverError):
            conn.rollback()
        raise
    return rows
