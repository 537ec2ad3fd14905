"""The Postgres load phase alone: `etl publish` of the reference warehouse into a fresh
database, no engine work and nothing else competing for the cores.

`etl setup --pg-url` runs first, untimed. What is timed is everything the engine does
to load: reading the warehouse, streaming Arrow batches through ADBC, verifying counts
and sums, building keys and indexes, and swapping staging and prod in. This is the
load phase the COPY floor is compared with.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from benchmarks.cases import PostgresDatabaseCase, child_main, measurement

if TYPE_CHECKING:
    from benchmarks.cases import Result, RunPlan, Spec


class PublishPostgres(PostgresDatabaseCase):
    name: ClassVar[str] = "publish_postgres"
    takes_memory_limit: ClassVar[bool] = True
    variants: ClassVar[tuple[str, ...]] = ("engine",)

    def database_name(self, plan: RunPlan) -> str:
        return "publish"

    def label(self, plan: RunPlan) -> str:
        return "etl publish --pg-url"

    def measure(self, spec: Spec) -> Result:
        from benchmarks.build import preload, publish, sent, setup_postgres

        preload()
        setup_postgres(spec["pg_url"])
        seconds, published = publish(
            Path(spec["reference"]), spec["pg_url"], memory_limit=spec["memory_limit"]
        )
        rows, _ = sent(published)
        return {
            "measurements": [measurement(spec["variant"], "postgres", rows, seconds)]
        }


CASE = PublishPostgres()

if __name__ == "__main__":
    raise SystemExit(child_main(CASE))
