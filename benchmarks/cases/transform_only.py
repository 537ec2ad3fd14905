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

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from benchmarks.cases import Case, Timer, child_main, measurement
from engine.contracts import ENTITIES

if TYPE_CHECKING:
    import datetime as dt

    import pyarrow as pa

    from benchmarks.cases import CaseContext, Result, RunPlan, Spec


class TransformOnly(Case):
    name: ClassVar[str] = "transform_only"
    holds_tables: ClassVar[bool] = True
    variants: ClassVar[tuple[str, ...]] = ("polars", "duckdb", "pandas")
    classic_variants: ClassVar[frozenset[str]] = frozenset({"pandas"})

    def check(
        self, ctx: CaseContext, plan: RunPlan, spec: Spec, result: Result
    ) -> None:
        from benchmarks.compare import check_tables, parquet_source

        check_tables(
            plan.reference,
            parquet_source(Path(spec["workdir"]) / "out"),
            self.compared_tables(plan.variant),
            f"transform_only {plan.variant}",
        )

    def measure(self, spec: Spec) -> Result:
        out = Path(spec["workdir"]) / "out"
        out.mkdir()
        raw, as_of = _read_reference(Path(spec["reference"]))
        run = {"polars": _polars, "duckdb": _duckdb, "pandas": _pandas}[spec["variant"]]
        timings, rows_in, outputs = run(raw, as_of)
        _write(out, outputs)
        found = []
        variant = spec["variant"]
        if "staging" in timings:
            found.append(
                measurement(variant, "mem:staging", rows_in["raw"], timings["staging"])
            )
        found.append(
            measurement(variant, "mem:prod", rows_in["staging"], timings["prod"])
        )
        if "staging" in timings:
            found.append(
                measurement(
                    variant,
                    "mem:staging+prod",
                    rows_in["raw"],
                    timings["staging"] + timings["prod"],
                )
            )
        return {"measurements": found}


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


Outputs = dict[str, Any]
"""Qualified table name -> a Polars or pandas frame (or Arrow table)."""


def _polars(
    raw: dict[str, pa.Table], as_of: dt.date
) -> tuple[dict[str, float], dict[str, int], Outputs]:
    import polars as pl

    from engine import contracts, prod, staging

    frames = {
        e: pl.from_arrow(raw[e]).cast(dict(contracts.polars_schema(f"raw.{e}")))  # type: ignore[union-attr]
        for e in ENTITIES
    }
    with Timer() as t_staging:
        staged = staging.build_staging({e: f.lazy() for e, f in frames.items()})
    with Timer() as t_prod:
        result = prod.build_prod(
            {e: r.clean.lazy() for e, r in staged.items()}, as_of=as_of
        )
    outputs: Outputs = {}
    for e, r in staged.items():
        outputs[f"staging.{e}"] = r.clean
        outputs[f"staging.{e}_rejects"] = r.rejects
    outputs |= {f"prod.{name}": frame for name, frame in result.items()}
    rows = {
        "raw": sum(f.height for f in frames.values()),
        "staging": sum(r.clean.height for r in staged.values()),
    }
    return {"staging": t_staging.seconds, "prod": t_prod.seconds}, rows, outputs


def _duckdb(
    raw: dict[str, pa.Table], as_of: dt.date
) -> tuple[dict[str, float], dict[str, int], Outputs]:
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
    timings: dict[str, float] = {}
    outputs: Outputs = {}
    # Staging and prod are written into tables inside DuckDB; reading them back
    # (untimed) is only for the check against the reference.
    with Timer() as t_staging:
        build_staging_sql(con)
    timings["staging"] = t_staging.seconds
    for e in ENTITIES:
        outputs[f"staging.{e}"] = read_table(con, f"staging.{e}")
        outputs[f"staging.{e}_rejects"] = read_table(con, f"staging.{e}_rejects")
    clean = {e: outputs[f"staging.{e}"] for e in ENTITIES}
    with Timer() as t_prod:
        tables = prod.build_prod_sql(con, as_of=as_of)
    timings["prod"] = t_prod.seconds
    outputs |= {table: read_table(con, table) for table in tables}
    con.close()
    rows = {
        "raw": sum(raw[e].num_rows for e in ENTITIES),
        "staging": sum(clean[e].height for e in ENTITIES),
    }
    return timings, rows, outputs


def _pandas(
    raw: dict[str, pa.Table], as_of: dt.date
) -> tuple[dict[str, float], dict[str, int], Outputs]:
    from benchmarks.classic.aggregate import build_prod
    from benchmarks.classic.staging import build_staging

    frames = {e: raw[e].to_pandas() for e in ENTITIES}
    with Timer() as t_staging:
        staged = build_staging(frames)
    with Timer() as t_prod:
        result = build_prod({e: s.clean for e, s in staged.items()}, as_of=as_of)
    outputs: Outputs = {}
    for e, s in staged.items():
        outputs[f"staging.{e}"] = s.clean
        outputs[f"staging.{e}_rejects"] = s.rejects[
            ["reject_reason", "_source_file", "_source_row"]
        ]
    outputs |= {f"prod.{name}": frame for name, frame in result.items()}
    rows = {
        "raw": sum(len(f) for f in frames.values()),
        "staging": sum(len(s.clean) for s in staged.values()),
    }
    return {"staging": t_staging.seconds, "prod": t_prod.seconds}, rows, outputs


def _write(out: Path, outputs: Outputs) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    for table, frame in outputs.items():
        if isinstance(frame, pa.Table):
            data = frame
        elif hasattr(frame, "to_arrow"):
            data = frame.to_arrow()
        else:
            # pandas: object columns hold Decimal/date/None; NaN there means None.
            clean = frame.astype(object).where(frame.notna(), None)
            data = pa.Table.from_pandas(clean, preserve_index=False)
        pq.write_table(data, out / f"{table}.parquet")


CASE = TransformOnly()

if __name__ == "__main__":
    raise SystemExit(child_main(CASE))
