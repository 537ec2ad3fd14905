"""Stream Arrow batches into PostgreSQL and prove the load.

Rows and exact money sums are counted on the way out and compared with what the
server stored.
"""

from __future__ import annotations

import dataclasses
import decimal
import logging
from typing import TYPE_CHECKING, Final

import pyarrow as pa
import pyarrow.compute as pc

from engine import contracts
from engine.errors import ContractError, SinkError
from engine.postgres_session import DriverError, execute, quote, translate

if TYPE_CHECKING:
    import datetime as dt
    import threading
    from collections.abc import Iterator

    from adbc_driver_manager.dbapi import Connection

logger = logging.getLogger(__name__)

# Wide enough that summing millions of NUMERIC(15,2) values never rounds.
_EXACT: Final = decimal.Context(prec=80)
_ZERO: Final = decimal.Decimal(0)
# PostgreSQL text cannot hold U+0000; the copy gets U+FFFD, the replacement character.
_NUL: Final = "\x00"
_NUL_STAND_IN: Final = "\ufffd"


class LoadAborted(Exception):
    """Another table of the same publish failed; this load stops early."""


@dataclasses.dataclass
class Tally:
    """What was sent: rows, the exact sum of every decimal column, partition dates."""

    table: str
    decimals: tuple[str, ...]
    rows: int = 0
    sums: dict[str, decimal.Decimal] = dataclasses.field(default_factory=dict)
    by_partition: bool = False
    partitions: set[dt.date] = dataclasses.field(default_factory=set)
    """Distinct `_partition_date` values sent, when counted `by_partition` (raw)."""
    error: BaseException | None = None
    """Why the stream stopped, re-raised instead of the driver's wrapped message."""
    nul_values: dict[str, tuple[int, str | None]] = dataclasses.field(
        default_factory=dict
    )
    """Column -> (values sent with U+FFFD for NUL, the first source file)."""

    def add(self, batch: pa.RecordBatch) -> None:
        self.rows += batch.num_rows
        for name in self.decimals:
            value = pc.sum(batch.column(name)).as_py()
            if value is not None:
                self.sums[name] = _EXACT.add(self.sums.get(name, _ZERO), value)
        if self.by_partition:
            self.partitions.update(pc.unique(batch["_partition_date"]).to_pylist())


def conform(
    reader: pa.RecordBatchReader,
    table: str,
    batch_rows: int,
    *,
    by_partition: bool = False,
    abort: threading.Event | None = None,
) -> tuple[pa.RecordBatchReader, Tally]:
    """Cast a stream to the table's contract schema and tally it as it is read."""
    schema = contracts.arrow_schema(table)
    _check_names(reader.schema, schema, table)
    decimals = tuple(f.name for f in schema if pa.types.is_decimal(f.type))
    tally = Tally(table=table, decimals=decimals, by_partition=by_partition)

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            for batch in reader:
                for offset in range(0, batch.num_rows, batch_rows):
                    _stop_if(abort, table)
                    piece = _cast(batch.slice(offset, batch_rows), schema, table)
                    piece = _without_nul(piece, tally)
                    tally.add(piece)
                    yield piece
        except Exception as exc:
            tally.error = exc
            raise
        for column, (count, source) in tally.nul_values.items():
            where = f" in {source}" if source else ""
            logger.warning(
                '%s: %s value(s) of column "%s"%s hold a NUL byte, which '
                "PostgreSQL cannot store; sent with U+FFFD in its place (the "
                "warehouse keeps the original)",
                table,
                f"{count:,}",
                column,
                where,
            )

    return pa.RecordBatchReader.from_batches(schema, batches()), tally


def _without_nul(batch: pa.RecordBatch, tally: Tally) -> pa.RecordBatch:
    """Replace NUL in string columns, which PostgreSQL refuses, and note where."""
    arrays = list(batch.columns)
    for index, field in enumerate(batch.schema):
        if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
            continue
        hits = pc.match_substring(arrays[index], _NUL)
        count = pc.sum(hits).as_py() or 0
        if not count:
            continue
        arrays[index] = pc.replace_substring(arrays[index], _NUL, _NUL_STAND_IN)
        source = None
        if "_source_file" in batch.schema.names:
            first = pc.index(hits, value=True).as_py()
            source = batch.column("_source_file")[first].as_py()
        seen, first_source = tally.nul_values.get(field.name, (0, source))
        tally.nul_values[field.name] = (seen + count, first_source)
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)


def _stop_if(abort: threading.Event | None, table: str) -> None:
    if abort is not None and abort.is_set():
        raise LoadAborted(table)


def _check_names(got: pa.Schema, schema: pa.Schema, table: str) -> None:
    missing = [name for name in schema.names if name not in got.names]
    extra = [name for name in got.names if name not in schema.names]
    if missing or extra:
        column = (missing or extra)[0]
        problem = "lacks" if missing else "has a column not in sql/:"
        msg = f'{table}: the data {problem} column "{column}"; rebuild the layer or fix its contract in sql/'
        raise ContractError(msg, table=table, column=column)


def _cast(batch: pa.RecordBatch, schema: pa.Schema, table: str) -> pa.RecordBatch:
    """ADBC never casts, so every column must arrive with the exact column type."""
    arrays = []
    for field in schema:
        column = batch.column(field.name)
        if column.type != field.type:
            column = _cast_column(column, field, table)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _cast_column(column: pa.Array, field: pa.Field, table: str) -> pa.Array:
    # A float would be rounded silently on its way to NUMERIC (1.005 -> 1.00).
    if pa.types.is_decimal(field.type) and pa.types.is_floating(column.type):
        msg = f'{table}: column "{field.name}" arrives as {column.type}, money must be {field.type}; cast it to a decimal in the layer'
        raise ContractError(msg, table=table, column=field.name)
    try:
        return column.cast(field.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        reason = str(exc).splitlines()[0]
        msg = f'{table}: column "{field.name}" is {column.type}, cannot be sent as {field.type} ({reason}); fix the layer or its contract in sql/'
        raise ContractError(msg, table=table, column=field.name) from exc


def ingest(
    conn: Connection,
    url: str,
    stream: pa.RecordBatchReader,
    tally: Tally,
    target: tuple[str, str],
) -> None:
    """Append the stream to target (schema, table) in the open transaction."""
    try:
        with conn.cursor() as cur:
            sent = cur.adbc_ingest(
                target[1], stream, mode="append", db_schema_name=target[0]
            )
    except DriverError as exc:
        if tally.error is not None:
            raise tally.error from exc
        raise translate(exc, url, table=tally.table, action="load rows") from exc
    # -1 means the driver did not count; the verification query still does.
    if sent not in (-1, tally.rows):
        msg = f"{tally.table}: the driver reports {sent:,} rows loaded but {tally.rows:,} were sent; rolled back"
        raise SinkError(msg, table=tally.table)


def verify(conn: Connection, tally: Tally, target: tuple[str, str]) -> None:
    """Compare count(*) and sum(col) in PostgreSQL with what was sent."""
    sums = "".join(f", sum({quote(c)})::text" for c in tally.decimals)
    ((stored, *totals),) = execute(conn, f"SELECT count(*){sums} FROM {quote(*target)}")
    table = tally.table
    if stored != tally.rows:
        msg = f"{table}: {tally.rows:,} rows were sent but PostgreSQL holds {stored:,}; rolled back, run again"
        raise SinkError(msg, table=table)
    for name, total in zip(tally.decimals, totals, strict=True):
        got = _ZERO if total is None else decimal.Decimal(str(total))
        want = tally.sums.get(name, _ZERO)
        if _EXACT.compare(got, want) != 0:
            msg = f'{table}: column "{name}" sums to {got} in PostgreSQL but {want} was sent (NUMERIC corrupted by the driver?); rolled back, check adbc-driver-postgresql'
            raise SinkError(msg, table=table)
