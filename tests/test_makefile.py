"""The classic course pipeline's make targets run the same `etl` commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {
    "etl-setup-schema": "etl setup",
    "etl-generate-raw": "etl generate --out raw_data",
    "etl-generate-raw-test": "etl generate --out raw_data --days 3",
    "etl-run-all": "etl run --data-dir raw_data",
}


def _make(*args, env=None, cwd=ROOT):
    return subprocess.run(
        ["make", "-s", "-f", str(ROOT / "Makefile"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=True,
    )


@pytest.mark.parametrize(("target", "command"), TARGETS.items())
def test_each_target_is_its_etl_command(target, command, tmp_path):
    dry = _make("-n", target, "ETL=etl", env={"ETL_DATA_DIR": ""}, cwd=tmp_path)
    assert dry.stdout == command + "\n"


@pytest.mark.parametrize("target", TARGETS)
def test_each_target_is_in_the_readme(target):
    readme = (ROOT / "README.md").read_text()
    assert f"`make {target}`" in readme
    assert f"`{TARGETS[target]}" in readme


def test_the_targets_build_a_warehouse_from_three_days(tmp_path):
    env = {
        "ETL": f"{sys.executable} -m engine",
        "ETL_DATA_DIR": str(tmp_path / "data"),
        "ETL_WAREHOUSE": str(tmp_path / "w.duckdb"),
        "ETL_PG_URL": "",
    }
    for target in ["etl-setup-schema", "etl-generate-raw-test", "etl-run-all"]:
        _make(target, env=env, cwd=tmp_path)
    assert sorted(p.name for p in (tmp_path / "data" / "orders").iterdir()) == [
        "2025-01-01",
        "2025-01-02",
        "2025-01-03",
    ]
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    ((days,),) = con.sql("SELECT count(*) FROM prod.daily_sales").fetchall()
    con.close()
    assert days == 2  # orders start on the second day
