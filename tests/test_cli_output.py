"""What a person reads: query limits, number formats, one CSV, clear answers to typos, one CLI."""

from __future__ import annotations

import csv
import decimal
import io

import pytest

from engine.cli import cli
from engine.render import render


@pytest.fixture
def setup_warehouse(runner, warehouse_path):
    assert (
        runner.invoke(
            cli, ["setup", "--warehouse", str(warehouse_path), "-q"]
        ).exit_code
        == 0
    )
    return warehouse_path


def _query(runner, warehouse, *args):
    return runner.invoke(cli, ["query", *args, "--warehouse", str(warehouse)])


def test_a_table_shows_40_rows_and_says_how_many_there_are(runner, setup_warehouse):
    sql = "SELECT range AS n FROM range(1000)"
    table = _query(runner, setup_warehouse, sql)
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[:3] == [" n", "--", " 0"]
    assert len(lines) == 2 + 40 + 1
    assert (
        lines[-1]
        == "(40 of 1,000 rows shown; --limit N shows N, --all shows every row)"
    )
    assert table.stderr == ""
    every = _query(runner, setup_warehouse, sql, "--all")
    assert len(every.stdout.splitlines()) == 2 + 1000
    five = _query(runner, setup_warehouse, sql, "--limit", "5")
    assert (
        five.stdout.splitlines()[-1]
        == "(5 of 1,000 rows shown; --limit N shows N, --all shows every row)"
    )
    quiet = _query(runner, setup_warehouse, sql, "--limit", "5", "-q")
    assert len(quiet.stdout.splitlines()) == 2 + 5


def test_csv_and_json_stay_complete_unless_limited(runner, setup_warehouse):
    sql = "SELECT range AS n FROM range(1000)"
    full = _query(runner, setup_warehouse, sql, "--format", "csv")
    assert (full.stdout, full.stderr) == (
        "n\n" + "".join(f"{i}\n" for i in range(1000)),
        "",
    )
    limited = _query(runner, setup_warehouse, sql, "--format", "csv", "--limit", "2")
    assert limited.stdout == "n\n0\n1\n"
    # the note goes to stderr, so the CSV stays clean
    assert (
        limited.stderr
        == "(2 of 1,000 rows shown; --limit N shows N, --all shows every row)\n"
    )
    both = _query(runner, setup_warehouse, sql, "--limit", "2", "--all")
    assert both.exit_code == 2
    assert both.stderr.splitlines()[-1] == "Error: give --limit N or --all, not both"


def test_numbers_read_alike_years_and_ids_stay_plain():
    rows = [(2025, 12, 1000000001, 43360, decimal.Decimal("1234567.50"), True)]
    columns = ["year", "month", "customer_id", "orders", "revenue", "balanced"]
    assert render(columns, rows).splitlines() == [
        "year  month  customer_id  orders       revenue  balanced",
        "----  -----  -----------  ------  ------------  --------",
        "2025     12   1000000001  43,360  1,234,567.50  true",
    ]
    assert render(columns, rows, "csv") == (
        "year,month,customer_id,orders,revenue,balanced\n2025,12,1000000001,43360,1234567.50,true"
    )


def test_dq_as_csv_is_one_coherent_csv(runner, built_warehouse):
    result = runner.invoke(
        cli, ["dq", "--warehouse", str(built_warehouse), "--format", "csv"]
    )
    assert result.exit_code == 0
    header, *rows = csv.reader(io.StringIO(result.stdout))
    assert header.count("report") == 1
    assert header[:4] == ["report", "entity", "reject_reason", "rows"]
    assert {len(row) for row in rows} == {len(header)}
    balanced = [row[header.index("balanced")] for row in rows if row[0] == "accounting"]
    assert balanced == ["true"] * 4


def test_a_mistyped_query_name_gets_a_suggestion(runner, setup_warehouse):
    result = _query(runner, setup_warehouse, "top_product")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 'top_product' is not a named query; did you mean 'top_products'? "
        "etl query --list shows the names\n"
    )
    unknown = _query(runner, setup_warehouse, "xyzzy")
    assert unknown.stderr == (
        "Error: 'xyzzy' is not a named query; etl query --list shows the names\n"
    )


@pytest.mark.parametrize(
    "command", ["run", "publish", "setup", "status", "dq", "query"]
)
def test_a_bare_host_is_not_taken_for_a_url(runner, command):
    result = runner.invoke(
        cli,
        [command, "--pg-url", "localhost:5432/db", "SELECT 1"][
            : 3 if command != "query" else 4
        ],
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--pg-url' (env var: 'ETL_PG_URL'): 'localhost:5432/db' "
        "is not a PostgreSQL URL; write it as postgresql://user@host:port/db, "
        "e.g. postgresql://postgres@localhost:5432/shop"
    )


def test_verbose_only_where_it_logs_and_quiet_everywhere_it_talks():
    def options(command):
        return {opt for p in cli.commands[command].params for opt in p.opts}

    for command in ["generate", "run", "publish"]:
        assert {"-v", "-q"} <= options(command), command
    for command in ["setup", "status", "dq", "query"]:
        assert "-v" not in options(command), command
        assert "-q" in options(command), command


def test_setup_quiet_prints_nothing(runner, warehouse_path):
    result = runner.invoke(cli, ["setup", "-q", "--warehouse", str(warehouse_path)])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    loud = runner.invoke(cli, ["setup", "--warehouse", str(warehouse_path)])
    assert (
        loud.stderr
        == f"{warehouse_path}: schemas raw, staging, prod and meta are ready\n"
    )


def test_warnings_say_warning(runner, small_dir, warehouse_path):
    args = ["run", "--data-dir", str(small_dir), "--warehouse", str(warehouse_path)]
    assert runner.invoke(cli, args).exit_code == 0
    for path in (small_dir / "orders" / "2025-01-02").iterdir():
        path.unlink()
    (small_dir / "orders" / "2025-01-02").rmdir()
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    assert (
        f"warning: raw.orders: 1 ingested file(s) are no longer in {small_dir}; "
        "their rows are kept (use --full-refresh to drop them)"
    ) in result.stderr.splitlines()
