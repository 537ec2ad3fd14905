from __future__ import annotations

import csv
import io
import json

import duckdb
import pytest

from engine.cli import cli


def test_setup_creates_every_schema_and_is_idempotent(runner, warehouse_path):
    for _ in range(2):
        result = runner.invoke(cli, ["setup", "--warehouse", str(warehouse_path)])
        assert result.exit_code == 0, result.output
    con = duckdb.connect(str(warehouse_path), read_only=True)
    schemas = {
        r[0]
        for r in con.sql("SELECT DISTINCT schema_name FROM duckdb_tables()").fetchall()
    }
    con.close()
    assert schemas == {"raw", "staging", "prod", "meta"}


def test_run_on_a_missing_data_dir_is_one_line_error(runner, tmp_path, warehouse_path):
    missing = tmp_path / "nowhere"
    result = runner.invoke(
        cli,
        ["run", "--data-dir", str(missing), "--warehouse", str(warehouse_path), "-q"],
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f'Error: {missing}: data directory not found; create it with "etl generate --out {missing}" '
        "or pass --data-dir\n"
    )


def test_failed_run_is_logged_as_failed(runner, small_dir, warehouse_path):
    args = ["run", "--data-dir", str(small_dir), "--warehouse", str(warehouse_path)]
    assert runner.invoke(cli, [*args, "-q"]).exit_code == 0
    bad = small_dir / "orders" / "2025-01-03" / "data.parquet"
    bad.parent.mkdir()
    bad.write_bytes(b"not parquet")
    assert runner.invoke(cli, [*args, "-q"]).exit_code == 1
    con = duckdb.connect(str(warehouse_path), read_only=True)
    rows = con.sql("SELECT status, error FROM meta.runs ORDER BY started_at").fetchall()
    con.close()
    assert [status for status, _ in rows] == ["succeeded", "failed"]
    assert "orders/2025-01-03/data.parquet" in rows[1][1]


def test_debug_shows_the_traceback(runner, tmp_path, warehouse_path):
    from engine.errors import SourceError

    result = runner.invoke(
        cli,
        [
            "run",
            "--debug",
            "--data-dir",
            str(tmp_path / "none"),
            "--warehouse",
            str(warehouse_path),
        ],
    )
    assert isinstance(result.exception, SourceError)


def test_bad_layer_is_a_usage_error(runner):
    result = runner.invoke(cli, ["run", "--layers", "raw,gold"])
    assert result.exit_code == 2
    assert "choose from raw, staging, prod" in result.stderr


def test_query_without_a_warehouse(runner, tmp_path):
    missing = tmp_path / "none.duckdb"
    result = runner.invoke(cli, ["query", "SELECT 1", "--warehouse", str(missing)])
    assert result.exit_code == 1
    assert (
        result.stderr
        == f'Error: {missing}: no warehouse here yet; build it with "etl run" or pass --warehouse\n'
    )


def test_query_formats_and_errors(runner, warehouse_path):
    runner.invoke(cli, ["setup", "--warehouse", str(warehouse_path)])
    sql = "SELECT 1 AS n, 'a' AS s, 2.50::DECIMAL(10,2) AS m"
    table = runner.invoke(cli, ["query", sql, "--warehouse", str(warehouse_path)])
    assert table.exit_code == 0
    assert table.output.splitlines() == ["n  s     m", "-  -  ----", "1  a  2.50"]
    csv = runner.invoke(
        cli, ["query", sql, "--warehouse", str(warehouse_path), "--format", "csv"]
    )
    assert csv.output == "n,s,m\n1,a,2.50\n"
    js = runner.invoke(
        cli, ["query", sql, "--warehouse", str(warehouse_path), "--format", "json"]
    )
    assert json.loads(js.output) == [{"n": 1, "s": "a", "m": "2.50"}]
    bad = runner.invoke(cli, ["query", "SELEC 1", "--warehouse", str(warehouse_path)])
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: query failed: Parser Error: syntax error")
    assert bad.stderr.count("\n") == 1


def test_query_cannot_write(runner, warehouse_path):
    runner.invoke(cli, ["setup", "--warehouse", str(warehouse_path)])
    result = runner.invoke(
        cli, ["query", "DELETE FROM meta.runs", "--warehouse", str(warehouse_path)]
    )
    assert result.exit_code == 1
    assert "read-only" in result.stderr


def test_second_writer_is_refused(runner, warehouse_path, small_dir):
    runner.invoke(cli, ["setup", "--warehouse", str(warehouse_path)])
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(30)",
            str(warehouse_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = runner.invoke(
            cli,
            [
                "run",
                "--data-dir",
                str(small_dir),
                "--warehouse",
                str(warehouse_path),
                "-q",
            ],
        )
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {warehouse_path}: the warehouse is in use by another etl process; wait for it to finish and retry\n"
    )


def test_generate_run_status_dq_query_end_to_end(runner, tmp_path):
    data, wh = tmp_path / "data", tmp_path / "w.duckdb"
    gen = runner.invoke(
        cli,
        [
            "generate",
            "--out",
            str(data),
            "--days",
            "5",
            "--scale",
            "0.2",
            "--seed",
            "1",
        ],
    )
    assert gen.exit_code == 0, gen.stdout
    assert gen.stdout.splitlines()[-1] == f"20 files in {data}"
    assert "generate" in gen.stderr  # progress goes to stderr

    run = runner.invoke(cli, ["run", "--data-dir", str(data), "--warehouse", str(wh)])
    assert run.exit_code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == [
        "table",
        "rows_in",
        "rows_out",
        "rejected",
        "duplicates",
    ]
    assert [line.split()[0] for line in lines[2:15]] == [
        "raw.customers",
        "raw.products",
        "raw.orders",
        "raw.order_items",
        "staging.customers",
        "staging.products",
        "staging.orders",
        "staging.order_items",
        "prod.customer_metrics",
        "prod.daily_category_metrics",
        "prod.daily_product_metrics",
        "prod.daily_sales",
        "prod.monthly_sales",
    ]
    assert lines[-1].startswith("run ")
    assert " succeeded, as of 2025-01-05: raw " in lines[-1]
    assert "raw.orders" in run.stderr
    assert "staging: clean" in run.stderr

    quiet = runner.invoke(
        cli, ["run", "--data-dir", str(data), "--warehouse", str(wh), "-q"]
    )
    assert quiet.exit_code == 0
    assert quiet.stdout == quiet.stderr == ""

    status = runner.invoke(cli, ["status", "--warehouse", str(wh), "--format", "json"])
    payload = json.loads(status.stdout)
    tables = {row["table_name"]: row for row in payload["Tables"]}
    assert tables["raw.orders"]["partitions"] == 5
    assert [r["status"] for r in payload["Last runs"]] == ["succeeded", "succeeded"]

    dq = runner.invoke(cli, ["dq", "--warehouse", str(wh), "--format", "json"])
    reports = json.loads(dq.stdout)
    accounting = reports[
        "Row accounting (last staging build): raw = clean + rejected + duplicates"
    ]
    assert [row["balanced"] for row in accounting] == [True] * 4
    rejects = reports["Rejects"]
    con = duckdb.connect(str(wh), read_only=True)
    ((total,),) = con.sql(
        "SELECT (SELECT count(*) FROM staging.customers_rejects) + (SELECT count(*) FROM staging.products_rejects)"
        " + (SELECT count(*) FROM staging.orders_rejects) + (SELECT count(*) FROM staging.order_items_rejects)"
    ).fetchall()
    con.close()
    assert sum(r["rows"] for r in rejects) == total > 0
    impact = reports[
        "Business impact: completed orders and revenue excluded by rejects"
    ]
    assert {r["entity"] for r in impact} == {"orders", "order_items"}

    by_partition = runner.invoke(
        cli, ["dq", "--warehouse", str(wh), "--by-partition", "--format", "csv"]
    )
    header, *rows = csv.reader(io.StringIO(by_partition.stdout))
    assert header[:5] == ["report", "entity", "partition_date", "reject_reason", "rows"]
    assert {len(row) for row in rows} == {len(header)}
    assert {row[0] for row in rows} == {"rejects", "accounting", "impact"}

    top = runner.invoke(
        cli,
        [
            "query",
            "SELECT order_date, total_revenue FROM prod.daily_sales ORDER BY order_date",
            "--warehouse",
            str(wh),
            "--format",
            "csv",
        ],
    )
    assert top.stdout.splitlines()[0] == "order_date,total_revenue"
    assert top.stdout.splitlines()[1].startswith(
        "2025-01-02,"
    )  # orders start on the second day


def test_named_queries_are_listed_and_run(runner, built_warehouse):
    listed = runner.invoke(cli, ["query", "--list", "--format", "csv"])
    names = [line.split(",")[0] for line in listed.stdout.splitlines()[1:]]
    assert {
        "customers_sample",
        "daily_sales_latest",
        "top_products",
        "category_revenue_by_month",
        "top_customers",
        "dq_impact",
    } <= set(names)
    top = runner.invoke(
        cli,
        [
            "query",
            "top_products",
            "--warehouse",
            str(built_warehouse),
            "--format",
            "json",
        ],
    )
    rows = json.loads(top.stdout)
    assert len(rows) == 10
    revenues = [float(r["revenue"]) for r in rows]
    assert revenues == sorted(revenues, reverse=True)
    missing = runner.invoke(cli, ["query", "--warehouse", str(built_warehouse)])
    assert missing.exit_code == 2
    assert "etl query --list" in missing.stderr


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("12XB", "memory limit '12XB' is not a size; write it like 4GB, 500MB or 2GiB"),
        (
            "10MB",
            "memory limit '10MB' is below the 64MB the engine needs; give it more",
        ),
    ],
)
def test_a_bad_memory_limit_is_one_line(runner, value, why):
    result = runner.invoke(cli, ["run", "--memory-limit", value])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        f"Error: Invalid value for '--memory-limit' (env var: 'ETL_MEMORY_LIMIT'): {why}"
    )


def test_memory_sizes_parse_in_decimal_and_binary_units():
    from engine.memory import parse_size

    assert parse_size("4GB") == 4 * 10**9
    assert parse_size("500mb") == 500 * 10**6
    assert parse_size("1.5GiB") == 3 * 2**29
    assert parse_size("100000000") == 10**8
