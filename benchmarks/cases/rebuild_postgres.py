"""Full rebuild into a fresh PostgreSQL database: `etl run --pg-url URL` for both engines.

`etl setup --pg-url` runs first, untimed, as a deployment would do it once. The
Postgres load phase that `etl run` reports (it overlaps with building the next layer)
is kept as a second measurement, target "postgres:load".
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from benchmarks.cases import PostgresDatabaseCase, child_main, measurement
from benchmarks.cases._etl import etl, phases, preload, published
from benchmarks.dataset import memory_args

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
        preload()
        import engine.postgres  # noqa: F401 - imported lazily by etl run

        warehouse = str(Path(spec["workdir"]) / "warehouse.duckdb")
        url, variant = spec["pg_url"], spec["variant"]
        etl("setup", "--warehouse", warehouse, "--pg-url", url)
        seconds, stdout = etl(
            "run",
            "--data-dir",
            spec["data_dir"],
            "--warehouse",
            warehouse,
            "--engine",
            variant,
            "--pg-url",
            url,
            *memory_args(spec.get("memory_limit")),
        )
        found = [measurement(variant, "postgres", spec["rows"], seconds)]
        sent = published(stdout)
        if sent:
            rows = sum(r for r, _ in sent.values())
            load = sum(s for _, s in sent.values())
            found.append(measurement(variant, "postgres:load", rows, load))
        return {
            "measurements": found,
            "notes": {"phases": phases(stdout), "published": sent},
        }


CASE = RebuildPostgres()

if __name__ == "__main__":
    raise SystemExit(child_main(CASE))
