"""Hand-made partition files with the source column types, for raw-layer tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from engine.generate import SCHEMAS

if TYPE_CHECKING:
    import datetime as dt
    from pathlib import Path

# The generator's Arrow types are the source contract of the classic pipeline.
SOURCE_SCHEMAS = SCHEMAS


def sample_rows(table: str, day: dt.date, n: int = 2, start: int = 1) -> list[dict]:
    """N plausible clean rows of a table for one day, ids from `start`."""
    return [_row(table, day, i) for i in range(start, start + n)]


def _row(table: str, day: dt.date, i: int) -> dict:
    if table == "customers":
        return {
            "customer_id": i,
            "customer_name": f"Ann Lee {i}",
            "email": f"ann{i}@example.com",
            "country": "Norway",
            "signup_date": day,
            "customer_segment": "Basic",
        }
    if table == "products":
        return {
            "product_id": i,
            "product_name": f"Lamp {i}",
            "category": "Home",
            "price": 19.99,
            "cost": 7.5,
        }
    if table == "orders":
        return {
            "order_id": i,
            "customer_id": 1,
            "order_date": day,
            "order_status": "completed",
            "total_amount": 19.99,
        }
    return {
        "order_item_id": i,
        "order_id": i,
        "product_id": 1,
        "quantity": 1,
        "unit_price": 19.99,
        "discount_percent": 0,
    }


def write_partition(
    root: Path,
    table: str,
    day: dt.date,
    rows: list[dict],
    *,
    schema: pa.Schema | None = None,
    folder: str | None = None,
    name: str = "data.parquet",
) -> Path:
    """Write rows as <root>/<table>/<folder or YYYY-MM-DD>/<name>."""
    path = root / table / (folder or day.isoformat()) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.Table.from_pylist(rows, schema=schema or SOURCE_SCHEMAS[table]), path
    )
    return path


def write_day(root: Path, day: dt.date, n: int = 2, start: int = 1) -> None:
    """One clean partition of every table."""
    for table in SOURCE_SCHEMAS:
        write_partition(root, table, day, sample_rows(table, day, n, start))
