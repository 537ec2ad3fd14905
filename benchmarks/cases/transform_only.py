"""The transform alone, per engine, on identical in-memory input (no files, no database).

The raw tables of the reference warehouse are loaded into memory first (untimed):
- polars: engine.staging.build_staging, then engine.prod.build_prod on its output;
- duckdb: engine.staging_sql.build_staging_sql over raw.* in an in-memory DuckDB, then
  engine.prod.build_prod_sql, each writing its tables inside DuckDB;
- pandas: the classic pipeline's cleaning and aggregation functions (a prod metric
  the classic baseline lacks is listed in the summary as not compared).
Staging and prod are timed separately (targets mem:staging, mem:prod) and together
(mem:staging+prod). Every result is fully collected; the outputs are then written to
Parquet (untimed) and checked against the reference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from benchmarks.cases import Case, Timer
from engine.contracts import ENTITIES

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable
    from pathlib import Path

    import pyarrow as pa

    from benchmarks.cases import Measurements, Run
    from benchmarks.compare import Source

    Variant = Callable[[dict[str, pa.Table], dt.date, Timer, Timer], "Outputs"]

Outputs = dict[str, Any]
"""Qualified table name -> a Polars or pandas frame."""


class TransformOnly(Case):
    holds_tables: ClassVar[bool] = True
    variants: ClassVar[tuple[str, ...]] = ("polars", "duckdb", "pandas")
    classic_variants: ClassVar[frozenset[str]] = frozenset({"pandas"})
    label: ClassVar[str] = "transform_only {variant}"

    def output(self, run: Run) -> Source:
        from benchmarks.compare import parquet_source

        return parquet_source(run.workdir / "out")

    def measure(self, run: Run) -> Measurements:
        raw, as_of = _read_reference(run.reference)
        variant: Variant = {"polars": _polars, "duckdb": _duckdb, "pandas": _pandas}[
            run.variant
        ]
        staging, prod = Timer(), Timer()
        outputs = variant(raw, as_of, staging, prod)
        rows = write_parquet(run.workdir / "out", outputs)
        raw_rows = sum(table.num_rows for table in raw.values())
        clean_rows = sum(rows[f"staging.{e}"] for e in ENTITIES)
        return {
            "mem:staging": (raw_rows, staging.seconds),
            "mem:prod": (clean_rows, prod.seconds),
            "mem:staging+prod": (raw_rows, staging.seconds + prod.seconds),
        }


def _read_reference(reference: Path) -> tuple[dict[str, pa.Table], dt.date]:
    import duckdb

    con = duckdb.connect(str(reference), read_only=True)
    try:
        raw = {e: con.sql(f"SELECT * FROM raw.{e}").to_arrow_table() for e in ENTITIES}
        ((as_of,),) = con.sql(
            "SELECT as_of FROM meta.runs WHERE status = 'succeeded' "
            "ORDER BY started_at DESC LIMIT 1"
        ).fetchall()
    finally:
        con.close()
    return raw, as_of


def _polars(
    raw: dict[str, pa.Table], as_of: dt.date, staging_timer: Timer, prod_timer: Timer
) -> Outputs:
    import polars as pl

    from engine import contracts, prod, staging

    frames = {
        e: pl.from_arrow(raw[e]).cast(dict(contracts.polars_schema(f"raw.{e}")))  # type: ignore[union-attr]
        for e in ENTITIES
    }
    with staging_timer:
        staged = staging.build_staging({e: f.lazy() for e, f in frames.items()})
    with prod_timer:
        result = prod.build_prod(
            {e: r.clean.lazy() for e, r in staged.items()}, as_of=as_of
        )
    outputs: Outputs = {f"prod.{name}": frame for name, frame in result.items()}
    for e, r in staged.items():
        outputs |= {f"staging.{e}": r.clean, f"staging.{e}_rejects": r.rejects}
    return outputs


def _duckdb(
    raw: dict[str, pa.Table], as_of: dt.date, staging_timer: Timer, prod_timer: Timer
) -> Outputs:
    import duckdb

    from engine import contracts, prod
    from engine.staging_sql import build_staging_sql
    from engine.warehouse import read_table

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for path in contracts.ddl_files():
        con.execute(path.read_text())
    for e in ENTITIES:
        con.register("_incoming", raw[e])
        con.execute(f"INSERT INTO raw.{e} BY NAME SELECT * FROM _incoming")
        con.unregister("_incoming")
    # Staging and prod are written into tables inside DuckDB; reading them back
    # (untimed) is only for the check against the reference.
    with staging_timer:
        build_staging_sql(con)
    with prod_timer:
        tables = prod.build_prod_sql(con, as_of=as_of)
    staging = [f"staging.{e}{suffix}" for e in ENTITIES for suffix in ("", "_rejects")]
    outputs = {table: read_table(con, table) for table in [*tables, *staging]}
    con.close()
    return outputs


def _pandas(
    raw: dict[str, pa.Table], as_of: dt.date, staging_timer: Timer, prod_timer: Timer
) -> Outputs:
    from benchmarks.classic.aggregate import build_prod
    from benchmarks.classic.staging import build_staging

    frames = {e: raw[e].to_pandas() for e in ENTITIES}
    with staging_timer:
        staged = build_staging(frames)
    with prod_timer:
        result = build_prod({e: s.clean for e, s in staged.items()}, as_of=as_of)
    outputs: Outputs = {f"prod.{name}": frame for name, frame in result.items()}
    for e, s in staged.items():
        rejects = s.rejects[["reject_reason", "_source_file", "_source_row"]]
        outputs |= {f"staging.{e}": s.clean, f"staging.{e}_rejects": rejects}
    return outputs


def write_parquet(out: Path, outputs: Outputs) -> dict[str, int]:
    """Each frame (Polars or pandas) to out/<table>.parquet; the rows of each."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    rows = {}
    for table, frame in outputs.items():
        if hasattr(frame, "to_arrow"):
            data = frame.to_arrow()
        else:
            # pandas: object columns hold Decimal/date/None; NaN there means None.
            clean = frame.astype(object).where(frame.notna(), None)
            data = pa.Table.from_pandas(clean, preserve_index=False)
        pq.write_table(data, out / f"{table}.parquet")
        rows[table] = data.num_rows
    return rows


CASE = TransformOnly()
