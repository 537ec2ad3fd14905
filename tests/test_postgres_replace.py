from __future__ import annotations

import pyarrow as pa
import pytest

from engine.errors import ConfigError, ContractError, SinkError
from engine.postgres import PostgresTarget
from tests.pg_rows import D, contents, leftovers, make_rows, same
from tests.pg_server import run_sql

pytestmark = pytest.mark.postgres


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


# -- raw goes through sync_raw --------------------------------------------------------


def test_raw_is_not_replaced_whole(target):
    with pytest.raises(ConfigError, match="raw goes through sync_raw"):
        target.replace_tables(
            "raw", {"orders": lambda: make_rows("raw.orders", 1).to_reader()}
        )


# -- money ------------------------------------------------------------------------------


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
