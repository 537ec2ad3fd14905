"""Both staging engines, Polars and DuckDB SQL, on the same raw tables, compared exactly."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from engine import contracts, warehouse
from engine.staging import StagingResult, build_staging
from engine.staging_sql import build_staging_sql
from tests.raw_rows import raw_rows as make_raw_rows

INGESTED = dt.datetime(2025, 2, 1, 6, 0, tzinfo=dt.UTC)
DAY = "2025-01-01"
NAN, INF = float("nan"), float("inf")


def staged_by_sql(con: duckdb.DuckDBPyConnection) -> dict[str, StagingResult]:
    """The SQL engine on the raw tables of `con`, its staging tables read back."""
    counts = build_staging_sql(con)
    assert list(counts) == list(contracts.ENTITIES)
    results = {}
    for entity, count in counts.items():
        results[entity] = StagingResult(
            clean=warehouse.read_table(con, f"staging.{entity}"),
            rejects=warehouse.read_table(con, f"staging.{entity}_rejects"),
            duplicates=count.duplicates,
        )
        assert results[entity].counts() == count, entity
    return results


def assert_engines_agree(con: duckdb.DuckDBPyConnection) -> dict[str, StagingResult]:
    """Both engines on the raw tables of `con`; returns the Polars result."""
    by_polars = build_staging(
        {e: warehouse.read_table(con, f"raw.{e}").lazy() for e in contracts.ENTITIES}
    )
    by_sql = staged_by_sql(con)
    for entity in contracts.ENTITIES:
        expected, got = by_polars[entity], by_sql[entity]
        for part in ("clean", "rejects"):
            assert_frame_equal(
                getattr(got, part),
                getattr(expected, part),
                check_exact=True,
                check_dtypes=True,
                check_row_order=True,
            )
        assert got.duplicates == expected.duplicates, entity
    return by_polars


BASE = {
    "customers": {
        "customer_id": 1,
        "customer_name": "Ada Lovelace",
        "email": "ada@example.com",
        "country": "UK",
        "signup_date": dt.date(2024, 1, 1),
        "customer_segment": "Premium",
    },
    "products": {
        "product_id": 10,
        "product_name": "Desk Lamp",
        "category": "Home",
        "price": 19.99,
        "cost": 7.5,
    },
    "orders": {
        "order_id": 100,
        "customer_id": 1,
        "order_date": dt.date(2024, 2, 1),
        "order_status": "completed",
        "total_amount": 19.99,
    },
    "order_items": {
        "order_item_id": 1000,
        "order_id": 100,
        "product_id": 10,
        "quantity": 1,
        "unit_price": 19.99,
        "discount_percent": 10,
    },
}
# Customer 1, product 10 and order 100 are staged; customer 2 (bad email), product 11
# (negative price) and order 101 (of customer 2) are rejected.
PARENTS = {
    "customers": [{"customer_id": 1}, {"customer_id": 2, "email": "not an email"}],
    "products": [{"product_id": 10}, {"product_id": 11, "price": -1.0}],
    "orders": [{"order_id": 100}, {"order_id": 101, "customer_id": 2}],
    "order_items": [],
}


def raw_rows(entity: str, rows: list[dict]) -> pl.DataFrame:
    return make_raw_rows(entity, rows, base=BASE, day=DAY, ingested=INGESTED)


def run_both(*, parents: bool = True, **rows: list[dict]) -> dict[str, StagingResult]:
    """Both engines on PARENTS (unless `parents=False`) plus `rows` per entity."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        warehouse.setup_warehouse(con)
        frames = {
            f"raw.{entity}": raw_rows(
                entity, (PARENTS[entity] if parents else []) + rows.get(entity, [])
            )
            for entity in contracts.ENTITIES
        }
        with warehouse.transaction(con):
            warehouse.replace_tables(con, frames)
        return assert_engines_agree(con)
    finally:
        con.close()


def clean_value(result: StagingResult, key: int, column: str) -> object:
    entity_key = result.clean.columns[0]
    return result.clean.filter(pl.col(entity_key) == key)[column].item()
