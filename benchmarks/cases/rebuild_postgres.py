"""Full rebuild into a fresh PostgreSQL database: `etl run --pg-url URL` for both engines.

`etl setup --pg-url` runs first, untimed, as a deployment would do it once. The
Postgres load phase the run's summary reports (it overlaps with building the next
layer) is kept as a second measurement, target "postgres:load".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from benchmarks.cases import PostgresDatabaseCase

if TYPE_CHECKING:
    from benchmarks.cases import Measurements, Run


class RebuildPostgres(PostgresDatabaseCase):
    takes_memory_limit: ClassVar[bool] = True
    variants: ClassVar[tuple[str, ...]] = ("polars", "duckdb")
    database: ClassVar[str] = "engine_{variant}"
    label: ClassVar[str] = "etl run --engine {variant} --pg-url"

    def measure(self, run: Run) -> Measurements:
        from benchmarks.build import preload, sent, setup_postgres
        from benchmarks.build import run as etl_run

        preload()
        assert run.pg_url is not None
        setup_postgres(run.pg_url)
        seconds, summary = etl_run(
            run.data_dir,
            run.workdir / "warehouse.duckdb",
            engine=run.variant,
            pg_url=run.pg_url,
            memory_limit=run.memory_limit,
        )
        found = {"postgres": (run.rows, seconds)}
        rows, load = sent(summary.published)
        if rows:
            found["postgres:load"] = (rows, load)
        return found


CASE = RebuildPostgres()
