from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest

import queries
from engine import contracts
from engine.errors import QueryError
from engine.prod import build_prod_sql

MACROS = queries.macro_names(queries.read_macros())


@pytest.fixture
def con():
    con = duckdb.connect()
    for path in contracts.ddl_files():
        con.execute(path.read_text())
    yield con
    con.close()


def _temp_macros(con):
    rows = con.sql(
        "SELECT DISTINCT function_name FROM duckdb_functions() "
        "WHERE database_name = 'temp' AND function_type IN ('macro', 'table_macro')"
    ).fetchall()
    return sorted(name for (name,) in rows)


def test_every_shared_macro_is_used_and_no_twin_copies_the_lines():
    twins = {q.name: q.read_select() for q in queries.discover()}
    for name, sql in twins.items():
        assert "completed_lines()" in sql, name
        assert not re.search(r"\b(lines|cents) AS \(", sql), name
    macros = queries.read_macros()
    for macro in MACROS:
        calls = rf"\b{macro}\("
        used = any(re.search(calls, sql) for sql in twins.values())
        used_by_macro = len(re.findall(calls, macros)) > 1
        assert used or used_by_macro, macro


def test_the_sql_runner_leaves_no_macro_behind(con):
    con.execute("BEGIN")
    rows = build_prod_sql(con, as_of=dt.date(2025, 1, 31))
    con.execute("COMMIT")
    assert rows == {f"prod.{name}": 0 for name in contracts.tables("prod")}
    assert _temp_macros(con) == []


def test_a_twin_runs_alone_with_its_macros(con):
    query = {q.name: q for q in queries.discover()}["daily_sales"]
    assert con.sql(query.read_sql()).fetchall() == []


def test_macros_without_staging_name_the_macro_file():
    con = duckdb.connect()
    try:
        with pytest.raises(
            QueryError, match=r"^queries/_macros\.sql failed: .*staging"
        ):
            build_prod_sql(con, as_of=dt.date(2025, 1, 31))
    finally:
        con.close()
