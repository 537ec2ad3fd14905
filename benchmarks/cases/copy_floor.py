"""The Postgres floor: the reference warehouse's raw, staging and prod rows loaded by
server-side binary `COPY ... FROM 'file'` into tables without keys, no engine work.

Prepared once per scale (untimed): the rows go into a scratch database with our DDL,
and the server writes each table to a binary COPY file. A run creates empty copies
(`LIKE`, so no keys or indexes) and times only the COPY statements and their commit;
`copy-serial` uses one connection, `copy-parallel` one per core.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Final

from benchmarks.cases import BenchError, Case, CheckFailed, Timer

if TYPE_CHECKING:
    from adbc_driver_manager.dbapi import Connection

    from benchmarks.cases import CaseContext, Measurements, Run

FLOOR: Final = "copy_floor"
"""Schema of the key-less copies the timed COPY statements fill."""


def _literal(text: str) -> str:
    # COPY takes no bind parameters for its file name.
    return "'" + text.replace("'", "''") + "'"


def _floor_name(table: str) -> str:
    return f"{FLOOR}.{table.replace('.', '__')}"


class CopyFloor(Case):
    holds_tables: ClassVar[bool] = True
    variants: ClassVar[tuple[str, ...]] = ("copy-serial", "copy-parallel")
    needs_pg: ClassVar[bool] = True

    def prepare(self, ctx: CaseContext) -> None:
        from benchmarks.pg import create_database, run_sql

        assert ctx.options.pg_url is not None
        url = create_database(ctx.options.pg_url, "copy")
        files = Path(tempfile.mkdtemp(prefix="etl_bench_copy_"))
        ctx.state.update(url=url, files=files)
        # The server process (user postgres) writes and reads these files.
        files.chmod(0o777)
        counts = _load_reference(url, ctx.dataset.reference())
        for table in counts:
            run_sql(
                url,
                f"COPY {table} TO {_literal(str(files / f'{table}.bin'))} (FORMAT binary)",
            )
        ctx.state["counts"] = counts

    def before_run(self, ctx: CaseContext, run: Run) -> Run:
        files, counts = str(ctx.state["files"]), ctx.state["counts"]
        extra = {"files": files, "counts": counts}
        return dataclasses.replace(run, pg_url=ctx.state["url"], extra=extra)

    def check(self, ctx: CaseContext, run: Run) -> None:
        from benchmarks.pg import run_sql

        assert run.pg_url is not None
        wrong = []
        for table, expected in run.extra["counts"].items():
            ((found,),) = run_sql(
                run.pg_url, f"SELECT count(*) FROM {_floor_name(table)}"
            )
            if found != expected:
                wrong.append(f"{table}: {found:,} rows, expected {expected:,}")
        if wrong:
            msg = f"COPY loaded other row counts than the reference: {'; '.join(wrong)}"
            raise CheckFailed(msg)

    def finish(self, ctx: CaseContext) -> None:
        from benchmarks.pg import drop_database

        if "url" in ctx.state and ctx.options.pg_url:
            drop_database(ctx.options.pg_url, ctx.state["url"])
        if "files" in ctx.state:
            shutil.rmtree(ctx.state["files"], ignore_errors=True)

    def measure(self, run: Run) -> Measurements:
        import adbc_driver_postgresql.dbapi as adbc_pg

        from benchmarks.pg import run_sql

        assert run.pg_url is not None
        url, files = run.pg_url, Path(run.extra["files"])
        counts: dict[str, int] = run.extra["counts"]
        # Biggest first, so parallel connections finish together.
        tables = sorted(counts, key=lambda t: -counts[t])
        run_sql(
            url,
            f"DROP SCHEMA IF EXISTS {FLOOR} CASCADE",
            f"CREATE SCHEMA {FLOOR}",
            *(f"CREATE TABLE {_floor_name(t)} (LIKE {t})" for t in tables),
            "CHECKPOINT",
        )
        workers = (os.cpu_count() or 1) if run.variant == "copy-parallel" else 1
        queue = list(tables)

        def worker(conn: Connection) -> int:
            loaded = 0
            while queue:
                try:
                    table = queue.pop(0)
                except IndexError:
                    break
                loaded += _copy(conn, table, files / f"{table}.bin")
            conn.commit()
            return loaded

        # Connections are opened before the clock starts: only COPY and commit count.
        conns = [adbc_pg.connect(url) for _ in range(workers)]
        try:
            with (
                concurrent.futures.ThreadPoolExecutor(workers) as pool,
                Timer() as timer,
            ):
                rows = sum(pool.map(worker, conns))
        finally:
            for conn in conns:
                conn.close()
        if rows <= 0:
            rows = sum(counts.values())
        return {"postgres": (rows, timer.seconds)}


def _copy(conn: Connection, table: str, path: Path) -> int:
    with conn.cursor() as cur:
        cur.execute(
            f"COPY {_floor_name(table)} FROM {_literal(str(path))} (FORMAT binary)"
        )
        return max(cur.rowcount, 0)


def _load_reference(url: str, reference: Path) -> dict[str, int]:
    """Create our tables in the scratch database and fill them from the reference."""
    import adbc_driver_manager
    import adbc_driver_postgresql.dbapi as adbc_pg
    import duckdb

    from engine import contracts

    counts = {}
    source = duckdb.connect(str(reference), read_only=True)
    try:
        with adbc_pg.connect(url) as conn:
            with conn.cursor() as cur:
                for path in contracts.ddl_files():
                    cur.executescript(path.read_text())
            conn.commit()
            for layer in contracts.LAYERS:
                for name in contracts.tables(layer):
                    table = f"{layer}.{name}"
                    data = source.sql(f"SELECT * FROM {table}").to_arrow_table()
                    data = data.cast(contracts.arrow_schema(table))
                    with conn.cursor() as cur:
                        cur.adbc_ingest(name, data, mode="append", db_schema_name=layer)
                    counts[table] = data.num_rows
            conn.commit()
    except adbc_driver_manager.Error as exc:
        msg = f"copy_floor: cannot prepare the COPY files: {str(exc).splitlines()[0]}"
        raise BenchError(msg) from exc
    finally:
        source.close()
    return counts


CASE = CopyFloor()
