"""Full rebuild into a fresh DuckDB warehouse: `etl run --engine polars|duckdb`."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from benchmarks.cases import Case

if TYPE_CHECKING:
    from benchmarks.cases import Measurements, Run
    from benchmarks.compare import Source


class RebuildDuckDB(Case):
    takes_memory_limit: ClassVar[bool] = True
    variants: ClassVar[tuple[str, ...]] = ("polars", "duckdb")
    label: ClassVar[str] = "etl run --engine {variant}"

    def output(self, run: Run) -> Source:
        from benchmarks.compare import duckdb_source

        return duckdb_source(run.workdir / "warehouse.duckdb")

    def measure(self, run: Run) -> Measurements:
        from benchmarks.build import preload
        from benchmarks.build import run as etl_run

        preload()
        seconds, _ = etl_run(
            run.data_dir,
            run.workdir / "warehouse.duckdb",
            engine=run.variant,
            memory_limit=run.memory_limit,
        )
        return {"duckdb": (run.rows, seconds)}


CASE = RebuildDuckDB()
