from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

pytest_plugins = ["tests.pg_server"]
# Helpers that assert on behalf of several test modules keep pytest's detailed messages.
pytest.register_assert_rewrite("tests.staging_engines", "tests.staging_rows")


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


@pytest.fixture(scope="session")
def generated_dir(tmp_path_factory):
    """A month of dirty generated data (every dirt kind at its default rate)."""
    from engine.generate import generate_dataset

    root = tmp_path_factory.mktemp("generated")
    generate_dataset(
        root, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31), scale=0.3, seed=7
    )
    return root


@pytest.fixture(scope="session")
def built_warehouse(generated_dir, tmp_path_factory):
    """The generated month built through every layer once, for read-only tests."""
    from engine.config import Settings
    from engine.pipeline import run_pipeline

    path = tmp_path_factory.mktemp("built") / "warehouse.duckdb"
    run_pipeline(Settings(data_dir=generated_dir, warehouse=path))
    return path


@pytest.fixture
def target(pg_url):
    """A set-up PostgresTarget on the test's own database (test_postgres_*.py)."""
    from engine.postgres import PostgresTarget

    with PostgresTarget(pg_url) as target:
        target.setup()
        yield target
