"""Readers (`etl status`, `etl dq`, `etl query`) wait for a running build instead of failing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from engine.cli import cli

# Holds the warehouse open for writing, as `etl run` does, until told to let go.
HOLDER = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
con.close()
print("released", flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def writer(runner, warehouse_path):
    assert (
        runner.invoke(cli, ["setup", "--warehouse", str(warehouse_path)]).exit_code == 0
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "ready"
    yield holder
    holder.kill()
    holder.wait()
    holder.stdin.close()
    holder.stdout.close()


def test_with_wait_0_a_reader_fails_at_once(runner, writer, warehouse_path):
    result = runner.invoke(
        cli, ["query", "SELECT 1", "--warehouse", str(warehouse_path), "--wait", "0"]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {warehouse_path}: the warehouse is in use by another etl process; wait for it to finish and retry\n"
    )


def test_a_reader_says_it_waits_then_fails_with_one_line(
    runner, writer, warehouse_path
):
    result = runner.invoke(
        cli,
        ["dq", "--warehouse", str(warehouse_path)],
        env={"ETL_WAIT": "0.5"},
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{warehouse_path}: another etl process is writing the warehouse; waiting up to 0.5 s for it to finish (--wait)",
        f"Error: {warehouse_path}: still in use by another etl process after 0.5 s; retry when it finishes, or wait longer with --wait (ETL_WAIT)",
    ]


def test_a_reader_waits_for_the_build_and_then_reads(writer, warehouse_path):
    reader = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "engine",
            "status",
            "--warehouse",
            str(warehouse_path),
            "--format",
            "csv",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # The reader announces that it waits; only then does the writer let go.
    first = reader.stderr.readline()
    assert first == (
        f"{warehouse_path}: another etl process is writing the warehouse; waiting up to 300 s for it to finish (--wait)\n"
    )
    writer.stdin.write("\n")
    writer.stdin.flush()
    assert writer.stdout.readline().strip() == "released"
    out, err = reader.communicate(timeout=300)
    assert (reader.returncode, err) == (0, "")
    assert out.splitlines()[0].startswith("report,table_name,rows,")


def test_quiet_readers_wait_silently(runner, writer, warehouse_path):
    result = runner.invoke(
        cli, ["status", "-q", "--wait", "0.3", "--warehouse", str(warehouse_path)]
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {warehouse_path}: still in use by another etl process after 0.3 s; retry when it finishes, or wait longer with --wait (ETL_WAIT)"
    ]
