"""The DuckDB engine's staging and prod steps: the SQL twins, run on the warehouse.

Called by the pipeline inside the layer's transaction; the tables it writes become
visible together with the layer's run log when that transaction commits. Every row
stays inside DuckDB, which holds to its share of the memory budget (set when the
warehouse was opened) by spilling to the warehouse's temp directory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt

    import duckdb
    import polars as pl

    from engine.staging import StagedCounts


def build_staging_tables(
    con: duckdb.DuckDBPyConnection,
    *,
    memory_limit: int,
    handoff: dict[str, pl.DataFrame] | None = None,
) -> dict[str, StagedCounts]:
    """Write staging.<entity> and staging.<entity>_rejects from raw; counts per entity.

    ``handoff`` stays empty: no row leaves DuckDB, so prod reads staging there.
    """
    from engine.staging_sql import build_staging_sql

    return build_staging_sql(con)


def build_prod_tables(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: dt.date,
    memory_limit: int,
    handoff: dict[str, pl.DataFrame] | None = None,
) -> dict[str, int]:
    """Write every prod.<name> table from staging; rows per table."""
    from engine.prod import build_prod_sql

    return build_prod_sql(con, as_of=as_of)
