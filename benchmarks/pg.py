"""PostgreSQL helpers for the harness: throwaway etl_bench_* databases, plain statements."""

from __future__ import annotations

import contextlib
import os
import uuid
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit, urlunsplit

from benchmarks.cases import BenchError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pyarrow as pa

PREFIX: Final = "etl_bench_"
PREFIX_ENV: Final = "ETL_BENCH_DB_PREFIX"
"""Narrows the throwaway databases' prefix (it must start with PREFIX), so a caller
such as a test can find exactly the databases this harness made on a shared server."""


def with_database(url: str, database: str) -> str:
    """The same server and user, another database."""
    if "://" not in url:
        return f"{url} dbname={database}"
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def database_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def run_sql(url: str, *statements: str) -> list[tuple]:
    """Run statements in autocommit mode; return the last one's rows."""
    import adbc_driver_manager
    import adbc_driver_postgresql.dbapi as adbc_pg

    rows: list[tuple] = []
    try:
        with adbc_pg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
                rows = cur.fetchall() if cur.description else []
    except adbc_driver_manager.Error as exc:
        first = str(exc).strip().splitlines()[0]
        msg = f"PostgreSQL at {_redacted(url)}: {first}"
        raise BenchError(msg) from exc
    return rows


@contextlib.contextmanager
def arrow_batches(url: str, sql: str) -> Iterator[pa.RecordBatchReader]:
    """One query's result as a stream of Arrow batches, never whole in memory.

    Postgres NUMERIC (an opaque extension type) comes back as its text storage.
    """
    import adbc_driver_postgresql.dbapi as adbc_pg
    import pyarrow as pa

    with adbc_pg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql)
        reader = cur.fetch_record_batch()
        plain = pa.schema(
            pa.field(f.name, f.type.storage_type)
            if isinstance(f.type, pa.BaseExtensionType)
            else f
            for f in reader.schema
        )

        def batches() -> Iterator[pa.RecordBatch]:
            for batch in reader:
                yield pa.RecordBatch.from_arrays(
                    [
                        col.storage
                        if isinstance(col.type, pa.BaseExtensionType)
                        else col
                        for col in batch.columns
                    ],
                    schema=plain,
                )

        yield pa.RecordBatchReader.from_batches(plain, batches())


def database_prefix() -> str:
    """The prefix of every database this harness creates and may drop."""
    prefix = os.environ.get(PREFIX_ENV) or PREFIX
    if not prefix.startswith(PREFIX) or not prefix.replace("_", "").isalnum():
        msg = f"{PREFIX_ENV}={prefix!r}: must start with {PREFIX!r} and hold only letters, digits and _"
        raise BenchError(msg)
    return prefix


def create_database(admin_url: str, label: str) -> str:
    """A new empty database <prefix><label>_<random>; returns its URL."""
    name = f"{database_prefix()}{label}_{uuid.uuid4().hex[:8]}"
    run_sql(admin_url, f"CREATE DATABASE {name}")
    return with_database(admin_url, name)


def drop_database(admin_url: str, url: str) -> None:
    name = database_of(url)
    prefix = database_prefix()
    if not name.startswith(prefix):
        msg = f"refusing to drop {name!r}: the harness only drops {prefix}* databases"
        raise BenchError(msg)
    with contextlib.suppress(BenchError):
        run_sql(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def check_server(admin_url: str) -> None:
    """Fail early, with a hint, when the server does not answer."""
    try:
        run_sql(admin_url, "SELECT 1")
    except BenchError as exc:
        msg = f"{exc}; start PostgreSQL or pass another --pg-url (a user that may CREATE DATABASE)"
        raise BenchError(msg) from exc


def _redacted(url: str) -> str:
    from engine.config import redact

    return redact(url) or ""
