"""Full rebuild into a fresh PostgreSQL database: `etl run --pg-url URL` for both engines.

`etl setup --pg-url` runs first, untimed, as a deployment would do it once. The
Postgres load phase the run's summary reports (it overlaps with building the next
layer) is kept as a second measurement, target "postgres:load".
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from benchmarks.cases import PostgresDatabaseCase, child_main, measurement

if TYPE_CHECKING:
    from benchmarks.cases import Result, RunPlan, Spec


class RebuildPostgres(PostgresDatabaseCase):
    name: ClassVar[str] = "rebuild_postgres"
    takes_memory_limit: ClassVar[bool] = True
    variants: ClassVar[tuple[str, ...]] = ("polars", "duckdb")

    def database_name(self, plan: RunPlan) -> str:
        return f"engine_{plan.variant}"

    def label(self, plan: RunPlan) -> str:
        return f"etl run --engine {plan.variant} --pg-url"

    def measure(self, spec: Spec) -> Result:
        from benchmarks.build import preload, run, sent, setup_postgres

        preload()
        url, variant = spec["pg_url"], spec["variant"]
        setup_postgres(url)
        seconds, summary = run(
            Path(spec["data_dir"]),
            Path(spec["workdir"]) / "warehouse.duckdb",
            engine=variant,
            pg_url=url,
            memory_limit=spec["memory_limit"],
        )
        found = [measurement(variant, "postgres", spec["rows"], seconds)]
        rows, load = sent(summary.published)
        if rows:
            found.append(measurement(variant, "postgres:load", rows, load))
        return {"measurements": found}


CASE = RebuildPostgres()

if __name__ == "__main__":
    raise SystemExit(child_main(CASE))
