"""Reading from a PostgreSQL target: one plain query, as Arrow with exact types.

What may run is decided in engine/readonly.py; this module turns the driver's
opaque types into the ones the warehouse returns.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import pyarrow as pa

from engine.errors import QueryError
from engine.postgres_session import DriverError, server_message
from engine.readonly import fetch_postgres
from engine.redact import redact

if TYPE_CHECKING:
    from adbc_driver_manager.dbapi import Connection


def read_arrow(conn: Connection, url: str, sql: str) -> pa.Table:
    """Run one plain read query in its own READ ONLY transaction."""
    try:
        conn.rollback()
        result = fetch_postgres(conn, sql)
    except DriverError as exc:
        msg = f"query failed on {redact(url)}: {server_message(exc, url)}"
        raise QueryError(msg) from exc
    finally:
        with contextlib.suppress(DriverError):
            conn.rollback()
    return plain_types(result)


def plain_types(table: pa.Table) -> pa.Table:
    """Opaque PostgreSQL types (numeric arrives as text) -> decimals where exact, else text."""
    columns = []
    for column in table.columns:
        kind = column.type
        if isinstance(kind, pa.BaseExtensionType):
            storage = [chunk.storage for chunk in column.chunks]
            column = pa.chunked_array(storage, type=kind.storage_type)
            if getattr(kind, "type_name", "") == "numeric":
                column = _to_decimal(column)
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _to_decimal(text: pa.ChunkedArray) -> pa.ChunkedArray:
    values = [v for v in text.to_pylist() if v is not None]
    scale = max((len(v.partition(".")[2]) for v in values), default=0)
    try:
        return text.cast(pa.decimal128(38, scale))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return text  # NaN, Infinity or more than 38 digits: keep the exact text
