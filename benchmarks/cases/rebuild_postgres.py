"""Full rebuild into a fresh PostgreSQL database: `etl run --pg-url URL` for both engines.

`etl setup --pg-url` runs first, untimed, as a deployment would do it once. The
Postgres load phase that `etl run` reports (it overlaps with building the next layer)
is kept as a second measurement, target "postgres:load".
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from benchmarks.cases import BenchError, Case, child_main, measurement
from benchmarks.cases._etl import etl, has_option, phases, preload, published

if TYPE_CHECKING:
    from benchmarks.cases import CaseContext, Result, RunPlan, Spec


class RebuildPostgres(Case):
    name: ClassVar[str] = "rebuild_postgres"
    variants: ClassVar[tuple[str, ...]] = ("polars", "duckdb")
    needs_pg: ClassVar[bool] = True

    def before_run(self, ctx: CaseContext, plan: RunPlan) -> Spec:
        from benchmarks.pg import create_database

        assert ctx.pg_url is not None
        return {"pg_url": create_database(ctx.pg_url, f"engine_{plan.variant}")}

    def check(
        self, ctx: CaseContext, plan: RunPlan, spec: Spec, result: Result
    ) -> None:
        from benchmarks.compare import (
            check_tables,
            postgres_source,
            prod_tables,
            staging_tables,
        )

        check_tables(
            plan.reference,
            postgres_source(spec["pg_url"]),
            [*staging_tables(), *prod_tables()],
            f"etl run --engine {plan.variant} --pg-url",
        )

    def after_run(self, ctx: CaseContext, plan: RunPlan, spec: Spec) -> None:
        from benchmarks.pg import drop_database

        if ctx.pg_url and "pg_url" in spec:
            drop_database(ctx.pg_url, spec["pg_url"])

    def measure(self, spec: Spec) -> Result:
        preload()
        import engine.postgres  # noqa: F401 - imported lazily by etl run

        for command in ("setup", "run"):
            if not has_option(command, "--pg-url"):
                msg = (
                    f"etl {command} has no --pg-url option yet, so the engine cannot "
                    "load PostgreSQL; rebuild_postgres needs `etl setup --pg-url` and "
                    "`etl run --pg-url`"
                )
                raise BenchError(msg)
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
