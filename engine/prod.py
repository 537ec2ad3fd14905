"""The prod layer: runs every queries/ pair, Polars by default or the DuckDB SQL twins.

Both runners bind inputs by name (staging tables by table name, scalars such as
`as_of` by parameter name) and conform every result to its `prod.<name>` contract.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from engine import contracts
from engine.contracts import conform
from engine.errors import ContractError, QueryError
from engine.failures import first_line
from engine.warehouse import check_primary_key, count_rows, empty_table
from queries import discover, macro_names, read_macros

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import date

    from queries import Query

logger = logging.getLogger(__name__)


def build_prod(
    staging: Mapping[str, pl.LazyFrame],
    *,
    as_of: date,
    queries: Sequence[Query] | None = None,
) -> dict[str, pl.DataFrame]:
    """Every prod table (or those of ``queries``) from staging frames, with Polars.

    Parameters
    ----------
    staging
        Staging frames by table name (`orders`, ...); extra tables are ignored.
    as_of
        The date `days_since_*` columns count from.
    queries
        The queries to run (default: every discovered one).
    """
    found = discover() if queries is None else list(queries)
    values = {"as_of": as_of}
    plans = []
    for query in found:
        tables = {name: _staging_input(query, staging, name) for name in query.inputs}
        frame = query.build(**tables, **_scalars(query, values))
        plans.append(conform(frame, query.table))
    try:
        # One collect_all: the plans run concurrently instead of one after another.
        frames = pl.collect_all(plans)
    except pl.exceptions.PolarsError as exc:
        msg = (
            f"prod (Polars variant) failed: {first_line(exc)}; "
            "run the SQL variant on the same staging data to find the query"
        )
        raise QueryError(msg) from exc
    result = {query.name: frame for query, frame in zip(found, frames, strict=True)}
    for name, frame in result.items():
        logger.debug("built prod.%s (polars): %s rows", name, frame.height)
    return result


def build_prod_sql(con: duckdb.DuckDBPyConnection, *, as_of: date) -> dict[str, int]:
    """Write every prod table with the DuckDB SQL twins, from `staging.*` on ``con``.

    Each result goes straight into its table, cast to the table's columns as
    `conform` casts Polars results, in the query's order; rows per table. Call
    inside a transaction. The shared macros (queries/_macros.sql) are temporary
    and gone when it returns.
    """
    _create_macros(con)
    try:
        return {
            query.table: _write_prod_sql(con, query, {"as_of": as_of})
            for query in discover()
        }
    finally:
        _drop_macros(con)


def _write_prod_sql(
    con: duckdb.DuckDBPyConnection, query: Query, values: Mapping[str, date]
) -> int:
    """Fill one prod table from its SQL twin; its row count."""
    params = _scalars(query, values)
    select = query.read_select()
    try:
        relation = con.sql(select, params=params or None)
    except duckdb.Error as exc:
        msg = (
            f"queries/{query.name}.sql failed: {first_line(exc)}; check that "
            f"staging.{', staging.'.join(query.inputs)} exist on this connection"
        )
        raise QueryError(msg) from exc
    columns = list(contracts.arrow_schema(query.table).names)
    missing = [name for name in columns if name not in relation.columns]
    if missing:
        msg = f"{query.table}: output lacks column(s) {', '.join(missing)}"
        raise ContractError(msg, table=query.table, column=missing[0])
    empty_table(con, query.table)
    listed = ", ".join(f'"{name}"' for name in columns)
    # The query may end in a comment, so the closing parenthesis gets its own line.
    insert = f"INSERT INTO {query.table} ({listed}) SELECT {listed} FROM (\n{select}\n)"
    try:
        con.execute(insert, params or None)
    except duckdb.OutOfMemoryException as exc:
        msg = (
            f"queries/{query.name}.sql failed: {first_line(exc)}; DuckDB's "
            "share of the memory budget is too small here; raise --memory-limit"
        )
        raise QueryError(msg) from exc
    except duckdb.Error as exc:
        msg = f"queries/{query.name}.sql failed: {first_line(exc)}"
        raise QueryError(msg) from exc
    check_primary_key(con, query.table)
    rows = count_rows(con, query.table)
    logger.debug("built %s (duckdb): %s rows", query.table, rows)
    return rows


def _create_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the macros the SQL twins share; they read staging.orders and order_items."""
    try:
        con.execute(read_macros())
    except duckdb.Error as exc:
        msg = (
            f"queries/_macros.sql failed: {first_line(exc)}; check that "
            "staging.orders and staging.order_items exist on this connection"
        )
        raise QueryError(msg) from exc


def _drop_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the shared macros, leaving ``con`` as it was."""
    # After a failed statement inside a transaction DuckDB refuses every statement
    # until ROLLBACK; the error that got us here matters more than tidying up.
    with contextlib.suppress(duckdb.TransactionException):
        for macro in macro_names(read_macros()):
            con.execute(f"DROP MACRO IF EXISTS temp.{macro}")


def _staging_input(
    query: Query, staging: Mapping[str, pl.LazyFrame], name: str
) -> pl.LazyFrame:
    try:
        return staging[name]
    except KeyError:
        msg = (
            f"{query.table} needs staging table {name!r}, which was not given; "
            "build staging first"
        )
        raise QueryError(msg) from None


def _scalars(query: Query, values: Mapping[str, date]) -> dict[str, date]:
    missing = [name for name in query.params if name not in values]
    if missing:
        msg = (
            f"queries/{query.name}: parameter {missing[0]!r} has no value; "
            f"the prod runner provides only {', '.join(values)}"
        )
        raise QueryError(msg)
    return {name: values[name] for name in query.params}
