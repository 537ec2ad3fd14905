"""Check a run's tables against the reference warehouse: the same rows, money as exact
decimals. Runs in the harness process, after the run's process has exited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from benchmarks.cases import CheckFailed

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    import duckdb
    import pyarrow as pa

ENTITIES: Final = ("customers", "products", "orders", "order_items")
PROD: Final = (
    "customer_metrics",
    "daily_category_metrics",
    "daily_product_metrics",
    "daily_sales",
    "monthly_sales",
)
REJECT_COLUMNS: Final = ("reject_reason", "_source_file", "_source_row")
"""A reject is identified by its raw row and reason; its values are the raw ones."""
# Money columns are compared at a scale wider than the contract's, so a value with
# stray digits cannot round its way into a match.
_MONEY: Final = "DECIMAL(38, 6)"


def prod_tables() -> list[str]:
    return [f"prod.{name}" for name in PROD]


def staging_tables(*, rejects: bool = True) -> list[str]:
    clean = [f"staging.{name}" for name in ENTITIES]
    return clean + ([f"staging.{name}_rejects" for name in ENTITIES] if rejects else [])


def duckdb_source(path: Path) -> Callable[[str], pa.Table]:
    import duckdb

    def read(table: str) -> pa.Table:
        con = duckdb.connect(str(path), read_only=True)
        try:
            return con.sql(f"SELECT * FROM {table}").to_arrow_table()
        finally:
            con.close()

    return read


def postgres_source(url: str) -> Callable[[str], pa.Table]:
    from benchmarks.pg import fetch_arrow

    return lambda table: fetch_arrow(url, f"SELECT * FROM {table}")


def parquet_source(directory: Path) -> Callable[[str], pa.Table]:
    import pyarrow.parquet as pq

    return lambda table: pq.read_table(directory / f"{table}.parquet")


def check_tables(
    reference: Path, read: Callable[[str], pa.Table], tables: Iterable[str], what: str
) -> None:
    """Raise CheckFailed naming every table whose rows differ from the reference's."""
    import duckdb

    problems = []
    con = duckdb.connect(str(reference), read_only=True)
    try:
        for table in tables:
            problem = _compare(con, table, read(table))
            if problem:
                problems.append(problem)
    finally:
        con.close()
    if problems:
        msg = f"{what}: output differs from the reference warehouse {reference.name}: {'; '.join(problems)}"
        raise CheckFailed(msg)


def _compare(con: duckdb.DuckDBPyConnection, table: str, candidate: pa.Table) -> str:
    described = con.sql(f"DESCRIBE {table}").fetchall()
    columns = [(name, str(kind)) for name, kind, *_ in described]
    if table.endswith("_rejects"):
        columns = [(n, k) for n, k in columns if n in REJECT_COLUMNS]
    missing = [name for name, _ in columns if name not in candidate.column_names]
    if missing:
        return f"{table} lacks column(s) {', '.join(missing)}"

    def typed(name: str, kind: str) -> str:
        return f'CAST("{name}" AS {_MONEY if kind.startswith("DECIMAL") else kind})'

    select = ", ".join(typed(n, k) for n, k in columns)
    con.register("_candidate", candidate)
    try:
        ours = f"SELECT {select} FROM {table}"
        theirs = f"SELECT {select} FROM _candidate"
        lacking = con.sql(f"{ours} EXCEPT ALL {theirs}")
        extra = con.sql(f"{theirs} EXCEPT ALL {ours}")
        n_lacking = lacking.aggregate("count(*)").fetchall()[0][0]
        n_extra = extra.aggregate("count(*)").fetchall()[0][0]
        if not n_lacking and not n_extra:
            return ""
        ((n_ref,),) = con.sql(f"SELECT count(*) FROM {table}").fetchall()
        sample = (extra.limit(1).fetchall() or lacking.limit(1).fetchall())[0]
    finally:
        con.unregister("_candidate")
    return (
        f"{table}: {candidate.num_rows:,} rows vs {n_ref:,} in the reference, "
        f"{n_lacking:,} reference rows missing, {n_extra:,} rows not in the reference "
        f"(e.g. {sample})"
    )
