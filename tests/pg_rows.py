"""Contract-shaped rows and a stand-in warehouse ledger, for PostgresTarget tests."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TYPE_CHECKING

import pyarrow as pa

from engine import contracts

if TYPE_CHECKING:
    from engine.postgres import PostgresTarget


D = decimal.Decimal
UTC = dt.UTC
DAY0 = dt.date(2025, 1, 1)


def make_rows(
    table: str, n: int, *, version: int = 0, start: int = 1, **fixed
) -> pa.Table:
    """n rows with the contract's columns, unique in every column, as DuckDB types them."""
    columns = {}
    ids = list(range(start, start + n))
    for field in contracts.arrow_schema(table):
        kind = field.type
        if field.name in fixed:
            values = [fixed[field.name]] * n
        elif pa.types.is_integer(kind):
            values = ids
        elif pa.types.is_decimal(kind):
            top = 10**kind.precision
            values = [
                D((i * 7919 + version) % top * (-1 if i % 3 == 0 else 1)).scaleb(
                    -kind.scale
                )
                for i in ids
            ]
        elif pa.types.is_floating(kind):
            values = [i * 1.25 + version for i in ids]
        elif pa.types.is_date(kind):
            values = [DAY0 + dt.timedelta(days=i) for i in ids]
        elif pa.types.is_timestamp(kind):
            kind = pa.timestamp("us", tz="Etc/UTC")  # what DuckDB hands back
            values = [
                dt.datetime(2025, 1, 2, tzinfo=UTC) + dt.timedelta(seconds=i)
                for i in ids
            ]
        else:
            values = [f"{field.name}-{i}-v{version}" for i in ids]
        columns[field.name] = pa.array(values, kind)
    return pa.table(columns)


def day_of(source: str) -> dt.date:
    return dt.date.fromisoformat(source.split("/")[1])


class Warehouse:
    """The warehouse side of raw.orders: files, their hashes and their rows."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, pa.Table]] = {}
        self.asked: list[list[str]] = []

    def put(self, day: int, n: int, version: int = 0) -> str:
        source = f"orders/{DAY0 + dt.timedelta(days=day)}/data.parquet"
        rows = make_rows(
            "raw.orders",
            n,
            version=version,
            start=day * 1000,
            _source_file=source,
            _partition_date=day_of(source),
        )
        rows = rows.set_column(6, "_source_row", pa.array(range(n), pa.int64()))
        self.files[source] = (f"hash-{version}", rows)
        return source

    def ledger(self) -> pa.Table:
        sources = sorted(self.files)
        n = len(sources)
        return pa.table(
            {
                "table_name": ["orders"] * n,
                "source_file": sources,
                "partition_date": pa.array([day_of(s) for s in sources], pa.date32()),
                "size_bytes": [100] * n,
                "content_hash": [self.files[s][0] for s in sources],
                "row_count": [self.files[s][1].num_rows for s in sources],
                "run_id": ["run-1"] * n,
                "ingested_at": pa.array(
                    [dt.datetime(2025, 1, 2, tzinfo=UTC)] * n,
                    pa.timestamp("us", tz="Etc/UTC"),
                ),
            }
        )

    def fetch(self, sources) -> pa.RecordBatchReader:
        self.asked.append(list(sources))
        tables = [self.files[s][1] for s in sources]
        return pa.concat_tables(tables).to_reader(max_chunksize=7)

    def rows(self) -> pa.Table:
        return pa.concat_tables(t for _, t in self.files.values())


def contents(target: PostgresTarget, table: str, order: str) -> pa.Table:
    return target.query(f"SELECT * FROM {table} ORDER BY {order}")


def same(stored: pa.Table, expected: pa.Table, table: str, order: list[str]) -> bool:
    """Equal after both are cast to the contract (query() widens numeric to 38 digits)."""
    schema = contracts.arrow_schema(table)
    want = expected.cast(schema).sort_by([(c, "ascending") for c in order])
    got = pa.Table.from_arrays(
        [
            stored[name].cast(field.type)
            for name, field in zip(schema.names, schema, strict=True)
        ],
        schema=schema,
    )
    return got.equals(want)


def leftovers(target: PostgresTarget) -> list[str]:
    found = target.query(
        "SELECT schemaname || '.' || tablename AS t FROM pg_tables "
        "WHERE tablename LIKE '%\\_\\_new' OR tablename LIKE '%\\_\\_old'"
    )
    return found["t"].to_pylist()
