from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time

import duckdb
import pyarrow.parquet as pq
import pytest

from engine import contracts
from engine.cli import cli
from engine.config import Settings
from engine.errors import EtlError
from engine.pipeline import run_pipeline
from engine.postgres import PostgresTarget
from tests.pg_server import run_sql

pytestmark = pytest.mark.postgres

TABLES = [f"{layer}.{t}" for layer in contracts.LAYERS for t in contracts.tables(layer)]


def _order(table):
    names = contracts.arrow_schema(table).names
    return (
        ", ".join(n for n in names if n != "_ingested_at")
        if table.startswith("raw.")
        else ", ".join(names)
    )


def duck_contents(path, tables=TABLES):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: con.sql(f"SELECT * FROM {t} ORDER BY {_order(t)}").to_arrow_table()
            for t in tables
        }
    finally:
        con.close()


def pg_contents(url, tables=TABLES):
    with PostgresTarget(url) as target:
        return {
            t: target.query(f"SELECT * FROM {t} ORDER BY {_order(t)}") for t in tables
        }


def assert_same(duck, pg):
    for table in duck:
        d, p = duck[table], pg[table]
        assert d.num_rows == p.num_rows, table
        assert d.column_names == p.column_names, table
        for name in d.column_names:
            left, right = d[name].to_pylist(), p[name].to_pylist()
            assert left == right, f"{table}.{name}"


@pytest.fixture
def pg_ready(pg_url):
    with PostgresTarget(pg_url) as target:
        target.setup()
    return pg_url


@pytest.fixture
def data_copy(generated_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(generated_dir, data)
    return data


def test_postgres_holds_exactly_the_warehouse(pg_ready, generated_dir, tmp_path):
    settings = Settings(
        data_dir=generated_dir, warehouse=tmp_path / "w.duckdb", pg_url=pg_ready
    )
    summary = run_pipeline(settings)
    assert set(summary.published) == {"raw", "staging", "prod"}
    assert_same(duck_contents(settings.warehouse), pg_contents(pg_ready))
    (runs,) = run_sql(pg_ready, "SELECT count(*), min(status) FROM meta.runs")
    assert runs == (1, "succeeded")


def test_current_database_receives_nothing_for_raw(pg_ready, generated_dir, tmp_path):
    settings = Settings(
        data_dir=generated_dir, warehouse=tmp_path / "w.duckdb", pg_url=pg_ready
    )
    run_pipeline(settings)
    again = run_pipeline(settings)
    assert again.published["raw"].rows == 0
    assert_same(duck_contents(settings.warehouse), pg_contents(pg_ready))


def test_incremental_and_changed_files(pg_ready, data_copy, tmp_path):
    from engine.generate import generate_dataset

    settings = Settings(
        data_dir=data_copy, warehouse=tmp_path / "w.duckdb", pg_url=pg_ready
    )
    run_pipeline(settings)
    import datetime as dt

    generate_dataset(
        data_copy, start=dt.date(2025, 2, 1), end=dt.date(2025, 2, 3), scale=0.3, seed=7
    )
    target = data_copy / "orders" / "2025-01-10" / "data.parquet"
    pq.write_table(pq.read_table(target).slice(0, 5), target)
    summary = run_pipeline(settings)
    assert summary.raw_files["orders"].files_new == 3
    assert summary.raw_files["orders"].files_changed == 1
    assert_same(duck_contents(settings.warehouse), pg_contents(pg_ready))
    dupes = run_sql(
        pg_ready,
        "SELECT count(*) FROM (SELECT 1 FROM raw.orders GROUP BY _source_file, _source_row HAVING count(*) > 1) AS d",
    )
    assert dupes == [(0,)]


def test_a_database_that_is_behind_catches_up(pg_ready, generated_dir, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    run_pipeline(Settings(data_dir=generated_dir, warehouse=warehouse))  # DuckDB only
    summary = run_pipeline(
        Settings(data_dir=generated_dir, warehouse=warehouse, pg_url=pg_ready)
    )
    assert all(r.rows_ingested == 0 for r in summary.raw_files.values())
    assert summary.published["raw"].rows > 0
    assert_same(duck_contents(warehouse), pg_contents(pg_ready))


def test_publish_copies_a_built_warehouse_without_rebuilding(
    runner, pg_ready, generated_dir, tmp_path
):
    warehouse = tmp_path / "w.duckdb"
    run_pipeline(Settings(data_dir=generated_dir, warehouse=warehouse))  # DuckDB only
    before = duck_contents(warehouse, ["meta.runs", "meta.run_tables"])
    args = ["publish", "--warehouse", str(warehouse), "--pg-url", pg_ready]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("published to postgresql://")
    assert_same(duck_contents(warehouse), pg_contents(pg_ready))
    assert duck_contents(warehouse, ["meta.runs", "meta.run_tables"]) == before
    again = runner.invoke(cli, [*args, "--layers", "raw"])
    assert again.exit_code == 0, again.output
    assert ": raw 0 rows " in again.stdout


def test_publish_refuses_a_layer_no_run_has_built(
    runner, pg_ready, generated_dir, tmp_path
):
    warehouse = tmp_path / "w.duckdb"
    run_pipeline(Settings(data_dir=generated_dir, warehouse=warehouse), layers=("raw",))
    result = runner.invoke(
        cli, ["publish", "--warehouse", str(warehouse), "--pg-url", pg_ready]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f'Error: {warehouse}: no run has built the staging layer yet; build it first with "etl run"\n'
    )
    assert run_sql(pg_ready, "SELECT count(*) FROM raw.orders") == [(0,)]


def test_publish_needs_a_target(runner, tmp_path):
    result = runner.invoke(cli, ["publish", "--warehouse", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2
    assert "--pg-url (or ETL_PG_URL) is required" in result.stderr


def test_run_sets_up_a_fresh_database_itself(pg_url, generated_dir, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    run_pipeline(Settings(data_dir=generated_dir, warehouse=warehouse, pg_url=pg_url))
    assert_same(duck_contents(warehouse), pg_contents(pg_url))
    with PostgresTarget(pg_url) as target:
        target.check_setup()


def test_password_never_in_output(runner, tmp_path):
    url = "postgresql://postgres:s3cret-pw@127.0.0.1:1/nowhere"
    result = runner.invoke(
        cli, ["run", "--pg-url", url, "--warehouse", str(tmp_path / "w.duckdb"), "-q"]
    )
    assert result.exit_code == 1
    assert "s3cret-pw" not in result.output
    assert result.stderr.startswith(
        "Error: cannot reach PostgreSQL at postgresql://postgres:***@127.0.0.1:1/nowhere"
    )
    assert result.stderr.count("\n") == 1


def test_cli_setup_run_status_dq_query_on_postgres(
    runner, pg_url, generated_dir, tmp_path
):
    wh = str(tmp_path / "w.duckdb")
    for _ in range(2):
        setup = runner.invoke(cli, ["setup", "--pg-url", pg_url, "--warehouse", wh])
        assert setup.exit_code == 0, setup.output
    run = runner.invoke(
        cli,
        [
            "run",
            "--data-dir",
            str(generated_dir),
            "--warehouse",
            wh,
            "--pg-url",
            pg_url,
        ],
    )
    assert run.exit_code == 0, run.output
    assert "published to postgresql://" in run.stdout
    status = runner.invoke(cli, ["status", "--pg-url", pg_url, "--format", "csv"])
    assert status.exit_code == 0, status.output
    assert "raw.orders," in status.stdout
    local = runner.invoke(cli, ["dq", "--warehouse", wh, "--format", "json"])
    remote = runner.invoke(cli, ["dq", "--pg-url", pg_url, "--format", "json"])
    assert remote.exit_code == 0, remote.output
    assert remote.stdout == local.stdout
    for sql in [
        "SELECT * FROM staging.customers ORDER BY customer_id LIMIT 10",
        "SELECT * FROM prod.daily_sales ORDER BY order_date DESC LIMIT 10",
        "SELECT * FROM prod.daily_product_metrics ORDER BY total_revenue DESC, order_date, product_id LIMIT 10",
    ]:
        a = runner.invoke(cli, ["query", sql, "--warehouse", wh, "--format", "csv"])
        b = runner.invoke(cli, ["query", sql, "--pg-url", pg_url, "--format", "csv"])
        assert b.exit_code == 0, b.output
        assert a.stdout == b.stdout
        assert a.stdout.count("\n") == 11


def test_second_run_on_the_same_database_is_refused(pg_ready, generated_dir, tmp_path):
    with (
        PostgresTarget(pg_ready) as holder,
        holder.lock(),
        pytest.raises(EtlError, match="another etl run holds the lock"),
    ):
        run_pipeline(
            Settings(
                data_dir=generated_dir,
                warehouse=tmp_path / "w.duckdb",
                pg_url=pg_ready,
            )
        )


@pytest.mark.parametrize(
    "after", ["raw.order_items", "postgres: raw", "postgres: staging"]
)
def test_killed_publish_then_rerun_equals_a_clean_run(
    pg_ready, generated_dir, tmp_path, after
):
    warehouse = tmp_path / "w.duckdb"
    env = dict(os.environ, ETL_PG_URL=pg_ready)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "engine",
            "run",
            "--data-dir",
            str(generated_dir),
            "--warehouse",
            str(warehouse),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Kill it while it publishes (progress says so on stderr).
    seen = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        seen += line
        if not line or line.startswith(after):
            break
    time.sleep(0.15)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, seen
    summary = run_pipeline(
        Settings(data_dir=generated_dir, warehouse=warehouse, pg_url=pg_ready)
    )
    assert summary.status == "succeeded"
    assert_same(duck_contents(warehouse), pg_contents(pg_ready))
    for entity in contracts.ENTITIES:
        dupes = run_sql(
            pg_ready,
            f"SELECT count(*) FROM (SELECT 1 FROM raw.{entity} GROUP BY _source_file, _source_row HAVING count(*) > 1) AS d",
        )
        assert dupes == [(0,)]
    statuses = run_sql(pg_ready, "SELECT status FROM meta.runs")
    assert ("succeeded",) in statuses


def test_full_refresh_and_a_new_warehouse_republish_raw(
    pg_ready, generated_dir, tmp_path
):
    settings = Settings(
        data_dir=generated_dir, warehouse=tmp_path / "w.duckdb", pg_url=pg_ready
    )
    run_pipeline(settings)
    refreshed = run_pipeline(dataclasses.replace(settings, full_refresh=True))
    assert refreshed.published["raw"].rows > 0
    assert_same(duck_contents(settings.warehouse), pg_contents(pg_ready))
    fresh = Settings(
        data_dir=generated_dir, warehouse=tmp_path / "other.duckdb", pg_url=pg_ready
    )
    run_pipeline(fresh)
    assert_same(duck_contents(fresh.warehouse), pg_contents(pg_ready))


def test_named_queries_agree_on_both_targets(runner, pg_ready, generated_dir, tmp_path):
    from queries.analytics import named_queries

    wh = str(tmp_path / "w.duckdb")
    run_pipeline(
        Settings(
            data_dir=generated_dir, warehouse=tmp_path / "w.duckdb", pg_url=pg_ready
        )
    )
    assert len(named_queries()) >= 6
    for name in named_queries():
        local = runner.invoke(
            cli, ["query", name, "--warehouse", wh, "--format", "json"]
        )
        remote = runner.invoke(
            cli, ["query", name, "--pg-url", pg_ready, "--format", "json"]
        )
        assert local.exit_code == remote.exit_code == 0, (
            name,
            local.output,
            remote.output,
        )
        assert local.stdout == remote.stdout, name
        assert local.stdout.strip() != "[]", name
