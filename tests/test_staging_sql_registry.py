from __future__ import annotations

import shutil

import duckdb
import pytest

from engine import contracts
from engine.errors import QueryError
from engine.staging_sql import build_staging_sql
from queries import staging as staging_queries

# --- registry and runner -------------------------------------------------------------


def test_discover_finds_one_query_per_entity_in_parent_order():
    found = staging_queries.discover()
    assert [q.entity for q in found] == list(contracts.ENTITIES)
    params = {q.entity: q.params for q in found}
    assert params["products"] == ("cost_limit_cents", "price_limit_cents")
    assert params["orders"] == (
        "earliest_date",
        "future_days",
        "order_statuses",
        "total_amount_limit_cents",
    )
    assert params["customers"] == ("earliest_date", "future_days")


@pytest.fixture
def staging_copy(tmp_path, monkeypatch):
    for path in staging_queries.STAGING_DIR.glob("*.sql"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(staging_queries, "STAGING_DIR", tmp_path)
    return tmp_path


def test_reason_codes_out_of_priority_order_are_refused(staging_copy):
    path = staging_copy / "orders.sql"
    text = path.read_text()
    swapped = (
        text.replace("'null_order_date'", "'@@'")
        .replace("'null_customer_id'", "'null_order_date'")
        .replace("'@@'", "'null_customer_id'")
    )
    path.write_text(swapped)
    with pytest.raises(
        QueryError, match=r"orders\.sql applies reason codes .* REASONS order"
    ):
        staging_queries.discover()


def test_a_missing_or_stray_staging_query_is_refused(staging_copy):
    (staging_copy / "returns.sql").write_text("SELECT 1")
    with pytest.raises(QueryError, match=r"returns\.sql: not a staging entity"):
        staging_queries.discover()
    (staging_copy / "returns.sql").unlink()
    (staging_copy / "order_items.sql").unlink()
    with pytest.raises(QueryError, match=r"order_items\.sql: missing"):
        staging_queries.discover()


def test_runner_without_raw_tables_names_the_query():
    con = duckdb.connect()
    try:
        with pytest.raises(QueryError, match=r"customers\.sql failed: .*raw"):
            build_staging_sql(con)
    finally:
        con.close()
