"""`etl ... | head`: a reader that goes away early ends etl quietly, as it ends `cat`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from engine.cli import cli

ETL = [sys.executable, "-m", "engine"]


def _into_closed_pipe(*args):
    read, write = os.pipe()
    os.close(read)  # the reader is gone before etl writes its first byte
    try:
        return subprocess.run(
            [*ETL, *args], stdout=write, stderr=subprocess.PIPE, text=True, timeout=300
        )
    finally:
        os.close(write)


@pytest.fixture
def built(runner, small_dir, warehouse_path):
    args = ["run", "--data-dir", str(small_dir), "--warehouse", str(warehouse_path)]
    assert runner.invoke(cli, [*args, "-q"]).exit_code == 0
    return warehouse_path


@pytest.mark.parametrize(
    "command",
    [["status"], ["dq"], ["query", "SELECT * FROM raw.orders"]],
    ids=["status", "dq", "query"],
)
def test_a_closed_pipe_ends_etl_quietly_with_status_141(built, command):
    done = _into_closed_pipe(*command, "--warehouse", str(built))
    assert (done.returncode, done.stderr) == (141, "")


def test_a_shell_pipeline_sees_the_status_a_unix_tool_gives(built):
    # `head -0` leaves before etl (a second of imports) writes: a reader gone early.
    script = 'set -o pipefail; "$@" | head -0; echo "pipeline $? etl ${PIPESTATUS[0]}"'
    for tool in (["seq", "1", "100000"], [*ETL, "status", "--warehouse", str(built)]):
        done = subprocess.run(
            ["bash", "-c", script, "sh", *tool],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert (done.stdout, done.stderr) == ("pipeline 141 etl 141\n", "")
