"""Drift between the warehouse and a target's copy: found per partition, named.

For every published table both sides count rows and sum every money column exactly,
per partition (`_partition_date`, else `order_date`, else `year_month`, else the
whole table). Decimal money is summed as it is; raw's float money as integer cents
(`floor(x * 100 + 0.5)`, the same IEEE arithmetic on both sides).
"""

from __future__ import annotations

import dataclasses
import decimal
import functools
from typing import TYPE_CHECKING, Final

import pyarrow as pa

from engine import contracts
from engine.sink import Rows

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Sequence

    import duckdb

    from engine.sink import Reader

_PARTITION_COLUMNS: Final = ("_partition_date", "order_date", "year_month")
_WHOLE: Final = "(whole table)"
# Beyond this a float is no money amount; its cents would overflow a bigint.
_CENTS_LIMIT: Final = "1e15"

Stats = tuple[int, ...]
"""(rows, sum of each money column) of one partition."""


@dataclasses.dataclass(frozen=True, slots=True)
class Drift:
    """One partition of one table that differs between the two stores."""

    table: str
    partition: dt.date | str
    warehouse: tuple[object, ...] | None
    target: tuple[object, ...] | None
    measures: tuple[str, ...]

    def describe(self) -> str:
        """'raw.orders 2025-01-03: rows 12 in the warehouse, 13 in PostgreSQL'."""
        where = f"{self.table} {self.partition}"
        if self.target is None:
            return f"{where}: {self.warehouse[0]:,} rows in the warehouse, missing in PostgreSQL"  # type: ignore[index]
        if self.warehouse is None:
            return (
                f"{where}: {self.target[0]:,} rows in PostgreSQL, none in the warehouse"
            )
        diffs = [
            f"{measure} {mine} in the warehouse, {theirs} in PostgreSQL"
            for measure, mine, theirs in zip(
                self.measures, self.warehouse, self.target, strict=True
            )
            if mine != theirs
        ]
        return f"{where}: {'; '.join(diffs)}"


def partition_column(table: str) -> str | None:
    """The column a table's drift is reported by, or None for the whole table."""
    names = contracts.arrow_schema(table).names
    return next((c for c in _PARTITION_COLUMNS if c in names), None)


def find_drift(
    con: duckdb.DuckDBPyConnection, target: Reader, tables: Sequence[str]
) -> list[Drift]:
    """Every partition of `tables` whose rows or money sums differ, in table order."""
    drifts: list[Drift] = []
    for table in tables:
        ours = _stats(functools.partial(_read_warehouse, con), table)
        theirs = _stats(target.read, table)
        measures = ("rows", *(f"sum({c})" for c in _money_columns(table)))
        drifts.extend(
            Drift(table, key, ours.get(key), theirs.get(key), measures)
            for key in sorted(set(ours) | set(theirs), key=str)
            if ours.get(key) != theirs.get(key)
        )
    return drifts


def _money_columns(table: str) -> list[str]:
    schema = contracts.arrow_schema(table)
    return [
        f.name
        for f in schema
        if pa.types.is_decimal(f.type) or pa.types.is_floating(f.type)
    ]


def _read_warehouse(con: duckdb.DuckDBPyConnection, sql: str) -> Rows:
    relation = con.sql(sql)
    rows = [tuple(row.values()) for row in relation.to_arrow_table().to_pylist()]
    return Rows(list(relation.columns), rows, len(rows))


def _stats(run: Callable[[str], Rows], table: str) -> dict[object, Stats]:
    schema = contracts.arrow_schema(table)
    column = partition_column(table)
    key = f'"{column}"' if column else f"'{_WHOLE}'"
    sums = []
    for name in _money_columns(table):
        if pa.types.is_floating(schema.field(name).type):
            cents = f'CAST(floor("{name}" * 100 + 0.5) AS BIGINT)'
            value = f'CASE WHEN abs("{name}") < {_CENTS_LIMIT} THEN {cents} END'
        else:
            value = f'"{name}"'
        # VARCHAR is text in both dialects: the exact sum, whatever its scale.
        sums.append(f"CAST(sum({value}) AS VARCHAR) AS sum_{len(sums)}")
    select = ", ".join([f"{key} AS part", "count(*) AS n", *sums])
    result = run(f"SELECT {select} FROM {table} GROUP BY 1")
    stats: dict[object, Stats] = {}
    for values in result.rows:
        numbers = tuple(
            decimal.Decimal(v) if v is not None else decimal.Decimal(0)
            for v in values[2:]
        )
        stats[values[0]] = (int(values[1]), *numbers)  # type: ignore[arg-type]
    return stats
