from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import queries
from engine import contracts, warehouse
from engine.prod import build_prod, build_prod_sql

AS_OF = dt.date(2024, 4, 30)
PARAMS = {"as_of": AS_OF}
STATUSES = ["completed", "pending", "cancelled", "returned"]
CATEGORIES = ["office", "furniture", "garden", "toys"]
# Hundredths of a percent: round ones, the 12.50-style halves and awkward thirds.
DISCOUNTS = [0, 500, 1000, 1250, 1500, 2500, 3333, 5000, 6667, 9999]


def _cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def _random_staging(seed: int = 20240301) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    n_customers, n_products, n_orders = 40, 15, 300
    first_day = dt.date(2024, 1, 20)
    lineage = ("staging.parquet", AS_OF)

    customers = [
        (
            cid,
            f"Customer {cid}",
            f"c{cid}@example.com",
            "US",
            dt.date(2023, 1, 1),
            ["retail", "corporate", "vip"][cid % 3],
            *lineage,
        )
        for cid in range(1, n_customers + 1)
    ]
    # Prices in cents; every third ends in 5 cents so discounts hit half-cent ties,
    # and one is huge so sums run to many digits.
    prices = (
        rng.integers(1, 20_000, n_products) * 10 + (np.arange(n_products) % 3 == 0) * 5
    )
    prices[0] = 1_234_567_891
    products = [
        (
            pid,
            f"Product {pid}",
            CATEGORIES[int(rng.integers(0, len(CATEGORIES)))],
            _cents(int(prices[pid - 1])),
            _cents(int(prices[pid - 1]) // 2),
            *lineage,
        )
        for pid in range(1, n_products + 1)
    ]
    orders = [
        (
            oid,
            int(rng.integers(1, n_customers + 1)),
            first_day + dt.timedelta(days=int(rng.integers(0, 90))),
            STATUSES[int(rng.choice(4, p=[0.6, 0.15, 0.15, 0.1]))],
            Decimal("0.00"),
            *lineage,
        )
        for oid in range(1, n_orders + 1)
    ]
    items = []
    for oid in range(1, n_orders + 1):
        # 0 items for some orders: completed orders without items must count nowhere.
        for pid in rng.choice(n_products, int(rng.integers(0, 5)), replace=False) + 1:
            discount = (
                DISCOUNTS[int(rng.integers(0, len(DISCOUNTS)))]
                if rng.random() < 0.8
                else int(rng.integers(0, 10_000))
            )
            items.append(
                (
                    len(items) + 1,
                    oid,
                    int(pid),
                    int(rng.integers(1, 30)) if pid != 1 else 1,
                    _cents(int(prices[pid - 1])),
                    _cents(discount),
                    *lineage,
                )
            )
    rows = {
        "customers": customers,
        "products": products,
        "orders": orders,
        "order_items": items,
    }
    return {
        table: pl.DataFrame(
            data,
            schema=contracts.polars_schema(f"staging.{table}"),
            orient="row",
        )
        for table, data in rows.items()
    }


@pytest.fixture(scope="module")
def staging() -> dict[str, pl.DataFrame]:
    return _random_staging()


@pytest.fixture(scope="module")
def con(staging):
    con = duckdb.connect()
    for path in contracts.ddl_files():
        con.execute(path.read_text())
    for table, frame in staging.items():
        con.register("frame", frame.to_arrow())
        con.execute(f"INSERT INTO staging.{table} BY NAME SELECT * FROM frame")
        con.unregister("frame")
    yield con
    con.close()


def test_staging_data_is_meaningful(staging):
    orders, items = staging["orders"], staging["order_items"]
    completed = orders.filter(pl.col("order_status") == "completed")
    assert completed.height > 100
    assert completed.join(items, on="order_id", how="anti").height > 0
    assert items.height > 300
    # some line amounts are exact half cents
    micros = items.select(
        (
            pl.col("quantity").cast(pl.Int128)
            * pl.col("unit_price").cast(pl.Decimal(38, 2)).to_physical()
            * (
                10_000
                - pl.col("discount_percent").cast(pl.Decimal(38, 2)).to_physical()
            )
        )
        % 10_000
    ).to_series()
    assert (micros == 5_000).any()


@pytest.mark.parametrize("query", queries.discover(), ids=lambda query: query.name)
def test_polars_and_sql_variants_agree(query, staging, con):
    params = {name: PARAMS[name] for name in query.params}
    tables = {name: staging[name].lazy() for name in query.inputs}
    polars_out = query.build(**tables, **params).collect()
    sql_out = con.sql(query.read_sql(), params=params or None).pl()

    contract = contracts.polars_schema(query.table)
    assert polars_out.columns == list(contract)
    assert sql_out.columns == list(contract)
    # The SQL twin casts itself, so it could feed INSERT INTO prod.<name> unchanged.
    assert sql_out.schema == contract
    assert not any(dtype.is_float() for dtype in polars_out.dtypes)
    assert polars_out.height > 0

    assert_frame_equal(
        contracts.conform(polars_out.lazy(), query.table).collect(),
        sql_out,
        check_exact=True,
        check_dtypes=True,
        check_row_order=True,
    )


def test_engine_runners_agree(staging, con):
    by_polars = build_prod({t: f.lazy() for t, f in staging.items()}, as_of=AS_OF)
    rows = build_prod_sql(con, as_of=AS_OF)
    assert by_polars.keys() == set(contracts.tables("prod"))
    assert rows == {f"prod.{name}": frame.height for name, frame in by_polars.items()}
    for name, frame in by_polars.items():
        by_sql = warehouse.read_table(con, f"prod.{name}")
        assert_frame_equal(frame, by_sql, check_exact=True, check_row_order=True)
