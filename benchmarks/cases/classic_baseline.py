"""The classic pipeline this project replaces (benchmarks/classic), into PostgreSQL.

pandas `read_parquet` per file + SQLAlchemy `to_sql(chunksize=500)` into raw, pandas
row-wise cleaning into staging, aggregation SQL in Postgres into prod. Its own database
and DDL (untimed); its prod and staging tables are checked equal to the engine's; a prod metric it
lacks is listed in the summary as not compared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from benchmarks.cases import PostgresDatabaseCase, Timer

if TYPE_CHECKING:
    from benchmarks.cases import Measurements, Run


class ClassicBaseline(PostgresDatabaseCase):
    holds_tables: ClassVar[bool] = True
    variants: ClassVar[tuple[str, ...]] = ("pandas",)
    classic_variants: ClassVar[frozenset[str]] = frozenset({"pandas"})
    database: ClassVar[str] = "classic"
    label: ClassVar[str] = "classic baseline"

    def measure(self, run: Run) -> Measurements:
        # The runner has checked that the bench extra is installed.
        from benchmarks.classic import pipeline

        assert run.pg_url is not None
        engine = pipeline.create_engine(run.pg_url)
        try:
            pipeline.create_schema(engine)
            with Timer() as timer:
                raw_rows = pipeline.run_classic(engine, run.data_dir)
        finally:
            engine.dispose()
        return {"postgres": (raw_rows, timer.seconds)}


CASE = ClassicBaseline()
