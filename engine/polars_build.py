"""The Polars engine's staging and prod steps: read the warehouse, write its tables.

Called by the pipeline inside the layer's transaction; the tables it writes become
visible together with the layer's run log when that transaction commits. Work runs in
pieces sized from the memory budget (engine/pieces.py): each piece is read from
DuckDB, judged or aggregated in Polars and appended, so no step holds a whole table.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import polars as pl

from engine import contracts, warehouse
from engine.memory import duckdb_memory_limit
from engine.piece_writer import TableWriter, spill_directory
from engine.pieces import (
    PROD_COPIES,
    STAGING_COPIES,
    bucket,
    month_ranges,
    piece_count,
    row_bytes,
)
from engine.staging import ROW_ORDER, StagedCounts

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable
    from pathlib import Path

    import duckdb

    from queries import Split

logger = logging.getLogger(__name__)

Where = dict[str, tuple[str, dict[str, object]]]
"""Per staging table, the SQL predicate (and its parameters) selecting a piece's rows."""


def build_staging_tables(
    con: duckdb.DuckDBPyConnection,
    *,
    memory_limit: int,
    pieces: int | None = None,
    handoff: dict[str, pl.DataFrame] | None = None,
) -> dict[str, StagedCounts]:
    """Write staging.<entity> and staging.<entity>_rejects from raw; counts per entity.

    Parameters
    ----------
    pieces
        Split every entity into this many key buckets instead of planning the
        count from ``memory_limit`` (tests compare one piece with many).
    handoff
        Filled with each entity's clean rows when all of staging fits one prod
        piece, so that prod in the same process takes them from memory instead
        of reading them back from the warehouse.
    """
    from engine import staging

    staging.check_rules()

    def count(entity: str) -> int:
        if pieces is not None:
            return pieces
        size = warehouse.count_rows(con, f"raw.{entity}") * row_bytes(f"raw.{entity}")
        return piece_count(size, memory_limit=memory_limit, copies=STAGING_COPIES)

    n = {entity: count(entity) for entity in contracts.ENTITIES}
    if handoff is not None and not _fits_one_prod_piece(con, memory_limit):
        handoff = None
    judges = {entity: _judge(con, entity, n[entity]) for entity in contracts.ENTITIES}
    # Parents first: a child's reference check reads the staging rows written here.
    with spill_directory(con) as spill:
        return {
            entity: _stage(
                con, entity, n[entity], judges[entity], spill, handoff, memory_limit
            )
            for entity in contracts.ENTITIES
        }


def _fits_one_prod_piece(con: duckdb.DuckDBPyConnection, memory_limit: int) -> bool:
    """Whether staging, at most as large as raw, fits the budget of one prod piece."""
    size = sum(
        warehouse.count_rows(con, f"raw.{entity}") * row_bytes(f"staging.{entity}")
        for entity in contracts.ENTITIES
    )
    return piece_count(size, memory_limit=memory_limit, copies=PROD_COPIES) == 1


def _stage(
    con: duckdb.DuckDBPyConnection,
    entity: str,
    n: int,
    judge: Callable[[pl.LazyFrame], pl.LazyFrame],
    spill: Path,
    handoff: dict[str, pl.DataFrame] | None,
    memory_limit: int,
) -> StagedCounts:
    """Judge raw.<entity> in ``n`` key buckets, appending each bucket's output."""
    from engine.staging import KEYS, split_verdicts

    size = warehouse.count_rows(con, f"raw.{entity}") * row_bytes(f"staging.{entity}")
    spill = _spill_if_large(spill, size, memory_limit)
    # The pieces are buckets of the entity's key, which is staging's primary key.
    clean = TableWriter(
        con, f"staging.{entity}", pieces=n, spill=spill, keyed_pieces=True
    )
    rejects = TableWriter(con, f"staging.{entity}_rejects", pieces=n, spill=spill)
    duplicates = 0
    kept: list[pl.DataFrame] = []
    for piece in range(n):
        raw = _read(con, f"raw.{entity}", bucket(KEYS[entity], n), {"bucket": piece})
        result = split_verdicts(judge(raw.lazy()), entity)
        clean.add(result.clean)
        rejects.add(result.rejects)
        duplicates += result.duplicates
        if handoff is not None:
            kept.append(result.clean)
        # Let this piece's working set go before the next is read; only its clean
        # rows stay, for a handoff (which fits one prod piece).
        del raw, result
    if handoff is not None:
        handoff[entity] = pl.concat(kept, rechunk=False)
    clean.finish()
    rejects.finish()
    counts = StagedCounts(clean.rows, rejects.rows, duplicates)
    logger.info("staging.%s in %d piece(s): %s", entity, n, counts)
    return counts


def _spill_if_large(spill: Path, size: int, memory_limit: int) -> Path | None:
    """Where a table's pieces go: ``spill``, or None to append them directly.

    Appended pieces stay in DuckDB's memory until the transaction commits, so a
    table of ``size`` estimated bytes beyond DuckDB's share goes through files.
    """
    return spill if size > duckdb_memory_limit(memory_limit, "polars") else None


def _judge(
    con: duckdb.DuckDBPyConnection, entity: str, n: int
) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
    """An entity's rules for one of ``n`` key buckets, references included.

    A reference is checked against the parent's staging and raw keys in DuckDB,
    written before the child (contracts.ENTITIES puts parents first).
    """
    from engine import staging

    if entity in CROSS_PIECE_RULES:
        return CROSS_PIECE_RULES[entity](con, n)
    rules = staging.rules_for(entity)
    refs = contracts.parent_references(entity)
    if not refs:
        return rules

    def judge(raw: pl.LazyFrame) -> pl.LazyFrame:
        verdicts = rules(raw).collect()
        parents = {ref.parent: _parent_keys(con, ref, verdicts) for ref in refs}
        return staging.check_references(verdicts.lazy(), entity, parents)

    return judge


def _customers_judge(
    con: duckdb.DuckDBPyConnection, n: int
) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
    """The customer rules for ``n`` id buckets, one customer per email included.

    With several buckets, the same email can be kept in two of them: a first pass
    collects every bucket's survivors, a second, bucketed by email, finds the
    ones an earlier kept row already claims, and the judge rejects those.
    """
    from engine.staging import clean_customers, judge_customers
    from engine.staging_rules import reject_listed

    if n == 1:
        return clean_customers
    losers = _email_repeats(con, n)

    def judge(raw: pl.LazyFrame) -> pl.LazyFrame:
        verdicts = judge_customers(raw).collect()
        by = pl.col("customer_id")
        return reject_listed(verdicts, by, losers, "duplicate_email").lazy()

    return judge


CROSS_PIECE_RULES: dict[
    str,
    Callable[[duckdb.DuckDBPyConnection, int], Callable[[pl.LazyFrame], pl.LazyFrame]],
] = {"customers": _customers_judge}
"""Entities with a rule that looks across key buckets (one customer per email), and
how to build their judge for ``n`` buckets; every other rule is local to a bucket."""


def _email_repeats(con: duckdb.DuckDBPyConnection, n: int) -> pl.Series:
    """Ids of surviving customers whose email an earlier surviving row already has."""
    from engine.staging import judge_customers
    from engine.staging_rules import ALIVE, staged_field

    con.execute(
        "CREATE TEMP TABLE _survivors (customer_id BIGINT, email TEXT, "
        "_partition_date DATE, _source_file TEXT, _source_row BIGINT)"
    )
    try:
        for piece in range(n):
            raw = _read(
                con, "raw.customers", bucket("customer_id", n), {"bucket": piece}
            )
            survivors = (
                judge_customers(raw.lazy())
                .filter(ALIVE)
                .select("customer_id", staged_field("email"), *ROW_ORDER)
                .collect()
            )
            _insert(con, "_survivors", survivors)
        losers = []
        for piece in range(n):
            claims = _read(con, "_survivors", bucket("email", n), {"bucket": piece})
            repeats = claims.sort(ROW_ORDER).filter(
                ~pl.col("email").is_first_distinct()
            )
            losers.append(repeats.get_column("customer_id"))
    finally:
        con.execute("DROP TABLE _survivors")
    return pl.concat(losers)


def _parent_keys(
    con: duckdb.DuckDBPyConnection, ref: contracts.Reference, verdicts: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kept, known): the piece's references found in the parent's staging and raw keys.

    A semi-join in DuckDB against tables this transaction already wrote, so only
    the piece's own references are held, never the parent's whole key column.
    Both frames hold one column, named as the parent's key.
    """
    from engine.staging_rules import ALIVE

    column, key, parent = ref.column, ref.parent_column, ref.parent
    refs = verdicts.lazy().filter(ALIVE).select(pl.col(column).drop_nulls().unique())
    con.register("_refs", refs.collect().to_arrow())
    try:
        found = con.sql(
            f"SELECT {column} AS {key}, "
            f"{column} IN (SELECT {key} FROM staging.{parent}) AS _kept, "
            f"{column} IN (SELECT {key} FROM raw.{parent} "
            f"WHERE {key} IS NOT NULL) AS _known FROM _refs"
        ).pl()
    finally:
        con.unregister("_refs")
    kept = found.filter("_kept").select(key)
    known = found.filter("_known").select(key)
    return kept, known


def _read(
    con: duckdb.DuckDBPyConnection,
    table: str,
    where: str,
    params: dict[str, object] | None = None,
) -> pl.DataFrame:
    """The rows of a table that match ``where``, in stored order.

    No ORDER BY: raw is stored in row order and staging re-checks the order
    itself (sorting only when it is not), so a piece costs DuckDB a filtered scan.
    """
    relation = con.sql(f"SELECT * FROM {table} WHERE {where}", params=params)
    frame = pl.from_arrow(relation.to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    if table.startswith("_"):
        return frame
    return frame.cast(dict(contracts.polars_schema(table)))  # type: ignore[arg-type]


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.register("_incoming", frame.to_arrow())
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming")
    finally:
        con.unregister("_incoming")


def build_prod_tables(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: dt.date,
    memory_limit: int,
    pieces: int | None = None,
    handoff: dict[str, pl.DataFrame] | None = None,
) -> dict[str, int]:
    """Write every prod.<name> table from staging; rows per table.

    Queries are grouped by their declared split (queries.Split) and each group runs
    piece by piece over the staging rows of that piece.

    Parameters
    ----------
    pieces
        Run every split in (at most) this many pieces instead of planning the
        count from ``memory_limit`` (tests compare one piece with many).
    handoff
        Staging tables this process already holds (see build_staging_tables),
        used in place of reading the whole table back.
    """
    handoff = handoff or {}
    from engine.prod import build_prod
    from queries import discover

    found = discover()
    rows = {}
    with spill_directory(con) as spill:
        for split in dict.fromkeys(query.split for query in found):
            group = [query for query in found if query.split == split]
            wheres = _prod_pieces(con, split, memory_limit=memory_limit, pieces=pieces)
            n = len(wheres)
            inputs = sorted({table for query in group for table in query.inputs})
            size = sum(
                warehouse.count_rows(con, f"staging.{t}") * row_bytes(f"staging.{t}")
                for t in inputs
            )
            spills = _spill_if_large(spill, size, memory_limit)
            writers = {
                q.name: TableWriter(con, q.table, pieces=n, spill=spills) for q in group
            }
            for where in wheres:
                staged = {
                    table: _staged(con, table, where, handoff).lazy()
                    for table in inputs
                }
                for name, frame in build_prod(
                    staged, as_of=as_of, queries=group
                ).items():
                    writers[name].add(frame)
                del staged  # one piece in memory at a time
            for name, writer in writers.items():
                writer.finish()
                rows[f"prod.{name}"] = writer.rows
            logger.info("prod split %s in %d piece(s)", split, n)
    return {query.table: rows[query.table] for query in found}


def _staged(
    con: duckdb.DuckDBPyConnection,
    table: str,
    where: Where,
    handoff: dict[str, pl.DataFrame],
) -> pl.DataFrame:
    """A piece's rows of staging.<table>: the handed-off frame when it wants them all."""
    if table not in where and table in handoff:
        return handoff[table]
    return _read(con, f"staging.{table}", *where.get(table, ("true", {})))


def _prod_pieces(
    con: duckdb.DuckDBPyConnection,
    split: Split | None,
    *,
    memory_limit: int,
    pieces: int | None,
) -> list[Where]:
    """The staging rows of each piece of a split, as predicates per staging table."""
    if split is None:
        return [{}]
    orders_bytes = row_bytes("staging.orders")
    items_bytes = row_bytes("staging.order_items")
    if split == "order_month":
        months = con.sql(
            "SELECT date_trunc('month', order_date)::DATE AS month, count(*) "
            "FROM staging.orders GROUP BY month ORDER BY month"
        ).fetchall()
        orders = sum(count for _, count in months)
        items = warehouse.count_rows(con, "staging.order_items")
        per_order = orders_bytes + items_bytes * items / max(orders, 1)
        ranges = month_ranges(
            [(month, int(count * per_order)) for month, count in months],
            memory_limit=memory_limit,
            copies=PROD_COPIES,
            pieces=pieces,
        )
        if len(ranges) <= 1:
            return [{}]
        in_range = "order_date >= $start AND order_date < $end"
        return [
            _orders_piece(in_range, {"start": start, "end": end}, customers=False)
            for start, end in ranges
        ]
    size = sum(
        warehouse.count_rows(con, f"staging.{table}") * row_bytes(f"staging.{table}")
        for table in ("customers", "orders", "order_items")
    )
    n = pieces or piece_count(size, memory_limit=memory_limit, copies=PROD_COPIES)
    if n == 1:
        return [{}]
    own = bucket("customer_id", n)
    return [_orders_piece(own, {"bucket": b}, customers=True) for b in range(n)]


def _orders_piece(
    orders_where: str, params: dict[str, object], *, customers: bool
) -> Where:
    """A piece of orders, those orders' items and (same predicate) their customers."""
    items_where = (
        f"order_id IN (SELECT order_id FROM staging.orders WHERE {orders_where})"
    )
    where: Where = {
        "orders": (orders_where, params),
        "order_items": (items_where, params),
    }
    if customers:
        where["customers"] = (orders_where, params)
    return where
