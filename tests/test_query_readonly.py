from __future__ import annotations

import uuid
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from engine.cli import cli
from tests.pg_server import run_sql, with_database

ALLOWED = "etl query runs exactly one read-only statement"


def _query(runner, sql, *where):
    return runner.invoke(cli, ["query", sql, *where, "--format", "csv"])


def _refused(result, *expected):
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    for text in expected:
        assert text in result.stderr


@pytest.fixture
def warehouse(runner, warehouse_path):
    assert (
        runner.invoke(cli, ["setup", "--warehouse", str(warehouse_path)]).exit_code == 0
    )
    with duckdb.connect(str(warehouse_path)) as con:
        con.execute(
            "INSERT INTO meta.runs (run_id, status, layers, started_at) VALUES ('7', 'success', 'raw', now())"
        )
    return warehouse_path


def _runs(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql("SELECT run_id, status FROM meta.runs").fetchall()


def test_the_attach_detach_attack_changes_nothing(runner, warehouse, tmp_path):
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    attack = (
        f"ATTACH '{other}' AS n (READ_WRITE); USE n; DETACH warehouse; "
        f"ATTACH '{warehouse}' AS w (READ_WRITE); DROP TABLE w.prod.daily_sales; "
        "DELETE FROM w.meta.runs; select 'done'"
    )
    result = _query(runner, attack, "--warehouse", str(warehouse))
    _refused(result, ALLOWED, "got 7 statements (ATTACH, SET, DETACH, ATTACH, DROP")
    assert _runs(warehouse) == [("7", "success")]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM prod.daily_sales").fetchall() == [(0,)]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("DELETE FROM meta.runs", "got DELETE; tables change only through"),
        ("ATTACH '{tmp}/new.duckdb' AS n", "got ATTACH"),
        ("COPY meta.runs TO '{tmp}/out.csv'", "got COPY"),
        ("EXPORT DATABASE '{tmp}/export'", "got EXPORT"),
        ("CREATE TEMP TABLE t AS SELECT 1", "got CREATE"),
        ("SET threads = 1", "got SET"),
        ("CALL checkpoint()", "got CALL"),
        ("PRAGMA show_tables", "got PRAGMA"),
        ("SELECT 1; SELECT 2", "got 2 statements (SELECT, SELECT)"),
        ("/* nothing */", "got no statement"),
        ("SELECT * FROM read_text('/etc/passwd')", '"/etc/passwd" is outside it'),
        ("SELECT * FROM read_csv('{tmp}/outside.csv')", 'outside.csv" is outside it'),
        ("SELECT * FROM '{tmp}/outside.csv'", 'outside.csv" is outside it'),
        ("SELECT * FROM glob('/etc/*')", '"/etc/*" is outside it'),
        ("SELECT * FROM read_parquet('{tmp}/*.parquet')", "is outside it"),
    ],
)
def test_duckdb_refuses_anything_but_one_read(
    runner, warehouse, tmp_path, sql, expected
):
    (tmp_path / "outside.csv").write_text("secret\nLEAK\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = _query(runner, sql.format(tmp=tmp_path), "--warehouse", str(warehouse))
    _refused(result, expected)
    assert "LEAK" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert _runs(warehouse) == [("7", "success")]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT run_id FROM meta.runs;",
        "WITH r AS (SELECT run_id FROM meta.runs) SELECT * FROM r -- trailing comment",
        "FROM meta.runs SELECT run_id",
        "SELECT run_id FROM (DESCRIBE meta.runs) AS d, meta.runs LIMIT 1",
    ],
)
def test_duckdb_reads_still_work(runner, warehouse, sql):
    result = _query(runner, sql, "--warehouse", str(warehouse))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == "7"


def test_describe_show_and_summarize_are_reads(runner, warehouse):
    for sql in ("DESCRIBE meta.runs", "SHOW TABLES", "SUMMARIZE meta.runs"):
        assert _query(runner, sql, "--warehouse", str(warehouse)).exit_code == 0


@pytest.fixture(scope="module")
def pg_target(postgres_server):
    # One database for the module (tests only read it and check it is unchanged).
    name = f"etl_test_{uuid.uuid4().hex[:8]}"
    run_sql(postgres_server, f"CREATE DATABASE {name}")
    pg_url = with_database(postgres_server, name)
    try:
        assert CliRunner().invoke(cli, ["setup", "--pg-url", pg_url]).exit_code == 0
        run_sql(
            pg_url,
            "INSERT INTO meta.runs (run_id, status, layers, started_at) VALUES ('7', 'success', 'raw', now())",
        )
        yield pg_url
    finally:
        run_sql(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "COPY (select 1) TO PROGRAM 'touch {marker}'",
            "cannot take it as one: syntax error",
        ),
        (
            "SELECT 1; COPY (select 1) TO PROGRAM 'touch {marker}'",
            "cannot take it as one",
        ),
        (
            "SELECT 1) AS q; COPY (select 1) TO PROGRAM 'touch {marker}'; SELECT * FROM (SELECT 1",
            "cannot take it as one",
        ),
        ("DELETE FROM meta.runs", "cannot take it as one: syntax error"),
        (
            "WITH d AS (DELETE FROM meta.runs RETURNING *) SELECT * FROM d",
            "cannot take it as one",
        ),
        ("DO $$ BEGIN DELETE FROM meta.runs; END $$", "cannot take it as one"),
        ("SET ROLE postgres", "cannot take it as one"),
        ("SELECT pg_read_file('/etc/passwd')", "pg_read_file() is refused"),
        ("SELECT * FROM pg_ls_dir('/')", "pg_ls_dir() is refused"),
        ("SELECT lo_import('/etc/passwd')", "lo_import() is refused"),
        ("SELECT lo_export(1, '{marker}')", "lo_export() is refused"),
        (
            "SELECT set_config('default_transaction_read_only', 'off', false)",
            "set_config() is refused",
        ),
        (
            "SELECT pg_terminate_backend(pg_backend_pid())",
            "pg_terminate_backend() is refused",
        ),
        (
            "SELECT query_to_xml('select pg_read_file(''/etc/passwd'')', true, true, '')",
            "query_to_xml() is refused",
        ),
        (
            "SELECT x FROM (SELECT PG_READ_FILE('/etc/passwd') AS x) AS s",
            "pg_read_file() is refused",
        ),
        ("SELECT * FROM meta.runs FOR UPDATE", "read-only transaction"),
    ],
)
def test_postgres_refuses_anything_but_one_plain_read(runner, pg_target, sql, expected):
    marker = Path(f"/tmp/etl_query_attack_{uuid.uuid4().hex}")
    result = _query(runner, sql.format(marker=marker), "--pg-url", pg_target)
    _refused(result, expected)
    assert "root:" not in result.output
    assert not marker.exists()
    assert run_sql(pg_target, "SELECT run_id, status FROM meta.runs") == [
        ("7", "success")
    ]


@pytest.mark.postgres
def test_postgres_reads_and_named_queries_still_work(runner, pg_target):
    for sql in (
        "SELECT run_id FROM meta.runs;",
        "SELECT run_id FROM meta.runs -- a comment",
        "WITH r AS (SELECT run_id FROM meta.runs) SELECT * FROM r ORDER BY 1",
        "TABLE meta.runs",
    ):
        result = _query(runner, sql, "--pg-url", pg_target)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.splitlines()[1].split(",")[0] == "7"
    for name in ("dq_impact", "daily_sales_latest", "top_products"):
        assert _query(runner, name, "--pg-url", pg_target).exit_code == 0
    assert runner.invoke(cli, ["dq", "--pg-url", pg_target]).exit_code == 0
    assert runner.invoke(cli, ["status", "--pg-url", pg_target]).exit_code == 0
