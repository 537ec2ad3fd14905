"""What is in the warehouse and how clean it is: the reports behind `etl status` and `etl dq`.

The SQL is the dialect DuckDB and PostgreSQL share, so the same reports run against the
embedded warehouse and a Postgres target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine import contracts
from queries.analytics import named_queries

if TYPE_CHECKING:
    from collections.abc import Callable

    from engine.sink import Rows

    Fetch = Callable[[str], Rows]
    """Runs one query and returns its column names, rows and row count."""


@dataclass(frozen=True, slots=True)
class Report:
    """A titled result set, rendered by the CLI as a table, CSV or JSON."""

    name: str
    """Short key, the `report` column of a CSV holding several reports."""
    title: str
    columns: list[str]
    rows: list[tuple[object, ...]]


def _report(fetch: Fetch, name: str, title: str, sql: str) -> Report:
    columns, rows, _ = fetch(sql)
    return Report(name, title, columns, rows)


def status_reports(fetch: Fetch, *, last_runs: int = 5) -> list[Report]:
    """Partitions and rows per table, then the most recent runs."""
    parts = []
    for layer in contracts.LAYERS:
        for table in contracts.tables(layer):
            name = f"{layer}.{table}"
            if layer == "raw":
                # From the ledger: a partition whose file holds no rows still counts.
                ledger = f"FROM meta.ingested_files WHERE table_name = '{table}'"
                stats = (
                    f"(SELECT count(DISTINCT partition_date) {ledger}), "
                    f"(SELECT min(partition_date) {ledger}), "
                    f"(SELECT max(partition_date) {ledger})"
                )
            elif "_partition_date" in contracts.arrow_schema(name).names:
                stats = "count(DISTINCT _partition_date), min(_partition_date), max(_partition_date)"
            else:
                stats = "CAST(NULL AS BIGINT), CAST(NULL AS DATE), CAST(NULL AS DATE)"
            parts.append(
                f"SELECT {len(parts)} AS n, '{name}' AS table_name, count(*) AS rows, {stats} FROM {name}"
            )
    tables = _report(
        fetch,
        "tables",
        "Tables",
        "SELECT table_name, rows, partitions, first_partition, last_partition FROM ("
        + " UNION ALL ".join(parts)
        + ") AS t(n, table_name, rows, partitions, first_partition, last_partition) ORDER BY n",
    )
    runs = _report(
        fetch,
        "runs",
        "Last runs",
        f"""
        SELECT r.run_id, r.status, r.layers, r.started_at,
               round(CAST(extract(epoch FROM r.finished_at - r.started_at) AS NUMERIC), 2) AS seconds,
               coalesce(t.raw_rows_in, 0) AS raw_rows_in,
               coalesce(t.rejected, 0) AS rejected,
               r.error
        FROM meta.runs AS r
        LEFT JOIN (
            SELECT run_id,
                   sum(rows_in) FILTER (WHERE layer = 'raw') AS raw_rows_in,
                   sum(rows_rejected) AS rejected
            FROM meta.run_tables GROUP BY run_id
        ) AS t ON t.run_id = r.run_id
        ORDER BY r.started_at DESC LIMIT {int(last_runs)}
        """,
    )
    return [tables, runs]


def _rejects_union(extra: str = "") -> str:
    return " UNION ALL ".join(
        f"SELECT '{entity}' AS entity, reject_reason{extra} FROM staging.{entity}_rejects"
        for entity in contracts.ENTITIES
    )


def dq_reports(fetch: Fetch, *, by_partition: bool = False) -> list[Report]:
    """Rejects per entity and reason (optionally per partition) and their business impact."""
    if by_partition:
        rejects = _report(
            fetch,
            "rejects",
            "Rejects by partition",
            "SELECT entity, _partition_date AS partition_date, reject_reason, count(*) AS rows "
            f"FROM ({_rejects_union(', _partition_date')}) AS r "
            "GROUP BY entity, _partition_date, reject_reason ORDER BY 1, 2, 3",
        )
    else:
        rejects = _report(
            fetch,
            "rejects",
            "Rejects",
            f"SELECT entity, reject_reason, count(*) AS rows FROM ({_rejects_union()}) AS r "
            "GROUP BY entity, reject_reason ORDER BY entity, rows DESC, reject_reason",
        )
    accounting = _report(
        fetch,
        "accounting",
        "Row accounting (last staging build): raw = clean + rejected + duplicates",
        """
        SELECT table_name, rows_in AS raw_rows, rows_out AS clean, rows_rejected AS rejected,
               rows_duplicate AS duplicates,
               rows_in = rows_out + rows_rejected + rows_duplicate AS balanced
        FROM meta.run_tables
        WHERE layer = 'staging' AND run_id = (
            SELECT max(run_id) FROM meta.run_tables WHERE layer = 'staging')
        ORDER BY table_name
        """,
    )
    impact = _report(
        fetch,
        "impact",
        "Business impact: completed orders and revenue excluded by rejects",
        named_queries()["dq_impact"].read_text(),
    )
    return [rejects, accounting, impact]
