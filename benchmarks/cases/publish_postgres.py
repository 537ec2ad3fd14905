"""The Postgres load phase alone: `etl publish` of the reference warehouse into a fresh
database, no engine work and nothing else competing for the cores.

`etl setup --pg-url` runs first, untimed. What is timed is everything the engine does
to load: reading the warehouse, streaming Arrow batches through ADBC, verifying counts
and sums, building keys and indexes, and swapping staging and prod in. This is the
load phase the COPY floor is compared with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from benchmarks.cases import PostgresDatabaseCase

if TYPE_CHECKING:
    from benchmarks.cases import Measurements, Run


class PublishPostgres(PostgresDatabaseCase):
    takes_memory_limit: ClassVar[bool] = True
    variants: ClassVar[tuple[str, ...]] = ("engine",)
    database: ClassVar[str] = "publish"
    label: ClassVar[str] = "etl publish --pg-url"

    def measure(self, run: Run) -> Measurements:
        from benchmarks.build import preload, publish, sent, setup_postgres

        preload()
        assert run.pg_url is not None
        setup_postgres(run.pg_url)
        seconds, published = publish(
            run.reference, run.pg_url, memory_limit=run.memory_limit
        )
        rows, _ = sent(published)
        return {"postgres": (rows, seconds)}


CASE = PublishPostgres()
