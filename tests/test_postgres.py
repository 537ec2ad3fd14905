from __future__ import annotations

import datetime as dt
import decimal
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import adbc_driver_postgresql.dbapi as adbc_pg
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from engine import contracts
from engine.errors import ConfigError, ContractError, QueryError, SinkError
from engine.postgres import PostgresError, PostgresTarget
from tests.pg_server import (
    _binaries,
    free_port,
    run_sql,
    throwaway_cluster,
    with_database,
)

pytestmark = pytest.mark.postgres

D = decimal.Decimal
UTC = dt.UTC
DAY0 = dt.date(2025, 1, 1)
REPO = Path(__file__).resolve().parents[1]


# -- data builders -------------------------------------------------------------------


def make_rows(
    table: str, n: int, *, version: int = 0, start: int = 1, **fixed
) -> pa.Table:
    """n rows with the contract's columns, unique in every column, as DuckDB types them."""
    columns = {}
    ids = list(range(start, start + n))
    for field in contracts.arrow_schema(table):
        kind = field.type
        if field.name in fixed:
            values = [fixed[field.name]] * n
        elif pa.types.is_integer(kind):
            values = ids
        elif pa.types.is_decimal(kind):
            top = 10**kind.precision
            values = [
                D((i * 7919 + version) % top * (-1 if i % 3 == 0 else 1)).scaleb(
                    -kind.scale
                )
                for i in ids
            ]
        elif pa.types.is_floating(kind):
            values = [i * 1.25 + version for i in ids]
        elif pa.types.is_date(kind):
            values = [DAY0 + dt.timedelta(days=i) for i in ids]
        elif pa.types.is_timestamp(kind):
            kind = pa.timestamp("us", tz="Etc/UTC")  # what DuckDB hands back
            values = [
                dt.datetime(2025, 1, 2, tzinfo=UTC) + dt.timedelta(seconds=i)
                for i in ids
            ]
        else:
            values = [f"{field.name}-{i}-v{version}" for i in ids]
        columns[field.name] = pa.array(values, kind)
    return pa.table(columns)


def day_of(source: str) -> dt.date:
    return dt.date.fromisoformat(source.split("/")[1])


class Warehouse:
    """The warehouse side of raw.orders: files, their hashes and their rows."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, pa.Table]] = {}
        self.asked: list[list[str]] = []

    def put(self, day: int, n: int, version: int = 0) -> str:
        source = f"orders/{DAY0 + dt.timedelta(days=day)}/data.parquet"
        rows = make_rows(
            "raw.orders",
            n,
            version=version,
            start=day * 1000,
            _source_file=source,
            _partition_date=day_of(source),
        )
        rows = rows.set_column(6, "_source_row", pa.array(range(n), pa.int64()))
        self.files[source] = (f"hash-{version}", rows)
        return source

    def ledger(self) -> pa.Table:
        sources = sorted(self.files)
        n = len(sources)
        return pa.table(
            {
                "table_name": ["orders"] * n,
                "source_file": sources,
                "partition_date": pa.array([day_of(s) for s in sources], pa.date32()),
                "size_bytes": [100] * n,
                "content_hash": [self.files[s][0] for s in sources],
                "row_count": [self.files[s][1].num_rows for s in sources],
                "run_id": ["run-1"] * n,
                "ingested_at": pa.array(
                    [dt.datetime(2025, 1, 2, tzinfo=UTC)] * n,
                    pa.timestamp("us", tz="Etc/UTC"),
                ),
            }
        )

    def fetch(self, sources) -> pa.RecordBatchReader:
        self.asked.append(list(sources))
        tables = [self.files[s][1] for s in sources]
        return pa.concat_tables(tables).to_reader(max_chunksize=7)

    def rows(self) -> pa.Table:
        return pa.concat_tables(t for _, t in self.files.values())


def contents(target: PostgresTarget, table: str, order: str) -> pa.Table:
    return target.query(f"SELECT * FROM {table} ORDER BY {order}")


def same(stored: pa.Table, expected: pa.Table, table: str, order: list[str]) -> bool:
    """Equal after both are cast to the contract (query() widens numeric to 38 digits)."""
    schema = contracts.arrow_schema(table)
    want = expected.cast(schema).sort_by([(c, "ascending") for c in order])
    got = pa.Table.from_arrays(
        [
            stored[name].cast(field.type)
            for name, field in zip(schema.names, schema, strict=True)
        ],
        schema=schema,
    )
    return got.equals(want)


def leftovers(target: PostgresTarget) -> list[str]:
    found = target.query(
        "SELECT schemaname || '.' || tablename AS t FROM pg_tables "
        "WHERE tablename LIKE '%\\_\\_new' OR tablename LIKE '%\\_\\_old'"
    )
    return found["t"].to_pylist()


def as_user(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


@pytest.fixture
def target(pg_url):
    with PostgresTarget(pg_url) as target:
        target.setup()
        yield target


@pytest.fixture
def role(pg_url):
    """A login role without any rights on the etl schemas; dropped after the test."""
    name = f"etl_role_{uuid.uuid4().hex[:8]}"
    run_sql(pg_url, f"CREATE ROLE {name} LOGIN PASSWORD 'role-pw-123'")
    yield name
    run_sql(pg_url, f"DROP OWNED BY {name}", f"DROP ROLE {name}")


# -- setup -----------------------------------------------------------------------------


def test_setup_is_idempotent_and_comments_every_table(pg_url):
    with PostgresTarget(pg_url) as target:
        target.setup()
        target.setup()
        target.check_setup()
        comments = target.query(
            "SELECT n.nspname || '.' || c.relname AS t, obj_description(c.oid, 'pg_class') AS c "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname IN ('raw', 'staging', 'prod', 'meta') AND c.relkind = 'r'"
        ).to_pylist()
        indexes = set(
            target.query("SELECT indexname FROM pg_indexes")["indexname"].to_pylist()
        )
    wanted = {
        f"{s}.{t}"
        for s in ("raw", "staging", "prod", "meta")
        for t in contracts.tables(s)
    }
    assert {row["t"] for row in comments} == wanted
    assert all(row["c"] for row in comments)
    assert {
        "orders_partition_date_brin",
        "orders_order_date_idx",
        "order_items_order_id_idx",
    } <= indexes


def test_check_setup_says_to_run_setup(pg_url):
    with PostgresTarget(pg_url) as target, pytest.raises(PostgresError) as caught:
        target.check_setup()
    assert caught.value.reason == "not_set_up"
    assert str(caught.value).endswith(f'run "etl setup --pg-url {pg_url}"')
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            "ALTER TABLE staging.orders ALTER COLUMN total_amount TYPE numeric(12,2)",
            'staging.orders: column "total_amount" is numeric(12,2) in PostgreSQL but sql/ says numeric(10,2) (altered by hand?)',
        ),
        (
            "ALTER TABLE staging.orders DROP COLUMN order_status",
            'staging.orders: column "order_status" is missing in PostgreSQL (altered by hand?)',
        ),
        (
            "ALTER TABLE staging.orders ADD COLUMN note text",
            'staging.orders: column "note" is not in sql/ (added by hand?)',
        ),
    ],
)
def test_check_setup_names_a_column_altered_by_hand(target, pg_url, change, message):
    run_sql(pg_url, change)
    with pytest.raises(ContractError) as caught:
        target.check_setup()
    assert str(caught.value).startswith(message)
    assert (caught.value.table, caught.value.column) == (
        "staging.orders",
        message.split('"')[1],
    )
    with pytest.raises(ContractError, match=r"altered|added"):
        target.replace_tables(
            "staging", {"orders": lambda: make_rows("staging.orders", 3).to_reader()}
        )


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


# -- staging and prod: replace_tables ---------------------------------------------------------


def test_replace_tables_swaps_in_exact_contents_with_keys_indexes_comments_and_grants(
    target, pg_url
):
    target.replace_tables(
        "staging", {"orders": lambda: make_rows("staging.orders", 5).to_reader()}
    )
    run_sql(pg_url, "GRANT SELECT ON staging.orders TO PUBLIC")
    new = make_rows("staging.orders", 40, version=1)
    rows = target.replace_tables(
        "staging",
        {
            "orders": lambda: new.to_reader(max_chunksize=16),
            "customers": lambda: make_rows("staging.customers", 7).to_reader(),
        },
    )
    assert rows == {"orders": 40, "customers": 7}
    assert same(
        contents(target, "staging.orders", "order_id"),
        new,
        "staging.orders",
        ["order_id"],
    )
    indexes = target.query(
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'staging' AND tablename = 'orders' ORDER BY 1"
    )["indexname"].to_pylist()
    assert indexes == ["orders_order_date_idx", "orders_pkey"]
    shape = target.query(
        "SELECT obj_description('staging.orders'::regclass, 'pg_class') AS comment, "
        "(SELECT conname FROM pg_constraint WHERE conrelid = 'staging.orders'::regclass AND contype = 'p') AS pk, "
        "has_table_privilege('public', 'staging.orders', 'SELECT') AS public_select"
    ).to_pylist()
    assert shape == [
        {
            "comment": "Clean orders, one row per order_id; total_amount exact NUMERIC.",
            "pk": "orders_pkey",
            "public_select": True,
        }
    ]
    assert leftovers(target) == []
    target.check_setup()


def test_replace_tables_failing_load_keeps_the_whole_previous_layer(target):
    target.replace_tables(
        "staging",
        {
            "orders": lambda: make_rows("staging.orders", 5).to_reader(),
            "customers": lambda: make_rows("staging.customers", 5).to_reader(),
        },
    )
    before = (
        contents(target, "staging.orders", "order_id"),
        contents(target, "staging.customers", "customer_id"),
    )
    good = make_rows("staging.customers", 9, version=1)
    text = pa.array([f"{i}.50" for i in range(1, 21)] + ["abc"] * 20)
    bad = make_rows("staging.orders", 40).set_column(4, "total_amount", text)
    with pytest.raises(ContractError) as caught:
        target.replace_tables(
            "staging",
            {
                "orders": lambda: bad.to_reader(max_chunksize=20),
                "customers": lambda: good.to_reader(),
            },
        )
    assert str(caught.value).startswith(
        'staging.orders: column "total_amount" is string, cannot be sent as decimal128(10, 2)'
    )
    assert caught.value.column == "total_amount"
    after = (
        contents(target, "staging.orders", "order_id"),
        contents(target, "staging.customers", "customer_id"),
    )
    assert after[0].equals(before[0])
    assert after[1].equals(before[1])
    assert leftovers(target) == []


@pytest.mark.parametrize("mode", ["replace", "swap"])
def test_replace_tables_rolls_back_when_a_money_sum_differs(pg_url, mode):
    target = PostgresTarget(pg_url, publish_mode=mode)
    target.setup()
    target.replace_tables(
        "staging", {"orders": lambda: make_rows("staging.orders", 5).to_reader()}
    )
    before = contents(target, "staging.orders", "order_id")
    # A trigger adds a cent to every row COPY writes: the kind of silent NUMERIC
    # change the sum check exists to catch. The swap loads a fresh copy, which an
    # event trigger gives the same row trigger.
    bump = (
        "CREATE FUNCTION public.bump() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN NEW.total_amount := NEW.total_amount + 0.01; RETURN NEW; END $$"
    )
    if mode == "replace":
        run_sql(
            pg_url,
            bump,
            "CREATE TRIGGER bump BEFORE INSERT ON staging.orders FOR EACH ROW EXECUTE FUNCTION public.bump()",
        )
    else:
        run_sql(
            pg_url,
            bump,
            "CREATE FUNCTION public.add_bump() RETURNS event_trigger LANGUAGE plpgsql AS $$ "
            "DECLARE r record; BEGIN FOR r IN SELECT object_identity FROM pg_event_trigger_ddl_commands() "
            "WHERE object_identity = 'staging.orders__new' LOOP EXECUTE format("
            "'CREATE TRIGGER bump BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION public.bump()', "
            "r.object_identity); END LOOP; END $$",
            "CREATE EVENT TRIGGER add_bump ON ddl_command_end WHEN TAG IN ('CREATE TABLE') "
            "EXECUTE FUNCTION public.add_bump()",
        )
    new = make_rows("staging.orders", 3, version=1)
    want = sum(new["total_amount"].to_pylist())
    try:
        with pytest.raises(SinkError) as caught:
            target.replace_tables("staging", {"orders": lambda: new.to_reader()})
    finally:
        if mode == "swap":
            run_sql(pg_url, "DROP EVENT TRIGGER add_bump")
        else:
            run_sql(pg_url, "DROP TRIGGER bump ON staging.orders")
        target.close()
    assert str(caught.value).startswith(
        f'staging.orders: column "total_amount" sums to {want + D("0.03")} in PostgreSQL but {want} was sent'
    )
    with PostgresTarget(pg_url) as again:
        assert contents(again, "staging.orders", "order_id").equals(before)
        assert leftovers(again) == []


def test_replace_tables_drops_leftovers_of_a_killed_run(target, pg_url):
    run_sql(
        pg_url,
        "CREATE TABLE prod.daily_sales__new (x int)",
        "CREATE TABLE prod.monthly_sales__old (x int)",
    )
    target.replace_tables(
        "prod", {"daily_sales": lambda: make_rows("prod.daily_sales", 3).to_reader()}
    )
    assert leftovers(target) == []


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (
            pa.concat_tables(
                [make_rows("staging.orders", 3), make_rows("staging.orders", 2)]
            ),
            "staging.orders: duplicate primary key (Key (order_id)=(1) already exists.): ",
        ),
        (
            make_rows("staging.orders", 3).set_column(
                3, "order_status", pa.array(["a", None, "b"])
            ),
            'staging.orders: cannot load rows: null value in column "order_status" of relation "orders" violates not-null constraint; rolled back',
        ),
    ],
    ids=["duplicate-key", "null"],
)
def test_replace_tables_refuses_rows_that_break_the_table(target, broken, message):
    target.replace_tables(
        "staging", {"orders": lambda: make_rows("staging.orders", 4).to_reader()}
    )
    before = contents(target, "staging.orders", "order_id")
    with pytest.raises(SinkError) as caught:
        target.replace_tables("staging", {"orders": lambda: broken.to_reader()})
    assert str(caught.value).startswith(message)
    assert contents(target, "staging.orders", "order_id").equals(before)
    assert leftovers(target) == []


def test_swap_gives_up_on_a_reader_holding_the_table(pg_url):
    with PostgresTarget(pg_url, lock_timeout=0.2, publish_mode="swap") as target:
        target.setup()
        target.replace_tables(
            "prod",
            {"daily_sales": lambda: make_rows("prod.daily_sales", 2).to_reader()},
        )
        before = contents(target, "prod.daily_sales", "order_date")
        with adbc_pg.connect(pg_url) as reader, reader.cursor() as cur:
            cur.execute("SET application_name = 'report'")
            cur.execute(
                "SELECT pg_backend_pid(), count(*) FROM prod.daily_sales"
            )  # holds its lock until rollback
            pid = cur.fetchall()[0][0]
            with pytest.raises(PostgresError) as caught:
                target.replace_tables(
                    "prod",
                    {
                        "daily_sales": lambda: make_rows(
                            "prod.daily_sales", 5
                        ).to_reader()
                    },
                )
            reader.rollback()
        assert caught.value.reason == "busy"
        assert str(caught.value) == (
            f'prod layer: gave up waiting for a lock another session holds (pid {pid}, application "report", holding AccessShareLock on prod.daily_sales), '
            "cannot swap in the new tables: canceling statement due to lock timeout; nothing was changed here: "
            f"wait for that session to finish (or end it: SELECT pg_terminate_backend({pid})) and run again; "
            "--pg-lock-timeout (ETL_PG_LOCK_TIMEOUT) sets the wait"
        )
        assert contents(target, "prod.daily_sales", "order_date").equals(before)
        assert leftovers(target) == []


def test_replace_never_waits_for_readers_and_keeps_views(target, pg_url):
    run_sql(
        pg_url,
        "CREATE VIEW public.all_days AS SELECT * FROM prod.daily_sales",
    )
    with adbc_pg.connect(pg_url) as reader, reader.cursor() as cur:
        cur.execute("SELECT count(*) FROM prod.daily_sales")  # holds its lock
        cur.fetchall()
        rows = target.replace_tables(
            "prod",
            {"daily_sales": lambda: make_rows("prod.daily_sales", 5).to_reader()},
        )
        reader.rollback()
    assert rows == {"daily_sales": 5}
    assert run_sql(pg_url, "SELECT count(*) FROM public.all_days") == [(5,)]


def test_swap_refuses_a_table_a_view_depends_on(pg_url):
    target = PostgresTarget(pg_url, publish_mode="swap")
    target.setup()
    run_sql(
        pg_url,
        "CREATE VIEW public.big_days AS SELECT * FROM prod.daily_sales WHERE total_orders > 1",
    )
    with pytest.raises(
        SinkError,
        match=r"^prod.daily_sales: view big_days depends on it, and a publish swaps the table; drop the view",
    ):
        target.replace_tables(
            "prod",
            {"daily_sales": lambda: make_rows("prod.daily_sales", 2).to_reader()},
        )
    target.close()


def test_readers_see_the_old_or_the_new_version_never_empty(target, pg_url):
    versions = {
        0: make_rows("staging.orders", 20_000),
        1: make_rows("staging.orders", 30_000, version=1),
    }
    target.replace_tables("staging", {"orders": lambda: versions[0].to_reader()})
    seen: set[tuple[int, int]] = set()
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            with adbc_pg.connect(pg_url) as conn, conn.cursor() as cur:
                while not stop.is_set():
                    cur.execute(
                        "SELECT count(*), count(DISTINCT right(order_status, 2)) FROM staging.orders"
                    )
                    seen.add(cur.fetchone())
                    conn.rollback()  # a new snapshot for every read, as READ COMMITTED readers get
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(1, 7):
            target.replace_tables(
                "staging", {"orders": lambda i=i: versions[i % 2].to_reader()}
            )
    finally:
        stop.set()
        reader.join()
    assert errors == []
    assert seen == {(20_000, 1), (30_000, 1)}


def test_money_round_trips_exactly(target):
    money10 = [
        "0.00",
        "0.01",
        "-0.01",
        "99999999.99",
        "-99999999.99",
        "12345678.91",
        "10000.01",
        "20000.50",
        "10000000.01",
        "0.10",
    ]
    money5 = [
        "0.00",
        "0.01",
        "-0.01",
        "999.99",
        "-999.99",
        "100.00",
        "10.01",
        "5.50",
        "0.10",
        "1.00",
    ]
    money15 = [
        "9999999999999.99",
        "-9999999999999.99",
        "0.00",
        "0.01",
        "-0.01",
        "1000000000.01",
        "5000000000.01",
        "123456789012.34",
        "10000.01",
        "1000000000000.01",
    ]
    n = len(money10)
    items = make_rows("staging.order_items", n)
    items = items.set_column(
        4, "unit_price", pa.array([D(v) for v in money10], pa.decimal128(10, 2))
    )
    items = items.set_column(
        5, "discount_percent", pa.array([D(v) for v in money5], pa.decimal128(5, 2))
    )
    sales = make_rows("prod.daily_sales", n)
    sales = sales.set_column(
        3, "total_revenue", pa.array([D(v) for v in money15], pa.decimal128(15, 2))
    )
    target.replace_tables(
        "staging", {"order_items": lambda: items.to_reader(max_chunksize=3)}
    )
    target.replace_tables("prod", {"daily_sales": lambda: sales.to_reader()})
    text = target.query(
        "SELECT i.unit_price::text AS a, i.discount_percent::text AS b, s.total_revenue::text AS c "
        "FROM staging.order_items i JOIN prod.daily_sales s ON s.total_orders = i.order_item_id "
        "ORDER BY i.order_item_id"
    )
    assert text.to_pydict() == {"a": money10, "b": money5, "c": money15}
    typed = target.query(
        "SELECT total_revenue FROM prod.daily_sales ORDER BY total_orders"
    )
    assert typed.schema.field("total_revenue").type == pa.decimal128(38, 2)
    assert typed["total_revenue"].to_pylist() == [D(v) for v in money15]


def test_floats_are_refused_for_money_columns(target):
    floats = make_rows("staging.orders", 3).set_column(
        4, "total_amount", pa.array([1.005, 2.0, 3.0])
    )
    with pytest.raises(
        ContractError,
        match=r'column "total_amount" arrives as double, money must be decimal128\(10, 2\)',
    ):
        target.replace_tables("staging", {"orders": lambda: floats.to_reader()})


def test_query_is_read_only_and_record_run_replaces_earlier_copies(target):
    run = pa.table(
        {
            "run_id": ["r1"],
            "started_at": pa.array(
                [dt.datetime(2025, 1, 2, tzinfo=UTC)], pa.timestamp("us", tz="Etc/UTC")
            ),
            "finished_at": pa.array([None], pa.timestamp("us", tz="Etc/UTC")),
            "status": ["running"],
            "layers": ["raw,staging,prod"],
            "as_of": pa.array([None], pa.date32()),
            "error": pa.array([None], pa.string()),
        }
    )
    tables = make_rows("meta.run_tables", 2, run_id="r1")
    target.record_run(run, tables)
    target.record_run(run.set_column(3, "status", pa.array(["succeeded"])), tables)
    assert target.query("SELECT status FROM meta.runs").to_pylist() == [
        {"status": "succeeded"}
    ]
    assert target.query("SELECT count(*) AS n FROM meta.run_tables")[
        "n"
    ].to_pylist() == [2]
    with pytest.raises(QueryError, match="runs exactly one read-only statement"):
        target.query("DELETE FROM meta.runs")


# -- run lock ---------------------------------------------------------------------------------


def test_a_second_run_is_refused_at_once(target, pg_url):
    with PostgresTarget(pg_url) as other:
        with target.lock():
            started = time.perf_counter()
            with pytest.raises(PostgresError) as caught, other.lock():
                pass
            assert time.perf_counter() - started < 2
            with pytest.raises(PostgresError, match="another etl run holds the lock"):
                other.replace_tables(
                    "prod",
                    {
                        "daily_sales": lambda: make_rows(
                            "prod.daily_sales", 1
                        ).to_reader()
                    },
                )
        with other.lock():
            pass
    assert caught.value.reason == "locked"
    message = str(caught.value)
    assert message.startswith(
        f"another etl run holds the lock on {pg_url} (server pid "
    )
    assert message.endswith(")")


# -- connection and permission errors ---------------------------------------------------------


def test_server_down(postgres_server):
    port = free_port()
    url = f"postgresql://postgres:s3cr3t-pw@127.0.0.1:{port}/postgres"
    with pytest.raises(PostgresError) as caught:
        PostgresTarget(url)
    assert caught.value.reason == "unreachable"
    assert str(caught.value) == (
        f"cannot reach PostgreSQL at postgresql://postgres:***@127.0.0.1:{port}/postgres: "
        "Connection refused; start the server or fix host/port in --pg-url"
    )


def test_unknown_role_with_password(pg_url):
    # The local server trusts 127.0.0.1, so a wrong password is accepted there; an
    # unknown role is the login failure it does report (see the next test for passwords).
    user = f"etl_nobody_{uuid.uuid4().hex[:6]}"
    url = as_user(pg_url, user, "s3cr3t-pw")
    with pytest.raises(PostgresError) as caught:
        PostgresTarget(url)
    assert caught.value.reason == "login"
    assert "s3cr3t" not in str(caught.value)
    assert str(caught.value) == (
        f'PostgreSQL refused login for user "{user}" at {url.replace("s3cr3t-pw", "***")}: '
        f'role "{user}" does not exist; check the user name and password in --pg-url'
    )


def test_wrong_password():
    if _binaries() is None:
        pytest.skip(
            "needs PostgreSQL binaries (initdb) for a cluster that checks passwords"
        )
    with throwaway_cluster(password="right-pw") as admin:
        wrong = admin.replace(":right-pw@", ":s3cr3t-pw@")
        with pytest.raises(PostgresError) as caught:
            PostgresTarget(wrong)
        with PostgresTarget(admin) as target:
            assert target.user == "postgres"
    assert caught.value.reason == "login"
    assert "s3cr3t" not in str(caught.value)
    assert "right-pw" not in str(caught.value)
    assert (
        'password authentication failed for user "postgres"; check the user name and password'
        in str(caught.value)
    )


def test_database_missing(pg_url):
    url = as_user(
        with_database(pg_url, "etl_no_such_db"),
        urlsplit(pg_url).username or "postgres",
        "s3cr3t-pw",
    )
    with pytest.raises(PostgresError) as caught:
        PostgresTarget(url)
    assert caught.value.reason == "no_database"
    assert str(caught.value).startswith('database "etl_no_such_db" does not exist on ')
    assert str(caught.value).endswith(
        "; create it (createdb etl_no_such_db) or fix the database name in --pg-url"
    )
    assert "s3cr3t" not in str(caught.value)


def test_permission_denied(target, pg_url, role):
    url = as_user(pg_url, role, "role-pw-123")
    with PostgresTarget(url) as limited:
        with pytest.raises(PostgresError) as caught:
            limited.check_setup()
        assert caught.value.reason == "permission"
        assert str(caught.value).startswith(
            f'permission denied: user "{role}" needs USAGE on schema meta'
        )
        assert "role-pw-123" not in str(caught.value)
        # Past check_setup, the server's own refusal is translated too.
        run_sql(
            pg_url,
            f"GRANT USAGE ON SCHEMA raw, meta TO {role}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA meta TO {role}",
        )
        wh = Warehouse()
        wh.put(0, 2)
        with pytest.raises(PostgresError) as denied:
            limited.sync_raw("orders", wh.ledger(), wh.fetch)
        assert denied.value.reason == "permission"
        assert str(denied.value).startswith(
            "permission denied: cannot delete replaced files on raw.orders: permission denied for table orders"
        )
        run_sql(
            pg_url,
            f"GRANT USAGE, CREATE ON SCHEMA staging, prod TO {role}",
            f"GRANT ALL ON ALL TABLES IN SCHEMA raw, staging, prod, meta TO {role}",
        )
        # Replacing rows needs no ownership; the swap mode renames tables, which does.
        limited.check_setup()
    with (
        PostgresTarget(url, publish_mode="swap") as swapping,
        pytest.raises(
            PostgresError,
            match=f'user "{role}" must own prod.customer_metrics to replace it with --publish-mode swap',
        ),
    ):
        swapping.check_setup()
    assert repr(limited) == f"PostgresTarget('{url.replace('role-pw-123', '***')}')"


def test_lost_connection(target, pg_url):
    pid = target.query("SELECT pg_backend_pid() AS pid")["pid"][0].as_py()
    run_sql(pg_url, f"SELECT pg_terminate_backend({pid})")
    with pytest.raises(PostgresError) as caught:
        target.ingested_files()
    assert caught.value.reason == "lost"
    assert str(caught.value).startswith(
        f"lost the connection to PostgreSQL at {pg_url} while trying to read the ledger: "
    )


def test_sqlalchemy_url_is_a_config_error():
    with pytest.raises(ConfigError, match="use a libpq URL"):
        PostgresTarget("postgresql+psycopg://u:pw@localhost/db")


def test_raw_is_not_replaced_whole(target):
    with pytest.raises(ConfigError, match="raw goes through sync_raw"):
        target.replace_tables(
            "raw", {"orders": lambda: make_rows("raw.orders", 1).to_reader()}
        )


# -- killed mid-load -----------------------------------------------------------------------------

KILLED_LOADER = """
import sys, time
from pathlib import Path
import pyarrow as pa
from engine.postgres import PostgresTarget
from tests.test_postgres import Warehouse, make_rows

url, kind, marker = sys.argv[1:4]

def slow(table):
    def batches():
        for i, batch in enumerate(table.to_batches(max_chunksize=500)):
            if i == 3:
                Path(marker).write_text("loading")
            time.sleep(0.02)
            yield batch
    return pa.RecordBatchReader.from_batches(table.schema, batches())

with PostgresTarget(url) as target:
    if kind == "replace":
        rows = make_rows("staging.orders", 20_000, version=1)
        target.replace_tables("staging", {"orders": lambda: slow(rows)})
    else:
        wh = Warehouse()
        wh.put(0, 20_000, version=1)
        target.sync_raw("orders", wh.ledger(), lambda sources: slow(wh.rows()))
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["replace", "sync"])
def test_a_load_killed_midway_leaves_the_previous_state(target, pg_url, tmp_path, kind):
    old = Warehouse()
    old.put(0, 50)
    target.sync_raw("orders", old.ledger(), old.fetch)
    target.replace_tables(
        "staging", {"orders": lambda: make_rows("staging.orders", 50).to_reader()}
    )
    before = (
        contents(target, "staging.orders", "order_id"),
        contents(target, "raw.orders", "order_id"),
    )
    script, marker = tmp_path / "load.py", tmp_path / "loading"
    script.write_text(KILLED_LOADER)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    loader = subprocess.Popen(
        [sys.executable, str(script), pg_url, kind, str(marker)], env=env
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert loader.poll() is None, "the loader ended before loading"
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        os.kill(loader.pid, signal.SIGKILL)
        loader.wait()
    after = (
        contents(target, "staging.orders", "order_id"),
        contents(target, "raw.orders", "order_id"),
    )
    assert after[0].equals(before[0])
    assert after[1].equals(before[1])
    # The killed session's lock dies with its backend, which may take a moment.
    deadline = time.monotonic() + 10
    while target.query(
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND "
        "database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )["n"][0].as_py():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # A re-run gives the same contents as a load that was never interrupted.
    new_rows = make_rows("staging.orders", 20_000, version=1)
    target.replace_tables("staging", {"orders": lambda: new_rows.to_reader()})
    fresh = Warehouse()
    fresh.put(0, 20_000, version=1)
    result = target.sync_raw("orders", fresh.ledger(), fresh.fetch)
    assert (result.changed, result.rows_deleted) == (
        (fresh.ledger()["source_file"][0].as_py(),),
        50,
    )
    stored = target.query(
        "SELECT count(*) AS n, sum(total_amount)::text AS s, "
        "(SELECT count(*) FROM raw.orders) AS raw_n FROM staging.orders"
    ).to_pylist()
    assert stored == [
        {
            "n": 20_000,
            "s": str(pc.sum(new_rows["total_amount"]).as_py()),
            "raw_n": 20_000,
        }
    ]
    assert leftovers(target) == []
