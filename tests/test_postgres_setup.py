from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from engine import contracts
from engine.errors import ContractError, QueryError
from engine.postgres import PostgresError, PostgresTarget
from tests.pg_rows import UTC, make_rows
from tests.pg_server import run_sql

pytestmark = pytest.mark.postgres


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


# -- run log and read-only queries ---------------------------------------------------


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
