"""Read-only SQL against the warehouse or a PostgreSQL target, for `etl query/status/dq`.

What counts as read-only is decided in engine/readonly.py.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import warnings
from typing import TYPE_CHECKING, NamedTuple

from engine.errors import QueryError
from engine.readonly import ALLOWED, check_duckdb, duckdb_error, sandbox_duckdb

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from pathlib import Path

    import duckdb

    from engine.quality import Fetch


class Rows(NamedTuple):
    """A query's column names, its rows (the first `limit` when limited) and its row count."""

    columns: list[str]
    rows: list[tuple[object, ...]]
    total: int


@contextlib.contextmanager
def open_reader(
    warehouse: Path,
    pg_url: str | None = None,
    *,
    wait: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[Fetch]:
    """A function running one read-only statement, on Postgres when a URL is given.

    While a build writes the warehouse, wait up to `wait` seconds for it (DuckDB
    lets no other process open a file one process writes), telling `on_wait` once.
    """
    if pg_url:
        from engine.postgres import PostgresTarget

        with PostgresTarget(pg_url) as target:
            target.check_setup(for_write=False)

            def fetch_pg(sql: str, limit: int | None = None) -> Rows:
                table = target.query(sql)
                total = table.num_rows
                if limit is not None:
                    table = table.slice(0, limit)
                return Rows(
                    table.column_names,
                    [tuple(row.values()) for row in table.to_pylist()],
                    total,
                )

            yield fetch_pg
        return

    import duckdb

    from engine.warehouse import open_for_reading

    con = open_for_reading(warehouse, wait=wait, on_wait=on_wait)
    sandbox_duckdb(con)

    def fetch_duckdb(sql: str, limit: int | None = None) -> Rows:
        check_duckdb(con, sql)
        try:
            if limit is not None:
                return _head(con, sql, limit)
            relation = con.sql(sql)
            if relation is None:
                msg = f"{ALLOWED}; this one returned no result set"
                raise QueryError(msg)
            rows = relation.fetchall()
            return Rows(list(relation.columns), rows, len(rows))
        except duckdb.Error as exc:
            raise duckdb_error(exc) from exc

    try:
        yield fetch_duckdb
    finally:
        con.close()


def _head(con: duckdb.DuckDBPyConnection, sql: str, limit: int) -> Rows:
    """The first `limit` rows as Python values; the rest are only counted, as Arrow."""
    result = con.execute(sql)
    if result.description is None:
        msg = f"{ALLOWED}; this one returned no result set"
        raise QueryError(msg)
    columns = [d[0] for d in result.description]
    rows = result.fetchmany(limit)
    with warnings.catch_warnings():
        # DuckDB warns that Arrow output copies rows; here they are only counted.
        warnings.simplefilter("ignore", UserWarning)
        rest = sum(batch.num_rows for batch in result.to_arrow_reader(65_536))
    return Rows(columns, rows, len(rows) + rest)


def named_or_sql(text: str, named: Mapping[str, Path]) -> str:
    """The SQL of a named query, or `text` itself when it is a statement.

    A bare word that names no query is most likely a mistyped name, not SQL.
    """
    if text in named:
        return named[text].read_text()
    if not re.fullmatch(r"\s*[A-Za-z_][\w-]*\s*", text):
        return text
    close = difflib.get_close_matches(text.strip(), list(named), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    msg = (
        f"'{text.strip()}' is not a named query; {hint}etl query --list shows the names"
    )
    raise QueryError(msg)
