"""What a PostgreSQL user sees: column comments in psql, skipped no-change publishes, one number format."""

from __future__ import annotations

import re
import subprocess

import duckdb
import pytest

from engine import contracts
from engine.cli import cli
from tests.pg_server import run_sql

pytestmark = pytest.mark.postgres


def _run(runner, data, warehouse, url, *extra):
    args = [
        "run",
        "--data-dir",
        str(data),
        "--warehouse",
        str(warehouse),
        "--pg-url",
        url,
    ]
    result = runner.invoke(cli, [*args, *extra])
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def published(runner, pg_url, generated_dir, tmp_path):
    """The generated month built and published once, as a user would after setup."""
    warehouse = tmp_path / "w.duckdb"
    assert (
        runner.invoke(
            cli, ["setup", "-q", "--pg-url", pg_url, "--warehouse", str(warehouse)]
        ).exit_code
        == 0
    )
    first = _run(runner, generated_dir, warehouse, pg_url)
    return warehouse, first


def test_psql_shows_a_comment_on_every_column(pg_url, published):
    described = subprocess.run(
        ["psql", pg_url, "-X", "-c", r"\d+ prod.customer_metrics"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for column, comment in contracts.column_comments()["prod.customer_metrics"].items():
        assert re.search(
            rf"^ {column} .*\| {re.escape(comment)}\s*$", described, re.M
        ), column
    # Every column of every table, after staging and prod were swapped in by the run.
    missing = run_sql(
        pg_url,
        "SELECT n.nspname || '.' || c.relname || '.' || a.attname FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname IN ('raw', 'staging', 'prod', 'meta') AND c.relkind = 'r' "
        "AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL",
    )
    assert missing == []


def test_the_warehouse_has_the_same_column_comments(published):
    warehouse, _ = published
    con = duckdb.connect(str(warehouse), read_only=True)
    found = con.sql(
        "SELECT schema_name || '.' || table_name, column_name, comment FROM duckdb_columns() "
        "WHERE schema_name IN ('raw', 'staging', 'prod', 'meta')"
    ).fetchall()
    con.close()
    expected = contracts.column_comments()
    assert {(t, c): text for t, c, text in found} == {
        (t, c): text for t, columns in expected.items() for c, text in columns.items()
    }


def test_a_no_change_run_sends_nothing_and_a_publish_skips_what_the_target_holds(
    runner, pg_url, generated_dir, published
):
    warehouse, first = published
    for layer in ("raw", "staging", "prod"):
        assert re.search(
            rf"^postgres: {layer}: [\d,]+ rows published \([\d.]+ s\)$",
            first.stderr,
            re.M,
        ), first.stderr
    sent = first.stdout.splitlines()[-2]
    assert re.fullmatch(
        r"published to \S+: raw [\d,]+ rows [\d.]+ s, staging [\d,]+ rows [\d.]+ s, prod [\d,]+ rows [\d.]+ s",
        sent,
    )
    again = _run(runner, generated_dir, warehouse, pg_url)
    assert re.fullmatch(
        r"published to \S+: raw 0 rows [\d.]+ s, staging up to date, prod up to date",
        again.stdout.splitlines()[-2],
    )
    assert "postgres: staging: up to date, nothing sent" in again.stderr
    publish = runner.invoke(
        cli, ["publish", "--warehouse", str(warehouse), "--pg-url", pg_url]
    )
    assert publish.exit_code == 0, publish.stderr
    assert re.fullmatch(
        r"published to \S+: raw 0 rows [\d.]+ s, staging up to date, prod up to date\n",
        publish.stdout,
    )
    # A new as-of rebuilds and sends prod only.
    later = _run(runner, generated_dir, warehouse, pg_url, "--as-of", "2025-03-01")
    assert re.fullmatch(
        r"published to \S+: raw 0 rows [\d.]+ s, staging up to date, prod [\d,]+ rows [\d.]+ s",
        later.stdout.splitlines()[-2],
    )
    ((days,),) = run_sql(
        pg_url, "SELECT min(days_since_last_order) FROM prod.customer_metrics"
    )
    assert days >= 28


def test_status_on_postgres_formats_numbers_like_the_warehouse(
    runner, pg_url, published
):
    warehouse, _ = published
    local = runner.invoke(cli, ["status", "--warehouse", str(warehouse)])
    remote = runner.invoke(cli, ["status", "--pg-url", pg_url])
    assert remote.exit_code == 0, remote.stderr

    def runs(out):
        lines = out.splitlines()
        # run_id, status, layers, started_at (two words), seconds, raw_rows_in, rejected;
        # seconds may differ in the last digit (each server rounds its own interval).
        return [line.split()[6:8] for line in lines[lines.index("Last runs") + 3 :]]

    def tables(out):
        lines = out.splitlines()
        return lines[: lines.index("Last runs")]

    assert tables(remote.stdout) == tables(local.stdout)
    # raw_rows_in and rejected: bigint in DuckDB, numeric sums in Postgres; both grouped.
    assert runs(remote.stdout) == runs(local.stdout)
    assert "," in runs(remote.stdout)[0][0]
