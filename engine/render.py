"""Plain-text tables, CSV and JSON for command output (stdout), with no dependencies."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Sequence

Format = Literal["table", "csv", "json"]


def render(
    columns: Sequence[str], rows: Sequence[Sequence[object]], fmt: Format = "table"
) -> str:
    """Render rows in the requested format; numbers right-aligned in tables."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_csv_cell(v) for v in row] for row in rows])
        return buffer.getvalue().rstrip("\n")
    if fmt == "json":
        return json.dumps(
            [dict(zip(columns, row, strict=True)) for row in rows],
            default=_json_default,
            indent=2,
        )
    return _table(columns, rows)


def _table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    grouped = [not _is_label(c) for c in columns]
    cells = [
        [_cell(v, grouped=g) for v, g in zip(row, grouped, strict=True)] for row in rows
    ]
    numeric = [
        bool(rows)
        and all(
            (
                isinstance(row[i], int | float | decimal.Decimal)
                and not isinstance(row[i], bool)
            )
            or row[i] is None
            for row in rows
        )
        for i in range(len(columns))
    ]
    widths = [
        max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out.extend(line(row) for row in cells)
    return "\n".join(out)


# Numbers that name something rather than count it: no thousands separators.
_CALENDAR = frozenset({"year", "month", "day", "quarter", "week"})


def _is_label(column: str) -> bool:
    """An id or a calendar part (2025, not 2,025)."""
    name = column.lower()
    return name == "id" or name.endswith("_id") or name in _CALENDAR


def _cell(value: object, *, grouped: bool = True) -> str:
    """Counts and money alike get thousands separators; money keeps its scale."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | decimal.Decimal) and grouped:
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}" if grouped else str(value)
    return str(value)


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()  # as in the table and in JSON
    return value


def _json_default(value: object) -> object:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)
