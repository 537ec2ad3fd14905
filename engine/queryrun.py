"""Ad-hoc SQL against the warehouse, for `etl query`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from engine.errors import QueryError
from engine.warehouse import open_warehouse

if TYPE_CHECKING:
    from pathlib import Path


def run_query(warehouse: Path, sql: str) -> tuple[list[str], list[tuple[object, ...]]]:
    """Column names and rows of one read-only query."""
    con = open_warehouse(warehouse, read_only=True)
    try:
        relation = con.sql(sql)
        if relation is None:
            msg = "the statement returned no result set; etl query runs SELECT-like queries"
            raise QueryError(msg)
        return list(relation.columns), relation.fetchall()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        msg = f"query failed: {first}"
        raise QueryError(msg) from exc
    finally:
        con.close()
