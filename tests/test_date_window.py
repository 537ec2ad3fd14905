from __future__ import annotations

import datetime as dt
from collections import Counter

import duckdb
import pytest

from engine.cli import cli
from engine.config import Settings
from engine.errors import SourceError
from engine.pipeline import run_pipeline
from tests import oracle
from tests.parquet_files import sample_rows, write_day, write_partition

IMPOSSIBLE = [dt.date(1, 1, 1), dt.date(1850, 1, 1), dt.date(9999, 12, 31)]


@pytest.fixture
def impossible_dates_dir(small_dir):
    """small_dir plus a day whose completed orders (with lines) and signups have impossible dates."""
    day = dt.date(2025, 1, 3)
    customers = sample_rows("customers", day, n=len(IMPOSSIBLE) + 1, start=50)
    orders = sample_rows("orders", day, n=len(IMPOSSIBLE) + 2, start=50)
    for customer, order, date in zip(customers, orders, IMPOSSIBLE, strict=False):
        customer["signup_date"] = date
        order["order_date"] = date
    customers[-1]["signup_date"] = day + dt.timedelta(days=1)  # within tolerance
    orders[-2]["order_date"] = day + dt.timedelta(days=2)  # past it
    orders[-1]["order_date"] = day - dt.timedelta(days=300)  # late: fine
    write_partition(small_dir, "customers", day, customers)
    write_partition(small_dir, "orders", day, orders)
    write_partition(small_dir, "products", day, sample_rows("products", day))
    items = sample_rows("order_items", day, n=len(orders), start=50)
    write_partition(small_dir, "order_items", day, items)
    return small_dir


def _rows(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql).fetchall()


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_impossible_dates_are_rejected_in_both_engines_and_by_the_oracle(
    impossible_dates_dir, tmp_path, engine
):
    path = tmp_path / "w.duckdb"
    run_pipeline(Settings(data_dir=impossible_dates_dir, warehouse=path, engine=engine))
    expected = oracle.stage(oracle.read_raw(impossible_dates_dir))
    assert expected["orders"].rejects["order_date_out_of_range"] == 4
    assert expected["customers"].rejects["signup_date_out_of_range"] == 3
    for entity, want in expected.items():
        got = _rows(
            path,
            f"SELECT reject_reason, count(*) FROM staging.{entity}_rejects GROUP BY 1",
        )
        assert Counter(dict(got)) == want.rejects, entity
    rejected = _rows(
        path,
        "SELECT order_date FROM staging.orders_rejects "
        "WHERE reject_reason = 'order_date_out_of_range' ORDER BY 1",
    )
    assert [d for (d,) in rejected] == [
        *IMPOSSIBLE[:2],
        dt.date(2025, 1, 5),
        IMPOSSIBLE[2],
    ]
    # Nothing impossible reaches prod: no negative ages, no sales in year 1 or 9999.
    assert _rows(
        path,
        "SELECT min(days_since_first_order), min(days_since_last_order) "
        "FROM prod.customer_metrics",
    ) == [(300, 1)]
    assert _rows(
        path, "SELECT min(order_date), max(order_date) FROM prod.daily_sales"
    ) == [(dt.date(2024, 3, 9), dt.date(2025, 1, 2))]


@pytest.mark.parametrize("folder", ["9999-12-31", "date=1999-12-31", "2100-01-01"])
def test_a_partition_folder_outside_the_window_is_refused(runner, tmp_path, folder):
    data = tmp_path / "data"
    write_day(data, dt.date(2025, 1, 1))
    write_partition(
        data,
        "orders",
        dt.date(2025, 1, 1),
        sample_rows("orders", dt.date(2025, 1, 1), start=9),
        folder=folder,
    )
    warehouse = tmp_path / "w.duckdb"
    result = runner.invoke(
        cli, ["run", "--data-dir", str(data), "--warehouse", str(warehouse), "-q"]
    )
    assert result.exit_code == 1
    day = folder.removeprefix("date=")
    assert result.stderr == (
        f"Error: orders/{folder}: partition date {day} is outside 2000-01-01..2099-12-31; "
        "rename the folder to the day its rows belong to, or remove it\n"
    )
    with pytest.raises(SourceError):
        run_pipeline(Settings(data_dir=data, warehouse=warehouse))


def test_the_window_edges_are_accepted(tmp_path):
    data = tmp_path / "data"
    for day in (dt.date(2000, 1, 1), dt.date(2099, 12, 31)):
        write_day(data, day, n=1, start=day.year)
    summary = run_pipeline(Settings(data_dir=data, warehouse=tmp_path / "w.duckdb"))
    assert summary.as_of == dt.date(2099, 12, 31)
