from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from decimal import Decimal

import duckdb
import polars as pl
import pytest

from engine import contracts, warehouse
from engine.config import Settings
from engine.errors import ContractError
from engine.pipeline import run_pipeline
from tests import oracle


def query(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def expected(generated_dir):
    return oracle.stage(oracle.read_raw(generated_dir))


def test_staging_matches_an_independent_implementation(built_warehouse, expected):
    for entity, want in expected.items():
        assert query(built_warehouse, f"SELECT count(*) FROM staging.{entity}") == [
            (len(want.clean),)
        ], entity
        got = dict(
            query(
                built_warehouse,
                f"SELECT reject_reason, count(*) FROM staging.{entity}_rejects GROUP BY 1",
            )
        )
        assert Counter(got) == want.rejects, entity
        ((dups,),) = query(
            built_warehouse,
            f"SELECT rows_duplicate FROM meta.run_tables WHERE table_name = 'staging.{entity}'",
        )
        assert dups == want.duplicates, entity


def test_generated_dirt_reaches_every_main_reason(expected):
    reasons = set().union(*(e.rejects for e in expected.values()))
    assert {
        "invalid_email",
        "null_customer_name",
        "unknown_status",
        "negative_total_amount",
        "customer_unknown",
        "non_positive_quantity",
        "negative_unit_price",
        "discount_out_of_range",
        "product_unknown",
        "order_rejected",
    } <= reasons
    assert expected["orders"].duplicates > 0
    assert expected["order_items"].duplicates > 0


def test_every_raw_row_is_accounted_for(built_warehouse):
    for entity in contracts.ENTITIES:
        ((raw,),) = query(built_warehouse, f"SELECT count(*) FROM raw.{entity}")
        ((clean,),) = query(built_warehouse, f"SELECT count(*) FROM staging.{entity}")
        ((rejected,),) = query(
            built_warehouse, f"SELECT count(*) FROM staging.{entity}_rejects"
        )
        ((dups,),) = query(
            built_warehouse,
            f"SELECT rows_duplicate FROM meta.run_tables WHERE table_name = 'staging.{entity}'",
        )
        assert raw == clean + rejected + dups, entity


def test_clean_names_and_emails(built_warehouse, expected):
    names = dict(
        query(
            built_warehouse, "SELECT customer_id, customer_name FROM staging.customers"
        )
    )
    assert names == {
        cid: c["customer_name"] for cid, c in expected["customers"].clean.items()
    }
    assert query(
        built_warehouse,
        "SELECT count(*) FROM staging.customers WHERE email <> lower(trim(email))",
    ) == [(0,)]


def test_daily_sales_match_an_independent_implementation(built_warehouse, expected):
    got = query(built_warehouse, "SELECT * FROM prod.daily_sales ORDER BY order_date")
    assert got == oracle.daily_sales(expected)


def test_revenue_agrees_across_prod_tables(built_warehouse, expected):
    exact = oracle.exact_revenue(expected)
    for table, groups in [
        ("daily_sales", "order_date"),
        ("monthly_sales", "year_month"),
        ("daily_category_metrics", "order_date, category"),
        ("daily_product_metrics", "order_date, product_id"),
        ("customer_metrics", "customer_id"),
    ]:
        ((total, n),) = query(
            built_warehouse,
            f"SELECT sum(total_revenue), count(DISTINCT ({groups})) FROM prod.{table}",
        )
        # each group is rounded to cents once, so the rounded total may drift half a cent per group
        assert abs(total - exact) <= Decimal("0.005") * n, table
    monthly = query(built_warehouse, "SELECT total_revenue FROM prod.monthly_sales")
    assert monthly == [
        (oracle.half_up(exact),)
    ]  # the month is one group: exact then rounded once


def test_customer_metrics_cover_every_customer(built_warehouse):
    assert query(
        built_warehouse,
        "SELECT count(*) FROM staging.customers FULL JOIN prod.customer_metrics USING (customer_id) "
        "WHERE staging.customers.customer_id IS NULL OR prod.customer_metrics.customer_id IS NULL",
    ) == [(0,)]
    ((as_of,),) = query(built_warehouse, "SELECT as_of FROM meta.runs")
    assert as_of == dt.date(2025, 1, 31)
    assert query(
        built_warehouse,
        "SELECT count(*) FROM prod.customer_metrics WHERE days_since_last_order <> DATE '2025-01-31' - last_order_date",
    ) == [(0,)]


def _contents(path):
    tables = [
        f"{layer}.{t}" for layer in ("staging", "prod") for t in contracts.tables(layer)
    ]
    return {t: query(path, f"SELECT * FROM {t} ORDER BY ALL") for t in tables}


def test_rerun_is_idempotent_and_ingests_nothing(generated_dir, tmp_path):
    settings = Settings(data_dir=generated_dir, warehouse=tmp_path / "w.duckdb")
    first = run_pipeline(settings)
    before = _contents(settings.warehouse)
    second = run_pipeline(settings)
    assert all(r.rows_ingested == 0 for r in second.raw_files.values())
    assert sum(r.rows_ingested for r in first.raw_files.values()) > 0
    assert _contents(settings.warehouse) == before
    assert (
        query(
            settings.warehouse,
            "SELECT count(*) FROM raw.orders GROUP BY _source_file, _source_row HAVING count(*) > 1",
        )
        == []
    )


def test_incremental_days_equal_a_full_build(tmp_path):
    from engine.generate import generate_dataset

    full_dir, inc_dir = tmp_path / "full", tmp_path / "inc"
    generate_dataset(
        full_dir, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 10), scale=0.2, seed=3
    )
    generate_dataset(
        inc_dir, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 6), scale=0.2, seed=3
    )
    inc = Settings(data_dir=inc_dir, warehouse=tmp_path / "inc.duckdb")
    run_pipeline(inc)
    generate_dataset(
        inc_dir, start=dt.date(2025, 1, 7), end=dt.date(2025, 1, 10), scale=0.2, seed=3
    )
    second = run_pipeline(inc)
    assert {r.files_new for r in second.raw_files.values()} == {4}
    full = Settings(data_dir=full_dir, warehouse=tmp_path / "full.duckdb")
    run_pipeline(full)
    assert _contents(inc.warehouse) == _contents(full.warehouse)


def test_changed_file_replaces_its_partition(generated_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(generated_dir, data)
    settings = Settings(data_dir=data, warehouse=tmp_path / "w.duckdb")
    run_pipeline(settings)
    target = data / "orders" / "2025-01-15" / "data.parquet"
    import pyarrow.parquet as pq

    table = pq.read_table(target)
    pq.write_table(table.slice(0, 10), target)
    summary = run_pipeline(settings)
    assert summary.raw_files["orders"].files_changed == 1
    assert query(
        settings.warehouse,
        "SELECT count(*) FROM raw.orders WHERE _source_file = 'orders/2025-01-15/data.parquet'",
    ) == [(10,)]
    expected = oracle.stage(oracle.read_raw(data))
    assert query(settings.warehouse, "SELECT count(*) FROM staging.orders") == [
        (len(expected["orders"].clean),)
    ]


def test_failed_layer_keeps_previous_tables(generated_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(generated_dir, data)
    settings = Settings(data_dir=data, warehouse=tmp_path / "w.duckdb")
    run_pipeline(settings)
    before = _contents(settings.warehouse)
    (data / "orders" / "2025-01-20" / "data.parquet").write_bytes(b"garbage")
    from engine.errors import SourceError

    with pytest.raises(SourceError):
        run_pipeline(settings)
    assert _contents(settings.warehouse) == before
    assert query(
        settings.warehouse, "SELECT status FROM meta.runs ORDER BY started_at"
    ) == [("succeeded",), ("failed",)]


def test_as_of_override(generated_dir, tmp_path):
    settings = Settings(
        data_dir=generated_dir,
        warehouse=tmp_path / "w.duckdb",
        as_of=dt.date(2025, 3, 1),
    )
    run_pipeline(settings)
    assert query(
        settings.warehouse,
        "SELECT count(*) FROM prod.customer_metrics WHERE days_since_first_order <> DATE '2025-03-01' - first_order_date",
    ) == [(0,)]


def test_duckdb_engine_builds_identical_staging_and_prod(
    generated_dir, built_warehouse, tmp_path
):
    settings = Settings(
        data_dir=generated_dir, warehouse=tmp_path / "w.duckdb", engine="duckdb"
    )
    run_pipeline(settings)
    assert _contents(settings.warehouse) == _contents(built_warehouse)
    sql = "SELECT table_name, rows_in, rows_out, rows_rejected, rows_duplicate FROM meta.run_tables ORDER BY ALL"
    assert query(settings.warehouse, sql) == query(built_warehouse, sql)


def test_republished_tables_keep_comments_and_hold_no_key_index(
    generated_dir, tmp_path
):
    settings = Settings(data_dir=generated_dir, warehouse=tmp_path / "w.duckdb")
    run_pipeline(settings)
    run_pipeline(settings)
    keys = query(
        settings.warehouse,
        "SELECT schema_name, table_name FROM duckdb_constraints() "
        "WHERE constraint_type = 'PRIMARY KEY' ORDER BY ALL",
    )
    assert keys == [
        ("meta", "ingested_files"),
        ("meta", "layers"),
        ("meta", "run_tables"),
        ("meta", "runs"),
    ]
    uncommented = query(
        settings.warehouse,
        "SELECT count(*) FROM duckdb_tables() "
        "WHERE schema_name IN ('staging', 'prod') AND comment IS NULL",
    )
    assert uncommented == [(0,)]


def test_a_duplicate_key_is_refused_and_nothing_is_written(tmp_path):
    con = warehouse.open_warehouse(tmp_path / "w.duckdb")
    schema = contracts.polars_schema("prod.daily_category_metrics")

    def frame(days):
        rows = [
            {
                name: (1 if dtype.is_integer() else None)
                for name, dtype in schema.items()
            }
            | {"order_date": day, "category": "Books", "total_revenue": Decimal("1.00")}
            for day in days
        ]
        return pl.DataFrame(rows, schema=schema)

    first, second = dt.date(2025, 1, 1), dt.date(2025, 1, 2)
    with warehouse.transaction(con):
        warehouse.replace_tables(con, {"prod.daily_category_metrics": frame([first])})
    with (
        pytest.raises(
            ContractError,
            match=r"^prod.daily_category_metrics: duplicate primary key \(order_date, category\)=\(2025-01-02, Books\); nothing was written",
        ),
        warehouse.transaction(con),
    ):
        warehouse.replace_tables(
            con, {"prod.daily_category_metrics": frame([second, first, second])}
        )
    assert warehouse.count_rows(con, "prod.daily_category_metrics") == 1
