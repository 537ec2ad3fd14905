from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner


@pytest.fixture
def warehouse_path(tmp_path):
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def small_dir(tmp_path):
    """Two clean hand-made days of every table."""
    from tests.parquet_files import write_day

    root = tmp_path / "data"
    write_day(root, dt.date(2025, 1, 1), n=2, start=1)
    write_day(root, dt.date(2025, 1, 2), n=2, start=3)
    return root
