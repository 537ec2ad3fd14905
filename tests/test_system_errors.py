from __future__ import annotations

import datetime as dt
import errno
import os
import subprocess

import duckdb
import pytest

from engine.cli import cli
from engine.failures import explain
from tests.parquet_files import SOURCE_SCHEMAS, sample_rows, write_day, write_partition


def _run(runner, data, warehouse):
    return runner.invoke(
        cli, ["run", "--data-dir", str(data), "--warehouse", str(warehouse), "-q"]
    )


def _one_line(result, start):
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(start), result.stderr
    assert "unexpected" not in result.stderr


@pytest.fixture
def tiny_disk(tmp_path):
    """An 8 MB tmpfs: a tiny warehouse fits, a month of generated data does not."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8000000", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_is_one_line_and_the_run_is_logged_failed(
    runner, small_dir, generated_dir, tiny_disk
):
    warehouse = tiny_disk / "warehouse.duckdb"
    assert _run(runner, small_dir, warehouse).exit_code == 0
    result = _run(runner, generated_dir, warehouse)
    _one_line(result, "Error: disk full: ")
    assert "No space left on device" in result.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        runs = con.sql(
            "SELECT status, error FROM meta.runs ORDER BY started_at"
        ).fetchall()
    assert [status for status, _ in runs] == ["succeeded", "failed"]
    assert "No space left on device" in runs[1][1]


def test_disk_full_behind_an_invalidated_database_is_still_named():
    # The real exception types DuckDB raises when a checkpoint hits a full disk and
    # the next statement finds the database invalidated.
    def invalidated() -> None:
        full = 'FATAL Error: Failed to create checkpoint because of error: Could not write file "w.duckdb": No space left on device'
        gone = "FATAL Error: database has been invalidated because of a previous fatal error"
        try:
            raise duckdb.FatalException(full)  # noqa: TRY301
        except duckdb.FatalException:
            # `from None` hides the cause from tracebacks but keeps it as context.
            raise duckdb.FatalException(gone) from None

    with pytest.raises(duckdb.FatalException) as caught:
        invalidated()
    found = explain(caught.value)
    assert found is not None
    assert str(found).startswith("disk full: FATAL Error: Failed to create checkpoint")
    assert "No space left on device" in str(found)
    enospc = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/data/w.duckdb.wal")
    assert "No space left on device" in str(explain(enospc))


def test_a_directory_named_like_a_parquet_file(runner, small_dir, warehouse_path):
    (small_dir / "orders" / "2025-01-02" / "x.parquet").mkdir()
    result = _run(runner, small_dir, warehouse_path)
    _one_line(
        result,
        "Error: orders/2025-01-02/x.parquet: is a directory, not a Parquet file; ",
    )


def test_a_file_that_cannot_be_read(runner, small_dir, warehouse_path):
    path = small_dir / "orders" / "2025-01-02" / "data.parquet"
    if os.geteuid() == 0:
        # root reads any file whatever its mode: take the real error of a read that
        # the OS refuses, and check the message the CLI makes of it.
        from engine.sources import SourceFile, unreadable

        file = SourceFile(
            "orders", path, "orders/2025-01-02/data.parquet", dt.date(2025, 1, 2), 1
        )
        denied = PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        assert str(unreadable(file, denied)) == (
            "orders/2025-01-02/data.parquet: cannot read the file (Permission denied); "
            "fix its permissions or remove it"
        )
        return
    path.chmod(0)
    result = _run(runner, small_dir, warehouse_path)
    _one_line(
        result,
        "Error: orders/2025-01-02/data.parquet: cannot read the file (Permission denied)",
    )


def test_a_garbled_data_page_names_the_file(runner, small_dir, warehouse_path):
    day = dt.date(2025, 1, 3)
    write_day(small_dir, day, n=200, start=10)
    path = small_dir / "customers" / day.isoformat() / "data.parquet"
    data = bytearray(path.read_bytes())
    # Inside the first column's compressed page; the footer stays intact.
    for i in range(len(data) // 20, len(data) // 20 + 16):
        data[i] ^= 0xA5
    path.write_bytes(bytes(data))
    result = _run(runner, small_dir, warehouse_path)
    _one_line(
        result, "Error: customers/2025-01-03/data.parquet: cannot read its rows ("
    )


def test_invalid_utf8_names_the_file(runner, small_dir, warehouse_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    day = dt.date(2025, 1, 3)
    rows = sample_rows("customers", day, n=2, start=10)
    table = pa.Table.from_pylist(rows, schema=SOURCE_SCHEMAS["customers"])
    raw = pa.array([b"Ann\xff\xfe", b"Bob"], pa.binary())
    table = table.set_column(
        1, "customer_name", pa.Array.from_buffers(pa.string(), 2, raw.buffers())
    )
    folder = small_dir / "customers" / day.isoformat()
    folder.mkdir()
    pq.write_table(table, folder / "data.parquet")
    for other in ("products", "orders", "order_items"):
        write_partition(small_dir, other, day, [])
    result = _run(runner, small_dir, warehouse_path)
    _one_line(
        result, "Error: customers/2025-01-03/data.parquet: cannot read its rows ("
    )
    assert "not valid UTF8" in result.stderr


@pytest.mark.postgres
def test_terminated_backends_end_with_the_translated_error_not_a_traceback(
    runner, small_dir, warehouse_path, pg_url
):
    import subprocess
    import sys
    import time

    import adbc_driver_postgresql.dbapi as adbc_pg

    from tests.pg_server import run_sql

    where = ["--data-dir", str(small_dir), "--warehouse", str(warehouse_path)]
    assert runner.invoke(cli, ["setup", "--pg-url", pg_url]).exit_code == 0
    first = runner.invoke(cli, ["run", *where, "--pg-url", pg_url, "-q"])
    assert first.exit_code == 0, first.stderr
    # A reader's lock holds the republish of prod mid-way; then every etl backend dies.
    blocker = adbc_pg.connect(pg_url, autocommit=False)
    try:
        with blocker.cursor() as cur:
            cur.execute("LOCK TABLE prod.daily_sales IN ACCESS EXCLUSIVE MODE")
        # --full-refresh: a run with nothing new would skip every layer as up to date.
        etl = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "engine",
                "run",
                *where,
                "--full-refresh",
                "--pg-url",
                pg_url,
                "-q",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'etl' AND wait_event_type = 'Lock'"
        deadline = time.monotonic() + 120
        while run_sql(pg_url, waiting) == [(0,)] and etl.poll() is None:
            assert time.monotonic() < deadline, "etl never waited for the lock"
            time.sleep(0.2)
        run_sql(
            pg_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'etl'",
        )
        _, stderr = etl.communicate(timeout=120)
    finally:
        blocker.close()
    assert etl.returncode == 1
    lines = stderr.splitlines()
    assert "Traceback" not in stderr
    assert len(lines) <= 2, stderr
    assert lines[-1].startswith("Error: lost the connection to PostgreSQL"), stderr
