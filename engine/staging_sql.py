"""Staging in DuckDB SQL: runs the queries/staging twins of the Polars rules.

Each entity's SQL computes its verdicts on the warehouse connection, parents first;
the same ``split_verdicts`` as the Polars engine turns them into clean rows, rejects
and the duplicate count, so both engines conform and sort their output alike.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from typing import TYPE_CHECKING, Final

import duckdb
import polars as pl

from engine import contracts
from engine.errors import ContractError, QueryError
from engine.staging import ROW_ORDER, split_verdicts
from engine.staging_rules import (
    EARLIEST_DATE,
    FUTURE_DAYS,
    ORDER_STATUSES,
    REJECT_REASON,
)
from queries import staging as staging_queries

if TYPE_CHECKING:
    from engine.staging import StagingResult
    from queries.staging import StagingQuery

__all__ = ["build_staging_sql", "staging_parameters"]

logger = logging.getLogger(__name__)

MONEY_LIMITS: Final = {
    "price_limit_cents": ("staging.products", "price"),
    "cost_limit_cents": ("staging.products", "cost"),
    "total_amount_limit_cents": ("staging.orders", "total_amount"),
    "unit_price_limit_cents": ("staging.order_items", "unit_price"),
}
"""`$name` -> the staging column whose NUMERIC(p, 2) bounds that amount."""


def _limit_cents(table: str, column: str) -> float:
    """10^p: the first whole number of cents that no longer fits NUMERIC(p, 2)."""
    dtype = contracts.polars_schema(table)[column]
    if not isinstance(dtype, pl.Decimal) or dtype.scale != 2:
        msg = f"{table}.{column}: staging rounds money to cents, so the DDL must declare NUMERIC(p, 2), not {dtype}"
        raise ContractError(msg, table=table, column=column)
    # A float, as in engine.staging_rules.money_too_large: +inf must compare too.
    return 10.0**dtype.precision


def staging_parameters() -> dict[str, object]:
    """Values for the `$name`s in queries/staging: money limits, statuses, date window."""
    values: dict[str, object] = {
        name: _limit_cents(table, column)
        for name, (table, column) in MONEY_LIMITS.items()
    }
    values["order_statuses"] = list(ORDER_STATUSES)
    values["earliest_date"] = EARLIEST_DATE
    values["future_days"] = FUTURE_DAYS
    return values


def build_staging_sql(con: duckdb.DuckDBPyConnection) -> dict[str, StagingResult]:
    """Clean customers, products, orders and order_items from the raw tables on ``con``.

    The twin of ``engine.staging.build_staging``. It reads ``raw.*`` and writes
    nothing to the warehouse: its macros and the clean parents the children check
    their references against are temporary and gone when it returns.
    """
    queries = staging_queries.discover()
    values = staging_parameters()
    bound: list[str] = []
    _run(con, "queries/staging/_macros.sql", staging_queries.read_macros())
    try:
        results = {}
        for query in queries:
            started = time.perf_counter()
            verdicts = _verdicts(con, query, values)
            result = _in_row_order(split_verdicts(verdicts.lazy(), query.entity))
            results[query.entity] = result
            # The children's reference checks read this run's clean parents.
            name = f"clean_{query.entity}"
            con.register(name, result.clean.to_arrow())
            bound.append(name)
            logger.debug(
                "staging.%s (duckdb): %d raw -> %d clean, %d rejected, %d duplicate in %.2f s",
                query.entity,
                verdicts.height,
                result.clean.height,
                result.rejects.height,
                result.duplicates,
                time.perf_counter() - started,
            )
    finally:
        _drop_temporaries(con, bound)
    return results


def _verdicts(
    con: duckdb.DuckDBPyConnection, query: StagingQuery, values: dict[str, object]
) -> pl.DataFrame:
    missing = [name for name in query.params if name not in values]
    if missing:
        msg = (
            f"queries/staging/{query.entity}.sql: parameter ${missing[0]} has no "
            f"value; the runner provides only {', '.join(sorted(values))}"
        )
        raise QueryError(msg)
    params = {name: values[name] for name in query.params}
    try:
        return con.sql(query.read_sql(), params=params or None).pl()
    except duckdb.Error as exc:
        msg = (
            f"queries/staging/{query.entity}.sql failed: {_first_line(exc)}; "
            "check that raw.* exists on this connection (etl run --layers raw)"
        )
        raise QueryError(msg) from exc


def _drop_temporaries(con: duckdb.DuckDBPyConnection, views: list[str]) -> None:
    """Unbind the clean parents and drop the macros, leaving ``con`` as it was."""
    # After a failed statement inside a transaction DuckDB refuses every statement
    # until ROLLBACK; the error that got us here matters more than tidying up.
    with contextlib.suppress(duckdb.TransactionException):
        for name in views:
            con.unregister(name)
        for macro in staging_queries.macro_names():
            con.execute(f"DROP MACRO IF EXISTS temp.{macro}")


def _in_row_order(result: StagingResult) -> StagingResult:
    """Rejects sorted as engine.staging sorts them, whatever order the SQL returned.

    The Polars engine sorts raw rows by ROW_ORDER and then every source column
    before it judges them, so rows with repeated lineage still come out in one order;
    the SQL leaves its rows unordered (a global sort there is the slowest step).
    """
    source = [
        name
        for name in result.rejects.columns
        if name not in (*contracts.LINEAGE_COLUMNS, REJECT_REASON)
    ]
    rejects = result.rejects.sort([*ROW_ORDER, *source], nulls_last=True)
    return dataclasses.replace(result, rejects=rejects)


def _run(con: duckdb.DuckDBPyConnection, label: str, sql: str) -> None:
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        msg = f"{label} failed: {_first_line(exc)}"
        raise QueryError(msg) from exc


def _first_line(exc: Exception) -> str:
    # Engine errors carry multi-line hints; our messages stay one line.
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
