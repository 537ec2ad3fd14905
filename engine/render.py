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
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = [
        bool(rows)
        and all(
            isinstance(row[i], int | float | decimal.Decimal) or row[i] is None
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


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _csv_cell(value: object) -> object:
    return "" if value is None else value


def _json_default(value: object) -> object:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)
