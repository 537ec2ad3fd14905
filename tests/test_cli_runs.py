"""`etl run` and `etl setup` on bad input leave nothing behind; a no-change run is skipped."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from engine.cli import cli
from tests.parquet_files import write_day


def _run(runner, data, warehouse, *extra):
    args = ["run", "--data-dir", str(data), "--warehouse", str(warehouse), *extra]
    return runner.invoke(cli, args)


def _query(warehouse, sql):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def _contents(warehouse):
    tables = [
        f"{s}.{t}"
        for s, t in _query(
            warehouse,
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE schema_name IN ('staging', 'prod') ORDER BY ALL",
        )
    ]
    return {t: _query(warehouse, f"SELECT * FROM {t} ORDER BY ALL") for t in tables}


def test_a_run_on_a_missing_data_dir_creates_no_warehouse(
    runner, tmp_path, warehouse_path
):
    result = _run(runner, tmp_path / "nowhere", warehouse_path)
    assert result.exit_code == 1
    assert not warehouse_path.exists()
    status = runner.invoke(cli, ["status", "--warehouse", str(warehouse_path)])
    assert status.exit_code == 1
    assert status.stderr == (
        f'Error: {warehouse_path}: no warehouse here yet; build it with "etl run" or pass --warehouse\n'
    )


def test_a_first_run_that_fails_later_removes_its_warehouse(
    runner, small_dir, warehouse_path
):
    bad = small_dir / "orders" / "2025-01-03" / "data.parquet"
    bad.parent.mkdir()
    bad.write_bytes(b"not parquet")
    result = _run(runner, small_dir, warehouse_path, "-q")
    assert result.exit_code == 1
    assert "orders/2025-01-03/data.parquet" in result.stderr
    assert list(warehouse_path.parent.glob("warehouse.duckdb*")) == []


def test_building_later_layers_needs_a_warehouse(runner, small_dir, warehouse_path):
    result = _run(runner, small_dir, warehouse_path, "--layers", "staging,prod")
    assert result.exit_code == 1
    assert result.stderr == (
        f'Error: {warehouse_path}: no warehouse here yet; build it with "etl run" (all layers) or pass --warehouse\n'
    )
    assert not warehouse_path.exists()


@pytest.mark.postgres
def test_setup_with_a_bad_pg_url_creates_nothing_and_claims_nothing(
    runner, warehouse_path
):
    url = "postgresql://postgres@127.0.0.1:1/nowhere"
    result = runner.invoke(
        cli, ["setup", "--warehouse", str(warehouse_path), "--pg-url", url]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot reach PostgreSQL at {url}: ")
    assert result.stderr.count("\n") == 1  # no "... are ready" before the error
    assert not warehouse_path.exists()


def test_a_no_change_run_is_skipped_and_says_so(runner, small_dir, warehouse_path):
    first = _run(runner, small_dir, warehouse_path)
    assert first.exit_code == 0, first.stderr
    built = _contents(warehouse_path)
    ((run_id,),) = _query(warehouse_path, "SELECT run_id FROM meta.runs")

    again = _run(runner, small_dir, warehouse_path)
    assert again.exit_code == 0, again.stderr
    assert f"staging: up to date: nothing changed since run {run_id}" in again.stderr
    assert f"prod: up to date: nothing changed since run {run_id}" in again.stderr
    assert "staging: clean" not in again.stderr
    lines = again.stdout.splitlines()
    assert [line.split()[0] for line in lines[2:-1]] == [
        "raw.customers",
        "raw.products",
        "raw.orders",
        "raw.order_items",
    ]
    assert lines[-1].endswith(
        f", as of 2025-01-02: raw {lines[-1].split(': raw ')[1].split()[0]} s, "
        f"staging up to date, prod up to date -> {warehouse_path}"
    )
    assert _contents(warehouse_path) == built
    # Only the first run logged staging and prod tables; dq's accounting still finds them.
    assert _query(
        warehouse_path,
        "SELECT DISTINCT run_id FROM meta.run_tables WHERE layer <> 'raw'",
    ) == [(run_id,)]


def _rebuilt(runner, data, warehouse, *extra):
    result = _run(runner, data, warehouse, "-q", *extra)
    assert result.exit_code == 0, result.stderr
    ((run_id,),) = _query(
        warehouse, "SELECT run_id FROM meta.runs ORDER BY started_at DESC LIMIT 1"
    )
    return {
        layer
        for (layer,) in _query(
            warehouse,
            f"SELECT DISTINCT layer FROM meta.run_tables WHERE run_id = '{run_id}' AND layer <> 'raw'",
        )
    }


def test_what_forces_a_rebuild(runner, small_dir, warehouse_path, monkeypatch):
    from engine import freshness

    assert _rebuilt(runner, small_dir, warehouse_path) == {"staging", "prod"}
    assert _rebuilt(runner, small_dir, warehouse_path) == set()
    assert _rebuilt(runner, small_dir, warehouse_path, "--as-of", "2025-01-02") == set()
    assert _rebuilt(runner, small_dir, warehouse_path, "--as-of", "2025-02-01") == {
        "prod"
    }
    assert _rebuilt(runner, small_dir, warehouse_path, "--as-of", "2025-02-01") == set()
    assert _rebuilt(runner, small_dir, warehouse_path, "--full-refresh") == {
        "staging",
        "prod",
    }
    assert _rebuilt(runner, small_dir, warehouse_path, "--engine", "duckdb") == {
        "staging",
        "prod",
    }
    write_day(small_dir, dt.date(2025, 1, 3), n=2, start=5)
    assert _rebuilt(runner, small_dir, warehouse_path, "--engine", "duckdb") == {
        "staging",
        "prod",
    }
    monkeypatch.setattr(freshness, "rules_fingerprint", lambda: "edited-rules")
    assert _rebuilt(runner, small_dir, warehouse_path, "--engine", "duckdb") == {
        "staging",
        "prod",
    }


def test_an_as_of_inside_the_data_is_refused_before_anything_is_built(
    runner, small_dir, warehouse_path
):
    result = _run(runner, small_dir, warehouse_path, "--as-of", "2025-01-01")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --as-of 2025-01-01 is before the last partition (2025-01-02), so "
        "days_since_* would count back from a date inside the data; pass 2025-01-02 "
        "or later, or leave --as-of out\n"
    )
    assert not warehouse_path.exists()
    assert _run(runner, small_dir, warehouse_path, "-q").exit_code == 0
    prod_only = _run(
        runner, small_dir, warehouse_path, "--layers", "prod", "--as-of", "2024-12-31"
    )
    assert prod_only.exit_code == 1
    assert (
        "--as-of 2024-12-31 is before the last partition (2025-01-02)"
        in prod_only.stderr
    )


def test_layers_with_a_gap_are_refused(runner):
    result = runner.invoke(cli, ["run", "--layers", "prod,raw"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--layers': 'prod,raw' skips staging, so prod would "
        "be built from a stale staging; give raw,staging,prod (or all)"
    )
