from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine import raw, warehouse
from engine.errors import ContractError, SourceError
from engine.sources import SourceFile
from tests.parquet_files import sample_rows, write_day, write_partition

T0 = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
T1 = dt.datetime(2026, 1, 3, 3, 4, 5, tzinfo=dt.UTC)


def ingest(con, data_dir, run_id="r1", at=T0, full_refresh=False):
    with warehouse.transaction(con):
        return raw.ingest_raw(
            con, data_dir, run_id=run_id, ingested_at=at, full_refresh=full_refresh
        )


@pytest.fixture
def con(warehouse_path):
    con = warehouse.open_warehouse(warehouse_path)
    yield con
    con.close()


def test_rows_keep_source_values_and_gain_lineage(con, small_dir):
    results = ingest(con, small_dir)
    assert {t: r.rows_ingested for t, r in results.items()} == dict.fromkeys(
        ["customers", "products", "orders", "order_items"], 4
    )
    rows = con.sql(
        "SELECT order_id, total_amount, _source_file, _source_row, _partition_date, _ingested_at "
        "FROM raw.orders ORDER BY order_id"
    ).fetchall()
    assert rows[0] == (
        1,
        19.99,
        "orders/2025-01-01/data.parquet",
        0,
        dt.date(2025, 1, 1),
        T0,
    )
    assert rows[3][2:5] == ("orders/2025-01-02/data.parquet", 1, dt.date(2025, 1, 2))
    ledger = con.sql(
        "SELECT source_file, partition_date, row_count, run_id, length(content_hash), size_bytes > 0 "
        "FROM meta.ingested_files WHERE table_name = 'orders' ORDER BY 1"
    ).fetchall()
    assert ledger == [
        ("orders/2025-01-01/data.parquet", dt.date(2025, 1, 1), 2, "r1", 64, True),
        ("orders/2025-01-02/data.parquet", dt.date(2025, 1, 2), 2, "r1", 64, True),
    ]


def test_rows_are_stored_in_lineage_order(con, tmp_path):
    # Publishing streams a whole raw table without a sort, relying on this order.
    for offset in range(12):
        day = dt.date(2025, 3, 1) + dt.timedelta(days=offset)
        write_day(tmp_path, day, n=3000, start=offset * 3000)
        write_partition(
            tmp_path,
            "orders",
            day,
            sample_rows("orders", day, n=5, start=10**6 + offset * 5),
            name="extra.parquet",
        )
    ingest(con, tmp_path)
    stored = con.sql(
        "SELECT _partition_date, _source_file, _source_row FROM raw.orders"
    ).fetchall()
    assert len(stored) == 12 * 3005
    assert stored == sorted(stored)


def test_rerun_ingests_nothing_and_new_day_only_new_files(con, small_dir):
    ingest(con, small_dir)
    again = ingest(con, small_dir, run_id="r2", at=T1)
    assert all(r.rows_ingested == 0 and r.files_unchanged == 2 for r in again.values())
    write_day(small_dir, dt.date(2025, 1, 3), n=3, start=5)
    third = ingest(con, small_dir, run_id="r3", at=T1)
    assert all(
        r.rows_ingested == 3 and r.files_new == 1 and r.rows_total == 7
        for r in third.values()
    )
    assert con.sql(
        "SELECT count(*), count(DISTINCT order_id) FROM raw.orders"
    ).fetchall() == [(7, 7)]
    assert con.sql("SELECT count(*) FROM meta.ingested_files").fetchall() == [(12,)]


def test_changed_file_replaces_exactly_its_rows(con, small_dir):
    ingest(con, small_dir)
    day = dt.date(2025, 1, 1)
    write_partition(
        small_dir, "orders", day, sample_rows("orders", day, n=5, start=100)
    )
    result = ingest(con, small_dir, run_id="r2", at=T1)["orders"]
    assert (result.files_changed, result.files_new, result.rows_ingested) == (1, 0, 5)
    by_file = con.sql(
        "SELECT _source_file, count(*), min(order_id), any_value(_ingested_at) FROM raw.orders GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert by_file == [
        ("orders/2025-01-01/data.parquet", 5, 100, T1),
        ("orders/2025-01-02/data.parquet", 2, 3, T0),
    ]
    assert con.sql(
        "SELECT row_count, run_id FROM meta.ingested_files WHERE source_file = 'orders/2025-01-01/data.parquet'"
    ).fetchall() == [(5, "r2")]


def test_full_refresh_rebuilds_from_files(con, small_dir):
    ingest(con, small_dir)
    result = ingest(con, small_dir, run_id="r2", at=T1, full_refresh=True)
    assert all(r.rows_ingested == 4 and r.rows_total == 4 for r in result.values())
    assert con.sql("SELECT DISTINCT _ingested_at FROM raw.customers").fetchall() == [
        (T1,)
    ]
    assert con.sql("SELECT DISTINCT run_id FROM meta.ingested_files").fetchall() == [
        ("r2",)
    ]


def test_missing_file_keeps_rows_and_is_reported(con, small_dir):
    ingest(con, small_dir)
    (small_dir / "orders" / "2025-01-02" / "data.parquet").unlink()
    (small_dir / "orders" / "2025-01-02").rmdir()
    result = ingest(con, small_dir, run_id="r2")["orders"]
    assert result.files_missing == 1
    assert result.rows_total == 4


def test_hive_style_layout(con, tmp_path):
    day = dt.date(2025, 2, 1)
    for table in ["customers", "products", "orders", "order_items"]:
        write_partition(
            tmp_path,
            table,
            day,
            sample_rows(table, day),
            folder="date=2025-02-01",
            name="part-0.parquet",
        )
    ingest(con, tmp_path)
    assert con.sql(
        "SELECT DISTINCT _source_file, _partition_date FROM raw.products"
    ).fetchall() == [("products/date=2025-02-01/part-0.parquet", day)]


def _snapshot(con):
    return {
        table: con.sql(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        for table in ["raw.orders", "raw.customers", "meta.ingested_files"]
    }


def test_bad_file_leaves_warehouse_as_it_was(con, small_dir):
    ingest(con, small_dir)
    before = _snapshot(con)
    write_day(small_dir, dt.date(2025, 1, 3), n=2, start=9)
    bad = small_dir / "orders" / "2025-01-03" / "data.parquet"
    bad.write_bytes(bad.read_bytes()[:40])
    with pytest.raises(
        SourceError,
        match=r"^orders/2025-01-03/data.parquet: not a readable Parquet file",
    ):
        ingest(con, small_dir, run_id="r2")
    assert _snapshot(con) == before


def test_retyped_column_leaves_warehouse_as_it_was(con, small_dir):
    ingest(con, small_dir)
    before = _snapshot(con)
    day = dt.date(2025, 1, 2)
    rows = [
        dict(r, customer_id=str(r["customer_id"]))
        for r in sample_rows("customers", day)
    ]
    import pyarrow as pa

    from tests.parquet_files import SOURCE_SCHEMAS

    schema = pa.schema(
        [
            f.with_type(pa.string()) if f.name == "customer_id" else f
            for f in SOURCE_SCHEMAS["customers"]
        ]
    )
    write_partition(small_dir, "customers", day, rows, schema=schema)
    with pytest.raises(
        ContractError,
        match=r'customers/2025-01-02/data.parquet: column "customer_id" is string',
    ):
        ingest(con, small_dir, run_id="r2")
    assert _snapshot(con) == before


# --- the plan: which files are new, changed, unchanged or gone (no I/O) -----------


def source_file(table, day):
    relative = f"{table}/{day}/data.parquet"
    return SourceFile(
        table, Path("/data") / relative, relative, dt.date.fromisoformat(day), 10
    )


def test_plan_sorts_files_into_new_changed_unchanged_and_missing():
    same, edited, fresh = (
        source_file("orders", d) for d in ("2025-01-01", "2025-01-02", "2025-01-03")
    )
    hashes = {same.relative: "a", edited.relative: "b2", fresh.relative: "c"}
    ledger = {
        ("orders", same.relative): "a",
        ("orders", edited.relative): "b1",
        ("orders", "orders/2024-12-31/data.parquet"): "z",
        ("customers", fresh.relative): "c",  # another table's ledger is not ours
    }
    plan = raw.plan_ingest(
        {"orders": [same, edited, fresh]}, hashes, ledger, full_refresh=False
    )["orders"]
    assert plan.todo == (edited, fresh)
    assert plan.replace == (edited.relative,)
    assert (plan.new, plan.on_disk, plan.missing) == (1, 3, 1)
    assert not plan.full_refresh


def test_full_refresh_plans_every_file_as_new():
    files = [source_file("orders", d) for d in ("2025-01-01", "2025-01-02")]
    hashes = {file.relative: "a" for file in files}
    ledger = {("orders", file.relative): "a" for file in files}
    ledger["orders", "orders/2024-12-31/data.parquet"] = "z"
    plan = raw.plan_ingest({"orders": files}, hashes, ledger, full_refresh=True)[
        "orders"
    ]
    assert plan.todo == tuple(files)
    assert (plan.replace, plan.new, plan.missing) == ((), 2, 0)
    assert plan.full_refresh


def test_nothing_to_do_when_the_ledger_matches():
    files = [source_file("products", "2025-01-01")]
    hashes = {files[0].relative: "a"}
    plan = raw.plan_ingest(
        {"products": files}, hashes, {("products", files[0].relative): "a"}
    )["products"]
    assert (plan.todo, plan.replace, plan.new, plan.missing) == ((), (), 0, 0)
