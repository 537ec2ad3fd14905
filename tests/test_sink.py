"""A third target is one module: a Parquet folder behind the sink protocol.

The sink below is the whole of it; it receives the layers through the code the
CLI runs (`etl run`, `etl publish`, `etl verify`), chosen by the one factory.
"""

from __future__ import annotations

import contextlib
import json

import duckdb
import pyarrow.parquet as pq
import pytest

from engine import contracts, sink
from engine.cli import cli
from engine.config import Settings
from engine.errors import SinkError
from engine.freshness import Build
from engine.pipeline import run_pipeline
from engine.sink import Reader, Rows, Sink


class ParquetSink:
    """Each table of each layer as <root>/<layer>/<table>.parquet, replaced whole."""

    kind = "parquet"

    def __init__(self, root):
        self.root = root
        self.where = str(root)
        self.committed = []
        self.runs = []
        self.locked = False

    def setup(self):
        for schema in (*contracts.LAYERS, "meta"):
            (self.root / schema).mkdir(parents=True, exist_ok=True)

    def check_setup(self, *, for_write=True):
        missing = [s for s in contracts.LAYERS if not (self.root / s).is_dir()]
        if missing:
            msg = f'{self.root}: no {missing[0]} folder; run "etl setup"'
            raise SinkError(msg)

    def ensure_setup(self):
        self.setup()
        self.check_setup()

    @contextlib.contextmanager
    def lock(self):
        assert not self.locked, "a second run got in"
        self.locked = True
        try:
            yield
        finally:
            self.locked = False

    def held_build(self, layer):
        path = self.root / "meta" / f"{layer}.json"
        return Build(*json.loads(path.read_text())) if path.exists() else None

    def publish(self, copy):
        rows = 0
        for table in copy.tables:
            path = self.root / copy.layer / f"{table}.parquet"
            part = path.with_suffix(".part")
            with (
                copy.reader(table) as reader,
                pq.ParquetWriter(part, reader.schema) as writer,
            ):
                for batch in reader:
                    writer.write_batch(batch)
                    rows += batch.num_rows
            part.replace(path)
            self.committed.append(f"{copy.layer}.{table}")
        if copy.build is not None:
            (self.root / "meta" / f"{copy.layer}.json").write_text(
                json.dumps(list(copy.build))
            )
        return rows

    def record_run(self, run, tables):
        self.runs.append((run.to_pylist(), tables.to_pylist()))

    def read(self, sql, limit=None):
        con = duckdb.connect()
        try:
            for layer in contracts.LAYERS:
                con.execute(f"CREATE SCHEMA {layer}")
                for path in (self.root / layer).glob("*.parquet"):
                    con.execute(
                        f"CREATE VIEW {layer}.{path.stem} AS "
                        f"SELECT * FROM read_parquet('{path}')"
                    )
            relation = con.sql(sql)
            rows = relation.fetchall()
            return Rows(list(relation.columns), rows[:limit], len(rows))
        finally:
            con.close()

    def close(self):
        pass


@pytest.fixture
def target(tmp_path):
    return ParquetSink(tmp_path / "export")


@pytest.fixture
def chosen(monkeypatch, target):
    """The one factory choosing the Parquet sink, as it chooses PostgreSQL for a URL."""
    monkeypatch.setattr(sink, "connect_target", lambda settings: target)
    return target


def warehouse_rows(warehouse, table):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return sorted(con.sql(f"SELECT * FROM {table}").fetchall(), key=repr)
    finally:
        con.close()


def export_rows(target, layer, table):
    rows = pq.read_table(target.root / layer / f"{table}.parquet").to_pylist()
    return sorted((tuple(r.values()) for r in rows), key=repr)


def assert_same_as_warehouse(target, warehouse):
    for layer in contracts.LAYERS:
        for table in contracts.tables(layer):
            assert export_rows(target, layer, table) == warehouse_rows(
                warehouse, f"{layer}.{table}"
            ), f"{layer}.{table}"


def test_the_parquet_sink_satisfies_the_protocol(target):
    assert isinstance(target, Sink)
    assert isinstance(target, Reader)


def test_a_run_publishes_every_layer_and_its_log_to_the_parquet_sink(
    small_dir, tmp_path, target
):
    warehouse = tmp_path / "w.duckdb"
    target.setup()
    summary = run_pipeline(
        Settings(data_dir=small_dir, warehouse=warehouse), target=target
    )
    assert summary.status == "succeeded"
    assert set(summary.published) == set(contracts.LAYERS)
    assert_same_as_warehouse(target, warehouse)
    ((run,), tables) = target.runs[0]
    assert run["run_id"] == summary.run_id
    assert run["status"] == "succeeded"
    assert len(tables) == len(summary.tables)


def test_etl_publish_and_verify_reach_the_parquet_sink_through_the_factory(
    runner, small_dir, tmp_path, chosen
):
    warehouse = tmp_path / "w.duckdb"
    built = runner.invoke(
        cli, ["run", "-q", "--data-dir", str(small_dir), "--warehouse", str(warehouse)]
    )
    assert built.exit_code == 0, built.output
    # --pg-url only says "there is a target"; the patched factory picks the sink.
    args = ["--warehouse", str(warehouse), "--pg-url", "postgresql://unused/db"]

    first = runner.invoke(cli, ["publish", *args])
    assert first.exit_code == 0, first.output
    assert "parquet: staging: " in first.stderr
    assert_same_as_warehouse(chosen, warehouse)

    again = runner.invoke(cli, ["publish", *args])
    assert again.exit_code == 0, again.output
    assert "parquet: staging: up to date, nothing sent" in again.stderr
    assert "parquet: prod: up to date, nothing sent" in again.stderr

    checked = runner.invoke(cli, ["verify", *args])
    assert checked.exit_code == 0, checked.output
    tables = sum(len(contracts.tables(layer)) for layer in contracts.LAYERS)
    assert checked.stdout.endswith(f"{tables} tables checked\n")

    rows = runner.invoke(
        cli, ["query", "SELECT count(*) AS n FROM prod.daily_sales", *args]
    )
    assert rows.exit_code == 0, rows.output
    assert (
        rows.stdout
        == runner.invoke(
            cli,
            [
                "query",
                "SELECT count(*) AS n FROM prod.daily_sales",
                "--warehouse",
                str(warehouse),
            ],
        ).stdout
    )
