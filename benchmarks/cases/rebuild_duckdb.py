"""Full rebuild into a fresh DuckDB warehouse: `etl run --engine polars|duckdb`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from benchmarks.cases import Case, child_main, measurement

if TYPE_CHECKING:
    from benchmarks.cases import CaseContext, Result, RunPlan, Spec


class RebuildDuckDB(Case):
    name: ClassVar[str] = "rebuild_duckdb"
    takes_memory_limit: ClassVar[bool] = True
    variants: ClassVar[tuple[str, ...]] = ("polars", "duckdb")

    def check(
        self, ctx: CaseContext, plan: RunPlan, spec: Spec, result: Result
    ) -> None:
        from benchmarks.compare import check_tables, duckdb_source

        check_tables(
            plan.reference,
            duckdb_source(Path(spec["workdir"]) / "warehouse.duckdb"),
            self.compared_tables(plan.variant),
            f"etl run --engine {plan.variant}",
        )

    def measure(self, spec: Spec) -> Result:
        from benchmarks.build import preload, run

        preload()
        seconds, _ = run(
            Path(spec["data_dir"]),
            Path(spec["workdir"]) / "warehouse.duckdb",
            engine=spec["variant"],
            memory_limit=spec["memory_limit"],
        )
        return {
            "measurements": [
                measurement(spec["variant"], "duckdb", spec["rows"], seconds)
            ]
        }


CASE = RebuildDuckDB()

if __name__ == "__main__":
    raise SystemExit(child_main(CASE))
