"""The Postgres load phase alone: `etl publish` of the reference warehouse into a fresh
database, no engine work and nothing else competing for the cores.

`etl setup --pg-url` runs first, untimed. What is timed is everything the engine does
to load: reading the warehouse, streaming Arrow batches through ADBC, verifying counts
and sums, building keys and indexes, and swapping staging and prod in. This is the
load phase the COPY floor is compared with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from benchmarks.cases import PostgresDatabaseCase, child_main, measurement
from benchmarks.cases._etl import etl, preload, published
from benchmarks.dataset import memory_args

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
        preload()
        import engine.postgres  # noqa: F401 - imported lazily by etl publish

        url, reference = spec["pg_url"], spec["reference"]
        etl(
            "setup", "--warehouse", spec["workdir"] + "/scratch.duckdb", "--pg-url", url
        )
        seconds, stdout = etl(
            "publish",
            "--warehouse",
            reference,
            "--pg-url",
            url,
            *memory_args(spec.get("memory_limit")),
        )
        sent = published(stdout)
        rows = sum(r for r, _ in sent.values())
        return {
            "measurements": [measurement(spec["variant"], "postgres", rows, seconds)],
            "notes": {"published": sent},
        }


CASE = PublishPostgres()

if __name__ == "__main__":
    raise SystemExit(child_main(CASE))
