from __future__ import annotations

import pyarrow as pa
import pytest

from engine.errors import ContractError, SinkError
from tests.pg_rows import DAY0, Warehouse, contents, make_rows, same
from tests.pg_server import run_sql

pytestmark = pytest.mark.postgres


# -- raw: sync_raw -----------------------------------------------------------------------


def test_sync_raw_loads_new_files(target):
    wh = Warehouse()
    for day in range(3):
        wh.put(day, 5 + day)
    result = target.sync_raw("orders", wh.ledger(), wh.fetch)
    assert (len(result.added), result.changed, result.removed) == (3, (), ())
    assert result.rows_loaded == 18
    assert same(
        contents(target, "raw.orders", "order_id"),
        wh.rows(),
        "raw.orders",
        ["order_id"],
    )
    assert target.ingested_files() == {
        ("orders", s): h for s, (h, _) in wh.files.items()
    }


def test_sync_raw_replaces_exactly_the_changed_file_and_deletes_removed_ones(target):
    wh = Warehouse()
    first, second, third = (wh.put(day, 4) for day in range(3))
    target.sync_raw("orders", wh.ledger(), wh.fetch)
    wh.put(1, 6, version=1)  # second file changed: more rows, other values
    del wh.files[third]
    result = target.sync_raw("orders", wh.ledger(), wh.fetch)
    assert (result.added, result.changed, result.removed) == ((), (second,), (third,))
    assert (result.rows_loaded, result.rows_deleted) == (6, 8)
    assert wh.asked[-1] == [second]
    assert same(
        contents(target, "raw.orders", "order_id"),
        wh.rows(),
        "raw.orders",
        ["order_id"],
    )
    assert set(target.ingested_files()) == {("orders", first), ("orders", second)}
    # Twice the same ledger: no duplicates, nothing fetched, nothing written.
    asked = len(wh.asked)
    again = target.sync_raw("orders", wh.ledger(), wh.fetch)
    assert again.current
    assert len(wh.asked) == asked
    counts = target.query(
        "SELECT count(*) AS n, count(DISTINCT (_source_file, _source_row)) AS d FROM raw.orders"
    )
    assert counts.to_pylist() == [{"n": 10, "d": 10}]


def test_sync_raw_on_a_current_database_sends_nothing(target):
    wh = Warehouse()
    wh.put(0, 3)
    target.sync_raw("orders", wh.ledger(), wh.fetch)
    before = target.query(
        "SELECT xmin::text AS x FROM raw.orders UNION ALL SELECT xmin::text FROM meta.ingested_files"
    )

    def no_fetch(sources):
        raise AssertionError(sources)

    assert target.sync_raw("raw.orders", wh.ledger(), no_fetch).current
    after = target.query(
        "SELECT xmin::text AS x FROM raw.orders UNION ALL SELECT xmin::text FROM meta.ingested_files"
    )
    assert before.equals(after)


def test_sync_raw_tables_runs_tables_in_parallel(target):
    wh = Warehouse()
    wh.put(0, 3)
    items = make_rows(
        "raw.order_items",
        4,
        _source_file="order_items/2025-01-01/data.parquet",
        _partition_date=DAY0,
    )
    ledger = (
        wh.ledger()
        .set_column(0, "table_name", pa.array(["order_items"]))
        .set_column(1, "source_file", pa.array(["order_items/2025-01-01/data.parquet"]))
        .set_column(5, "row_count", pa.array([4], pa.int64()))
    )
    results = target.sync_raw_tables(
        {
            "orders": (wh.ledger(), wh.fetch),
            "order_items": (ledger, lambda sources: items.to_reader()),
        }
    )
    assert {k: r.rows_loaded for k, r in results.items()} == {
        "orders": 3,
        "order_items": 4,
    }


def test_sync_raw_rolls_back_when_the_ledger_count_disagrees(target):
    wh = Warehouse()
    wh.put(0, 3)
    target.sync_raw("orders", wh.ledger(), wh.fetch)
    before = contents(target, "raw.orders", "order_id")
    wh.put(0, 5, version=1)
    ledger = wh.ledger().set_column(5, "row_count", pa.array([4], pa.int64()))
    with pytest.raises(
        SinkError,
        match=r"orders/2025-01-01/data.parquet: the warehouse ledger says 4 rows but fetch returned 5; rolled back",
    ):
        target.sync_raw("orders", ledger, wh.fetch)
    assert contents(target, "raw.orders", "order_id").equals(before)
    assert set(target.ingested_files().values()) == {"hash-0"}


def test_sync_raw_rolls_back_when_postgres_stores_other_rows(target, pg_url):
    # A trigger that silently drops a row stands in for a driver that loses data.
    run_sql(
        pg_url,
        "CREATE FUNCTION public.drop_one() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN IF NEW._source_row = 1 THEN RETURN NULL; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER drop_one BEFORE INSERT ON raw.orders FOR EACH ROW EXECUTE FUNCTION public.drop_one()",
    )
    wh = Warehouse()
    wh.put(0, 3)
    with pytest.raises(SinkError) as caught:
        target.sync_raw("orders", wh.ledger(), wh.fetch)
    assert (
        str(caught.value)
        == 'raw.orders: 3 rows were sent but PostgreSQL holds 2 on those partitions; rolled back: run again, or if rows were changed there by hand, "etl verify" shows where and "etl publish --repair" re-sends them'
    )
    assert target.query("SELECT count(*) AS n FROM raw.orders")["n"].to_pylist() == [0]
    assert target.ingested_files() == {}


def test_sync_raw_rejects_a_ledger_of_another_table(target):
    wh = Warehouse()
    wh.put(0, 3)
    with pytest.raises(
        ContractError,
        match=r'table_name \[\'orders\'\]; pass only rows with table_name "customers"',
    ):
        target.sync_raw("customers", wh.ledger(), wh.fetch)
