"""Full rebuild into a fresh DuckDB warehouse: `etl run --engine polars|duckdb`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from benchmarks.cases import Case, child_main, measurement
from benchmarks.cases._etl import etl, phases, preload
from benchmarks.dataset import memory_args

if TYPE_CHECKING:
    from benchmarks.cases import CaseContext, Result, RunPlan, Spec


class RebuildDuckDB(Case):
    name: ClassVar[str] = "rebuild_duckdb"
    takes_memory_limit: ClassVar[bool] = True
    variants: ClassVar[tuple[str, ...]] = ("polars", "duckdb")

    def check(
        self, ctx: CaseContext, plan: RunPlan, spec: Spec, result: Result
    ) -> None:
        from benchmarks.compare import (
            check_tables,
            duckdb_source,
            prod_tables,
            staging_tables,
        )

        check_tables(
            plan.reference,
            duckdb_source(Path(spec["workdir"]) / "warehouse.duckdb"),
            [*staging_tables(), *prod_tables()],
            f"etl run --engine {plan.variant}",
        )

    def measure(self, spec: Spec) -> Result:
        preload()
        warehouse = Path(spec["workdir"]) / "warehouse.duckdb"
        seconds, stdout = etl(
            "run",
            "--data-dir",
            spec["data_dir"],
            "--warehouse",
            str(warehouse),
            "--engine",
            spec["variant"],
            *memory_args(spec.get("memory_limit")),
        )
        return {
            "measurements": [
                measurement(spec["variant"], "duckdb", spec["rows"], seconds)
            ],
            "notes": {"phases": phases(stdout)},
        }


CASE = RebuildDuckDB()

if __name__ == "__main__":
    raise SystemExit(child_main(CASE))
