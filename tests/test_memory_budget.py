from __future__ import annotations

import shutil

import duckdb
import pytest
from polars.testing import assert_frame_equal

from engine import contracts, pipeline, warehouse
from engine.config import Settings
from engine.errors import SourceError
from engine.memory import DUCKDB_SHARE
from engine.pipeline import run_pipeline
from engine.progress import NullProgress
from tests import oracle

MIB = 2**20


class Watch(NullProgress):
    """Looks at the run's connection and temp directory at every step it starts."""

    def __init__(self, monkeypatch, path):
        self.temp = warehouse.temp_directory(path)
        self.seen = []
        self.con = None
        opened = warehouse.open_warehouse

        def open_and_keep(*args, **kwargs):
            self.con = opened(*args, **kwargs)
            return self.con

        monkeypatch.setattr(pipeline.warehouse, "open_warehouse", open_and_keep)

    def start(self, task, total=None):
        ((limit, temp, spilled),) = self.con.sql(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory'), "
            "(SELECT coalesce(sum(size), 0) FROM duckdb_temporary_files())"
        ).fetchall()
        self.seen.append((task, limit, temp, self.temp.is_dir(), spilled))


def duckdb_says(size):
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{size}B'")
        ((limit,),) = con.sql("SELECT current_setting('memory_limit')").fetchall()
        return limit
    finally:
        con.close()


def stored(path):
    """Every staging and prod table in stored order, as the readers get them."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            f"{layer}.{t}": warehouse.read_table(con, f"{layer}.{t}")
            for layer in ("staging", "prod")
            for t in contracts.tables(layer)
        }
    finally:
        con.close()


def run_tables(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(
            "SELECT table_name, rows_in, rows_out, rows_rejected, rows_duplicate "
            "FROM meta.run_tables ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_the_budget_reaches_duckdb_with_a_temp_directory_for_the_run(
    generated_dir, tmp_path, monkeypatch, engine
):
    settings = Settings(
        data_dir=generated_dir,
        warehouse=tmp_path / "w.duckdb",
        engine=engine,
        memory_limit=1000 * MIB,
    )
    watch = Watch(monkeypatch, settings.warehouse)
    run_pipeline(settings, progress=watch)
    share = duckdb_says(int(1000 * MIB * DUCKDB_SHARE[engine]))
    temp = str(tmp_path / "w.duckdb.tmp")
    assert [task for task, *_ in watch.seen][-2:] == [
        f"staging: clean ({engine})",
        f"prod: aggregate ({engine})",
    ]
    assert {tuple(seen[1:4]) for seen in watch.seen} == {(share, temp, True)}
    assert not watch.temp.exists()


def test_the_temp_directory_is_removed_after_a_failed_run(
    generated_dir, tmp_path, monkeypatch
):
    data = tmp_path / "data"
    shutil.copytree(generated_dir, data)
    (data / "orders" / "2025-01-20" / "data.parquet").write_bytes(b"garbage")
    settings = Settings(data_dir=data, warehouse=tmp_path / "w.duckdb", engine="duckdb")
    watch = Watch(monkeypatch, settings.warehouse)
    # A directory left by a killed run goes too.
    (watch.temp / "duckdb_temp_1_0_storage_DEFAULT-0.tmp").parent.mkdir()
    (watch.temp / "duckdb_temp_1_0_storage_DEFAULT-0.tmp").write_bytes(b"x")
    with pytest.raises(SourceError, match="2025-01-20"):
        run_pipeline(settings, progress=watch)
    assert watch.seen
    assert all(in_place for *_, in_place, _ in watch.seen)
    assert not watch.temp.exists()


def test_publish_reads_under_its_share_and_leaves_no_temp_directory(
    built_warehouse,
):
    con = warehouse.open_warehouse(
        built_warehouse, read_only=True, memory_limit=100 * MIB
    )
    temp = warehouse.temp_directory(built_warehouse)
    try:
        limit = con.sql("SELECT current_setting('memory_limit')").fetchall()
        assert limit == [(duckdb_says(100 * MIB),)]
        assert temp.is_dir()
    finally:
        warehouse.close_warehouse(con, built_warehouse)
    assert not temp.exists()


def test_duckdb_engine_spills_under_a_tiny_budget_with_equal_results(
    generated_dir, built_warehouse, tmp_path, monkeypatch
):
    unlimited = Settings(
        data_dir=generated_dir, warehouse=tmp_path / "big.duckdb", engine="duckdb"
    )
    run_pipeline(unlimited)
    # DuckDB gets 32 MiB on one thread: the month's staging no longer fits.
    tiny = Settings(
        data_dir=generated_dir,
        warehouse=tmp_path / "tiny.duckdb",
        engine="duckdb",
        threads=1,
        memory_limit=int(32 * MIB / DUCKDB_SHARE["duckdb"]),
    )
    watch = Watch(monkeypatch, tiny.warehouse)
    run_pipeline(tiny, progress=watch)
    assert max(spilled for *_, spilled in watch.seen) > 0
    expected, by_polars = stored(unlimited.warehouse), stored(built_warehouse)
    for table, frame in stored(tiny.warehouse).items():
        assert_frame_equal(frame, expected[table], check_exact=True)
        assert_frame_equal(frame, by_polars[table], check_exact=True)
    assert run_tables(tiny.warehouse) == run_tables(built_warehouse)
    staged = oracle.stage(oracle.read_raw(generated_dir))
    for entity, want in staged.items():
        assert expected[f"staging.{entity}"].height == len(want.clean), entity
    assert expected["prod.daily_sales"].rows() == oracle.daily_sales(staged)
