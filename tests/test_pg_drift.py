"""Drift between the warehouse and PostgreSQL is found and repaired; a failed publish
says what reached where; values PostgreSQL cannot store never block a run."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading
import time

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine import contracts
from engine.cli import cli
from engine.generate import generate_dataset
from tests.pg_server import run_sql
from tests.test_publish import assert_same, duck_contents, pg_contents

pytestmark = pytest.mark.postgres


def etl(runner, *args):
    return runner.invoke(cli, list(args))


@pytest.fixture
def month(tmp_path):
    """Twenty generated days (the rest of a month comes later) in a copy of their own."""
    root = tmp_path / "data"
    generate_dataset(
        root, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 20), scale=0.3, seed=7
    )
    return root


# -- drift: etl verify and etl publish --repair (issue 9 item 5) -------------------------


def test_verify_names_drift_made_by_hand_and_repair_fixes_exactly_it(
    runner, built_warehouse, pg_url
):
    where = ["--warehouse", str(built_warehouse), "--pg-url", pg_url]
    assert etl(runner, "publish", "-q", *where).exit_code == 0
    clean = etl(runner, "verify", *where)
    assert clean.exit_code == 0, clean.output
    tables = sum(len(contracts.tables(layer)) for layer in contracts.LAYERS)
    assert (
        clean.stdout == f"{pg_url} matches {built_warehouse}: {tables} tables checked\n"
    )
    run_sql(
        pg_url,
        # A row added, a row deleted, a price changed, a prod total changed.
        "INSERT INTO raw.orders SELECT order_id, customer_id, order_date, order_status, "
        "total_amount, _source_file, _source_row + 100000, _partition_date, _ingested_at "
        "FROM raw.orders WHERE _partition_date = '2025-01-05' LIMIT 1",
        "DELETE FROM raw.order_items WHERE ctid IN (SELECT ctid FROM raw.order_items "
        "WHERE _partition_date = '2025-01-07' LIMIT 1)",
        "UPDATE raw.products SET price = price + 1 WHERE _partition_date = '2025-01-09' "
        "AND product_id = (SELECT min(product_id) FROM raw.products WHERE _partition_date = '2025-01-09')",
        "UPDATE prod.daily_sales SET total_revenue = total_revenue + 0.01 "
        "WHERE order_date = '2025-01-10'",
    )
    drift = etl(runner, "verify", *where)
    assert drift.exit_code == 1
    lines = drift.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "raw.order_items 2025-01-07",
        "raw.orders 2025-01-05",
        "raw.products 2025-01-09",
        "prod.daily_sales 2025-01-10",
    ]
    assert lines[1].startswith("raw.orders 2025-01-05: rows ")
    assert "sum(price) " in lines[2]
    assert "sum(total_revenue) " in lines[3]
    assert drift.stderr == (
        f"Error: {pg_url} differs from {built_warehouse} in 4 partitions of 4 tables "
        "(raw.order_items, raw.orders, raw.products, prod.daily_sales); "
        f"re-send them with: etl publish --repair --pg-url {pg_url}\n"
    )
    repaired = etl(runner, "publish", *where, "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert etl(runner, "verify", *where).exit_code == 0
    assert_same(duck_contents(built_warehouse), pg_contents(pg_url))


def test_a_deleted_ledger_row_never_blocks_later_runs(runner, month, tmp_path, pg_url):
    where = ["--warehouse", str(tmp_path / "w.duckdb"), "--pg-url", pg_url]
    run = ["run", "-q", "--data-dir", str(month), *where]
    assert etl(runner, *run).exit_code == 0
    run_sql(
        pg_url,
        "DELETE FROM meta.ingested_files WHERE table_name = 'orders' "
        "AND source_file = 'orders/2025-01-05/data.parquet'",
    )
    generate_dataset(
        month, start=dt.date(2025, 1, 21), end=dt.date(2025, 1, 22), scale=0.3, seed=7
    )
    again = etl(runner, *run)
    assert again.exit_code == 0, again.output
    assert etl(runner, "verify", *where).exit_code == 0
    assert_same(duck_contents(tmp_path / "w.duckdb"), pg_contents(pg_url))


def test_full_refresh_repairs_rows_added_by_hand(runner, month, tmp_path, pg_url):
    where = ["--warehouse", str(tmp_path / "w.duckdb"), "--pg-url", pg_url]
    run = ["run", "-q", "--data-dir", str(month), *where]
    assert etl(runner, *run).exit_code == 0
    run_sql(
        pg_url,
        "INSERT INTO raw.orders SELECT order_id, customer_id, order_date, order_status, "
        "total_amount, 'orders/2025-01-03/junk.parquet', _source_row, _partition_date, "
        "_ingested_at FROM raw.orders WHERE _partition_date = '2025-01-03'",
    )
    assert etl(runner, "verify", *where).exit_code == 1
    refreshed = etl(runner, *run, "--full-refresh")
    assert refreshed.exit_code == 0, refreshed.output
    assert etl(runner, "verify", *where).exit_code == 0
    assert_same(duck_contents(tmp_path / "w.duckdb"), pg_contents(pg_url))


# -- a failed publish (issue 9 item 3) --------------------------------------------------


def test_a_copy_killed_mid_load_is_reported_truthfully_and_publish_catches_up(
    runner, month, tmp_path, pg_url
):
    warehouse = tmp_path / "w.duckdb"
    where = ["--warehouse", str(warehouse), "--pg-url", pg_url]
    run = ["run", "-q", "--data-dir", str(month), *where]
    assert etl(runner, *run).exit_code == 0
    generate_dataset(
        month, start=dt.date(2025, 1, 21), end=dt.date(2025, 1, 31), scale=0.3, seed=7
    )
    # The first new order row makes its COPY backend sleep, so it can be terminated mid-load.
    run_sql(
        pg_url,
        "CREATE FUNCTION public.stall() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_sleep(60); RETURN NEW; END $$",
        "CREATE TRIGGER stall BEFORE INSERT ON raw.orders FOR EACH ROW "
        "EXECUTE FUNCTION public.stall()",
    )
    database = pg_url.rsplit("/", 1)[1]
    terminated: list[int] = []

    def terminate() -> None:
        deadline = time.monotonic() + 120
        while not terminated and time.monotonic() < deadline:
            terminated.extend(
                pid
                for (pid,) in run_sql(
                    pg_url,
                    "SELECT pid FROM pg_stat_activity WHERE datname = "
                    f"'{database}' AND wait_event = 'PgSleep'",
                )
            )
            time.sleep(0.05)
        for pid in terminated:
            run_sql(pg_url, f"SELECT pg_terminate_backend({pid})")

    killer = threading.Thread(target=terminate)
    killer.start()
    try:
        failed = etl(runner, *run)
    finally:
        killer.join()
    run_sql(pg_url, "DROP TRIGGER stall ON raw.orders")
    assert terminated
    assert failed.exit_code == 1
    message = failed.stderr.strip()
    assert "\n" not in message
    assert message.startswith(
        f"Error: lost the connection to PostgreSQL at {pg_url} while trying to load rows: "
        "terminating connection due to administrator command; that transaction was rolled back. "
    )
    assert " Warehouse: raw, staging, prod committed (run " in message
    assert message.endswith(
        "PostgreSQL: raw partly (customers, order_items, products committed; orders not updated), "
        f"staging not updated, prod not updated; catch up with: etl publish --pg-url {pg_url}"
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.sql("SELECT max(order_date) FROM prod.daily_sales").fetchall() == [
            (dt.date(2025, 1, 31),)
        ]
    caught_up = etl(runner, "publish", "-q", *where)
    assert caught_up.exit_code == 0, caught_up.output
    assert etl(runner, "verify", *where).exit_code == 0
    assert_same(duck_contents(warehouse), pg_contents(pg_url))


# -- a NUL byte in a source string (issue 9 item 3) ---------------------------------------


def test_a_nul_byte_never_blocks_a_run_and_is_named(
    runner, small_dir, tmp_path, pg_url, caplog
):
    path = small_dir / "customers" / "2025-01-02" / "data.parquet"
    table = pq.read_table(path)
    names = table["customer_name"].to_pylist()
    names[0] = "Ann\x00Lee"
    index = table.schema.get_field_index("customer_name")
    pq.write_table(
        table.set_column(
            index, "customer_name", pa.array(names, table.schema.field(index).type)
        ),
        path,
    )
    warehouse = tmp_path / "w.duckdb"
    where = ["--warehouse", str(warehouse), "--pg-url", pg_url]
    run = ["run", "-q", "--data-dir", str(small_dir), *where]
    with caplog.at_level(logging.WARNING, logger="engine.postgres_load"):
        first = etl(runner, *run)
    assert first.exit_code == 0, first.output
    assert (
        'raw.customers: 1 value(s) of column "customer_name" in '
        "customers/2025-01-02/data.parquet hold a NUL byte, which PostgreSQL cannot store; "
        "sent with U+FFFD in its place (the warehouse keeps the original)"
    ) in caplog.messages
    assert run_sql(
        pg_url,
        "SELECT customer_name FROM raw.customers WHERE customer_name LIKE 'Ann%Lee'",
    ) == [("Ann\ufffdLee",)]
    shutil.copytree(
        small_dir / "orders" / "2025-01-02", small_dir / "orders" / "2025-01-03"
    )
    again = etl(runner, *run)
    assert again.exit_code == 0, again.output
    assert etl(runner, "verify", *where).exit_code == 0
