"""Read-only SQL against the warehouse or a PostgreSQL target, for `etl query/status/dq`."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from engine.errors import QueryError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from engine.quality import Fetch


@contextlib.contextmanager
def open_reader(warehouse: Path, pg_url: str | None = None) -> Iterator[Fetch]:
    """A function running one read-only query, on Postgres when a URL is given."""
    if pg_url:
        from engine.postgres import PostgresTarget

        with PostgresTarget(pg_url) as target:
            target.check_setup(for_write=False)

            def fetch_pg(sql: str) -> tuple[list[str], list[tuple[object, ...]]]:
                table = target.query(sql)
                return table.column_names, [
                    tuple(row.values()) for row in table.to_pylist()
                ]

            yield fetch_pg
        return

    import duckdb

    from engine.warehouse import open_warehouse

    con = open_warehouse(warehouse, read_only=True)

    def fetch_duckdb(sql: str) -> tuple[list[str], list[tuple[object, ...]]]:
        try:
            relation = con.sql(sql)
            if relation is None:
                msg = "the statement returned no result set; etl query runs SELECT-like queries"
                raise QueryError(msg)
            return list(relation.columns), relation.fetchall()
        except duckdb.Error as exc:
            msg = f"query failed: {str(exc).splitlines()[0]}"
            raise QueryError(msg) from exc

    try:
        yield fetch_duckdb
    finally:
        con.close()
