"""Staging in DuckDB SQL: runs the queries/staging twins of the Polars rules.

Each entity's SQL computes its verdicts into a temporary table, parents first; clean
rows, rejects and the duplicate count are then written from it inside DuckDB,
conformed and sorted as ``engine.staging.split_verdicts`` does, so no table passes
through Python and DuckDB spills to its temp directory under the memory limit.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import TYPE_CHECKING, Final

import duckdb

from engine import contracts, warehouse
from engine.errors import QueryError
from engine.failures import first_line
from engine.staging import KEYS, ROW_ORDER, StagedCounts
from engine.staging_rules import (
    EARLIEST_DATE,
    FUTURE_DAYS,
    IS_DUPLICATE,
    ORDER_STATUSES,
    REJECT_REASON,
    STAGED,
    money_limit_cents,
)
from queries import staging as staging_queries

if TYPE_CHECKING:
    from queries.staging import StagingQuery

__all__ = ["build_staging_sql", "staging_parameters"]

logger = logging.getLogger(__name__)

VERDICTS: Final = "_staging_verdicts"
"""The temporary table holding one entity's verdicts while its tables are written."""

MONEY_LIMITS: Final = {
    "price_limit_cents": ("staging.products", "price"),
    "cost_limit_cents": ("staging.products", "cost"),
    "total_amount_limit_cents": ("staging.orders", "total_amount"),
    "unit_price_limit_cents": ("staging.order_items", "unit_price"),
}
"""`$name` -> the staging column whose NUMERIC(p, 2) bounds that amount."""


def staging_parameters() -> dict[str, object]:
    """Values for the `$name`s in queries/staging: money limits, statuses, date window."""
    values: dict[str, object] = {
        name: money_limit_cents(table, column)
        for name, (table, column) in MONEY_LIMITS.items()
    }
    values["order_statuses"] = list(ORDER_STATUSES)
    values["earliest_date"] = EARLIEST_DATE
    values["future_days"] = FUTURE_DAYS
    return values


def build_staging_sql(con: duckdb.DuckDBPyConnection) -> dict[str, StagedCounts]:
    """Write staging.<entity> and staging.<entity>_rejects from ``raw.*`` on ``con``.

    The twin of ``engine.staging.build_staging``; call inside a transaction. Its
    macros and verdict table are temporary and gone when it returns. Each child's
    reference checks read its parents' staging tables, written just before it.
    """
    queries = staging_queries.discover()
    values = staging_parameters()
    _run(con, "queries/staging/_macros.sql", staging_queries.read_macros())
    try:
        return {query.entity: _stage(con, query, values) for query in queries}
    finally:
        _drop_temporaries(con)


def _stage(
    con: duckdb.DuckDBPyConnection, query: StagingQuery, values: dict[str, object]
) -> StagedCounts:
    """Judge one entity's raw rows and write its clean and rejects tables."""
    started = time.perf_counter()
    entity = query.entity
    clean, rejects = f"staging.{entity}", f"staging.{entity}_rejects"
    _judge(con, query, values)
    warehouse.empty_table(con, clean)
    warehouse.empty_table(con, rejects)
    alive = f"{REJECT_REASON} IS NULL AND NOT {IS_DUPLICATE}"
    _run(con, clean, _insert(clean, _staged_columns(clean), alive, KEYS[entity]))
    _run(con, rejects, _insert_rejects(rejects))
    ((duplicates,),) = con.execute(
        f"SELECT count(*) FILTER ({IS_DUPLICATE}) FROM {VERDICTS}"
    ).fetchall()
    con.execute(f"DROP TABLE temp.{VERDICTS}")
    warehouse.check_primary_key(con, clean)
    counts = StagedCounts(
        warehouse.count_rows(con, clean),
        warehouse.count_rows(con, rejects),
        int(duplicates),
    )
    logger.debug(
        "staging.%s (duckdb): %d clean, %d rejected, %d duplicate in %.2f s",
        entity,
        counts.clean,
        counts.rejects,
        counts.duplicates,
        time.perf_counter() - started,
    )
    return counts


def _judge(
    con: duckdb.DuckDBPyConnection, query: StagingQuery, values: dict[str, object]
) -> None:
    """Compute the entity's verdicts into the temporary VERDICTS table."""
    missing = [name for name in query.params if name not in values]
    if missing:
        msg = (
            f"queries/staging/{query.entity}.sql: parameter ${missing[0]} has no "
            f"value; the runner provides only {', '.join(sorted(values))}"
        )
        raise QueryError(msg)
    params = {name: values[name] for name in query.params}
    # The query may end in a comment, so the closing parenthesis gets its own line.
    sql = f"CREATE OR REPLACE TEMP TABLE {VERDICTS} AS (\n{query.read_sql()}\n)"
    try:
        con.execute(sql, params or None)
    except duckdb.Error as exc:
        hint = "check that raw.* exists on this connection (etl run --layers raw)"
        msg = f"queries/staging/{query.entity}.sql failed: {first_line(exc)}; {_hint(exc, hint)}"
        raise QueryError(msg) from exc


def _staged_columns(table: str) -> list[str]:
    """``staged.<column> AS <column>`` for every column of a clean staging table."""
    return [f'{STAGED}."{name}" AS "{name}"' for name in _columns(table)]


def _insert(table: str, select: list[str], where: str, order: str) -> str:
    """INSERT the verdicts' rows into ``table``; DuckDB casts them to its columns."""
    columns = ", ".join(f'"{name}"' for name in _columns(table))
    return (
        f"INSERT INTO {table} ({columns}) SELECT {', '.join(select)} "
        f"FROM {VERDICTS} WHERE {where} ORDER BY {order}"
    )


def _insert_rejects(table: str) -> str:
    """Rejects in row order, ties broken by every source column as the Polars engine does.

    Polars sorts raw rows by ROW_ORDER and then every source column before it
    judges them, so rows with repeated lineage still come out in one order.
    """
    names = _columns(table)
    source = [
        name
        for name in names
        if name not in (*contracts.LINEAGE_COLUMNS, REJECT_REASON)
    ]
    order = ", ".join(f'"{name}" NULLS LAST' for name in (*ROW_ORDER, *source))
    select = [f'"{name}"' for name in names]
    return _insert(table, select, f"{REJECT_REASON} IS NOT NULL", order)


def _columns(table: str) -> list[str]:
    return list(contracts.arrow_schema(table).names)


def _drop_temporaries(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the verdict table and the macros, leaving ``con`` as it was."""
    # After a failed statement inside a transaction DuckDB refuses every statement
    # until ROLLBACK; the error that got us here matters more than tidying up.
    with contextlib.suppress(duckdb.TransactionException):
        con.execute(f"DROP TABLE IF EXISTS temp.{VERDICTS}")
        for macro in staging_queries.macro_names():
            con.execute(f"DROP MACRO IF EXISTS temp.{macro}")


def _run(con: duckdb.DuckDBPyConnection, label: str, sql: str) -> None:
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        msg = (
            f"{label} failed: {first_line(exc)}; {_hint(exc, 'this is an engine bug')}"
        )
        raise QueryError(msg) from exc


def _hint(exc: duckdb.Error, otherwise: str) -> str:
    """What to do about a failed statement: more memory, or ``otherwise``."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        return "DuckDB's share of the memory budget is too small here; raise --memory-limit"
    return otherwise
