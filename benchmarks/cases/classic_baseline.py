"""The classic pipeline this project replaces (benchmarks/classic), into PostgreSQL.

pandas `read_parquet` per file + SQLAlchemy `to_sql(chunksize=500)` into raw, pandas
row-wise cleaning into staging, aggregation SQL in Postgres into prod. Its own database
and DDL (untimed); its prod and staging tables are checked equal to the engine's; a prod metric it
lacks is listed in the summary as not compared.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from benchmarks.cases import (
    BenchError,
    PostgresDatabaseCase,
    Timer,
    child_main,
    measurement,
)

if TYPE_CHECKING:
    from benchmarks.cases import Result, RunPlan, Spec


class ClassicBaseline(PostgresDatabaseCase):
    name: ClassVar[str] = "classic_baseline"
    holds_tables: ClassVar[bool] = True
    variants: ClassVar[tuple[str, ...]] = ("pandas",)
    classic_variants: ClassVar[frozenset[str]] = frozenset({"pandas"})

    def database_name(self, plan: RunPlan) -> str:
        return "classic"

    def label(self, plan: RunPlan) -> str:
        return "classic baseline"

    def measure(self, spec: Spec) -> Result:
        try:
            from benchmarks.classic import pipeline
        except ImportError as exc:
            msg = (
                f"the classic baseline needs the bench extra ({exc.name} is missing): "
                ".venv/bin/python -m pip install -e '.[bench]'"
            )
            raise BenchError(msg) from exc

        engine = pipeline.create_engine(spec["pg_url"])
        try:
            pipeline.create_schema(engine)
            with Timer() as timer:
                raw_rows = pipeline.run_classic(engine, Path(spec["data_dir"]))
        finally:
            engine.dispose()
        return {
            "measurements": [measurement("pandas", "postgres", raw_rows, timer.seconds)]
        }


CASE = ClassicBaseline()

if __name__ == "__main__":
    raise SystemExit(child_main(CASE))
