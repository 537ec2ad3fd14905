from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import adbc_driver_postgresql.dbapi as adbc_pg
import pyarrow.compute as pc
import pytest

from engine.errors import SinkError
from engine.postgres import PostgresError, PostgresTarget
from tests.pg_rows import Warehouse, contents, leftovers, make_rows
from tests.pg_server import run_sql

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[1]


# -- readers during a publish ---------------------------------------------------------


def test_swap_gives_up_on_a_reader_holding_the_table(pg_url):
    with PostgresTarget(pg_url, lock_timeout=0.2, publish_mode="swap") as target:
        target.setup()
        target.replace_tables(
            "prod",
            {"daily_sales": lambda: make_rows("prod.daily_sales", 2).to_reader()},
        )
        before = contents(target, "prod.daily_sales", "order_date")
        with adbc_pg.connect(pg_url) as reader, reader.cursor() as cur:
            cur.execute("SET application_name = 'report'")
            cur.execute(
                "SELECT pg_backend_pid(), count(*) FROM prod.daily_sales"
            )  # holds its lock until rollback
            pid = cur.fetchall()[0][0]
            with pytest.raises(PostgresError) as caught:
                target.replace_tables(
                    "prod",
                    {
                        "daily_sales": lambda: make_rows(
                            "prod.daily_sales", 5
                        ).to_reader()
                    },
                )
            reader.rollback()
        assert caught.value.reason == "busy"
        assert str(caught.value) == (
            f'prod layer: gave up waiting for a lock another session holds (pid {pid}, application "report", holding AccessShareLock on prod.daily_sales), '
            "cannot swap in the new tables: canceling statement due to lock timeout; nothing was changed here: "
            f"wait for that session to finish (or end it: SELECT pg_terminate_backend({pid})) and run again; "
            "--pg-lock-timeout (ETL_PG_LOCK_TIMEOUT) sets the wait"
        )
        assert contents(target, "prod.daily_sales", "order_date").equals(before)
        assert leftovers(target) == []


def test_replace_never_waits_for_readers_and_keeps_views(target, pg_url):
    run_sql(
        pg_url,
        "CREATE VIEW public.all_days AS SELECT * FROM prod.daily_sales",
    )
    with adbc_pg.connect(pg_url) as reader, reader.cursor() as cur:
        cur.execute("SELECT count(*) FROM prod.daily_sales")  # holds its lock
        cur.fetchall()
        rows = target.replace_tables(
            "prod",
            {"daily_sales": lambda: make_rows("prod.daily_sales", 5).to_reader()},
        )
        reader.rollback()
    assert rows == {"daily_sales": 5}
    assert run_sql(pg_url, "SELECT count(*) FROM public.all_days") == [(5,)]


def test_swap_refuses_a_table_a_view_depends_on(pg_url):
    target = PostgresTarget(pg_url, publish_mode="swap")
    target.setup()
    run_sql(
        pg_url,
        "CREATE VIEW public.big_days AS SELECT * FROM prod.daily_sales WHERE total_orders > 1",
    )
    with pytest.raises(
        SinkError,
        match=r"^prod.daily_sales: view big_days depends on it, and a publish swaps the table; drop the view",
    ):
        target.replace_tables(
            "prod",
            {"daily_sales": lambda: make_rows("prod.daily_sales", 2).to_reader()},
        )
    target.close()


def test_readers_see_the_old_or_the_new_version_never_empty(target, pg_url):
    versions = {
        0: make_rows("staging.orders", 20_000),
        1: make_rows("staging.orders", 30_000, version=1),
    }
    target.replace_tables("staging", {"orders": lambda: versions[0].to_reader()})
    seen: set[tuple[int, int]] = set()
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            with adbc_pg.connect(pg_url) as conn, conn.cursor() as cur:
                while not stop.is_set():
                    cur.execute(
                        "SELECT count(*), count(DISTINCT right(order_status, 2)) FROM staging.orders"
                    )
                    seen.add(cur.fetchone())
                    conn.rollback()  # a new snapshot for every read, as READ COMMITTED readers get
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(1, 7):
            target.replace_tables(
                "staging", {"orders": lambda i=i: versions[i % 2].to_reader()}
            )
    finally:
        stop.set()
        reader.join()
    assert errors == []
    assert seen == {(20_000, 1), (30_000, 1)}


# -- run lock ---------------------------------------------------------------------------------


def test_a_second_run_is_refused_at_once(target, pg_url):
    with PostgresTarget(pg_url) as other:
        with target.lock():
            started = time.perf_counter()
            with pytest.raises(PostgresError) as caught, other.lock():
                pass
            assert time.perf_counter() - started < 2
            with pytest.raises(PostgresError, match="another etl run holds the lock"):
                other.replace_tables(
                    "prod",
                    {
                        "daily_sales": lambda: make_rows(
                            "prod.daily_sales", 1
                        ).to_reader()
                    },
                )
        with other.lock():
            pass
    assert caught.value.reason == "locked"
    message = str(caught.value)
    assert message.startswith(
        f"another etl run holds the lock on {pg_url} (server pid "
    )
    assert message.endswith(")")


# -- killed mid-load -----------------------------------------------------------------------------

KILLED_LOADER = """
import sys, time
from pathlib import Path
import pyarrow as pa
from engine.postgres import PostgresTarget
from tests.pg_rows import Warehouse, make_rows

url, kind, marker = sys.argv[1:4]

def slow(table):
    def batches():
        for i, batch in enumerate(table.to_batches(max_chunksize=500)):
            if i == 3:
                Path(marker).write_text("loading")
            time.sleep(0.02)
            yield batch
    return pa.RecordBatchReader.from_batches(table.schema, batches())

with PostgresTarget(url) as target:
    if kind == "replace":
        rows = make_rows("staging.orders", 20_000, version=1)
        target.replace_tables("staging", {"orders": lambda: slow(rows)})
    else:
        wh = Warehouse()
        wh.put(0, 20_000, version=1)
        target.sync_raw("orders", wh.ledger(), lambda sources: slow(wh.rows()))
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["replace", "sync"])
def test_a_load_killed_midway_leaves_the_previous_state(target, pg_url, tmp_path, kind):
    old = Warehouse()
    old.put(0, 50)
    target.sync_raw("orders", old.ledger(), old.fetch)
    target.replace_tables(
        "staging", {"orders": lambda: make_rows("staging.orders", 50).to_reader()}
    )
    before = (
        contents(target, "staging.orders", "order_id"),
        contents(target, "raw.orders", "order_id"),
    )
    script, marker = tmp_path / "load.py", tmp_path / "loading"
    script.write_text(KILLED_LOADER)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    loader = subprocess.Popen(
        [sys.executable, str(script), pg_url, kind, str(marker)], env=env
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert loader.poll() is None, "the loader ended before loading"
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        os.kill(loader.pid, signal.SIGKILL)
        loader.wait()
    after = (
        contents(target, "staging.orders", "order_id"),
        contents(target, "raw.orders", "order_id"),
    )
    assert after[0].equals(before[0])
    assert after[1].equals(before[1])
    # The killed session's lock dies with its backend, which may take a moment.
    deadline = time.monotonic() + 10
    while target.query(
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND "
        "database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )["n"][0].as_py():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # A re-run gives the same contents as a load that was never interrupted.
    new_rows = make_rows("staging.orders", 20_000, version=1)
    target.replace_tables("staging", {"orders": lambda: new_rows.to_reader()})
    fresh = Warehouse()
    fresh.put(0, 20_000, version=1)
    result = target.sync_raw("orders", fresh.ledger(), fresh.fetch)
    assert (result.changed, result.rows_deleted) == (
        (fresh.ledger()["source_file"][0].as_py(),),
        50,
    )
    stored = target.query(
        "SELECT count(*) AS n, sum(total_amount)::text AS s, "
        "(SELECT count(*) FROM raw.orders) AS raw_n FROM staging.orders"
    ).to_pylist()
    assert stored == [
        {
            "n": 20_000,
            "s": str(pc.sum(new_rows["total_amount"]).as_py()),
            "raw_n": 20_000,
        }
    ]
    assert leftovers(target) == []
