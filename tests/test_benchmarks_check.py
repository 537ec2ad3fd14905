from __future__ import annotations

import re
import shutil

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.cases import CheckFailed
from benchmarks.compare import (
    check_tables,
    classic_tables,
    parquet_source,
    prod_tables,
    staging_tables,
)
from engine.contracts import ENTITIES


def test_a_one_cent_difference_fails_the_check(built_warehouse, tmp_path):
    con = duckdb.connect(str(built_warehouse), read_only=True)
    try:
        for table in prod_tables():
            data = con.sql(f"SELECT * FROM {table}").to_arrow_table()
            if table == "prod.daily_sales":
                revenue = data["total_revenue"].to_pylist()
                revenue[0] += revenue[0].__class__("0.01")
                index = data.column_names.index("total_revenue")
                data = data.set_column(
                    index, "total_revenue", pa.array(revenue, data.schema[index].type)
                )
            pq.write_table(data, tmp_path / f"{table}.parquet")
    finally:
        con.close()

    tampered = parquet_source(tmp_path)
    check_tables(built_warehouse, tampered, ["prod.monthly_sales"], "same")
    with pytest.raises(CheckFailed, match=r"prod\.daily_sales: .* 1 rows not in"):
        check_tables(built_warehouse, tampered, prod_tables(), "tampered")


def _reference_frames(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        raw = {e: con.sql(f"SELECT * FROM raw.{e}").to_arrow_table() for e in ENTITIES}
        ((as_of,),) = con.sql("SELECT max(as_of) FROM meta.runs").fetchall()
    finally:
        con.close()
    return raw, as_of


def _as_parquet(frames, directory):
    from benchmarks.cases.transform_only import write_parquet

    write_parquet(directory, frames)
    return parquet_source(directory)


def test_classic_cleaning_equals_the_engine_staging(built_warehouse, tmp_path):
    pytest.importorskip("pandas", reason="the classic baseline needs the bench extra")
    from benchmarks.classic.staging import build_staging

    raw, _ = _reference_frames(built_warehouse)
    staged = build_staging({e: t.to_pandas() for e, t in raw.items()})

    frames = {}
    for entity, result in staged.items():
        frames[f"staging.{entity}"] = result.clean
        frames[f"staging.{entity}_rejects"] = result.rejects
    source = _as_parquet(frames, tmp_path)
    check_tables(built_warehouse, source, staging_tables(), "classic")
    con = duckdb.connect(str(built_warehouse), read_only=True)
    try:
        duplicates = dict(
            con.sql(
                "SELECT table_name, rows_duplicate FROM meta.run_tables "
                "WHERE layer = 'staging'"
            ).fetchall()
        )
    finally:
        con.close()
    assert {f"staging.{e}": r.duplicates for e, r in staged.items()} == duplicates


def test_classic_aggregation_equals_the_engine_prod(built_warehouse, tmp_path):
    pytest.importorskip("pandas", reason="the classic baseline needs the bench extra")
    from benchmarks.classic.aggregate import build_prod
    from benchmarks.classic.staging import build_staging

    raw, as_of = _reference_frames(built_warehouse)
    staged = build_staging({e: t.to_pandas() for e, t in raw.items()})
    prod = build_prod({e: s.clean for e, s in staged.items()}, as_of=as_of)

    frames = {f"prod.{name}": frame for name, frame in prod.items()}
    compared = [t for t in classic_tables()[0] if t.startswith("prod.")]
    assert sorted(frames) == compared
    check_tables(built_warehouse, _as_parquet(frames, tmp_path), compared, "classic")


def test_classic_value_functions_follow_the_documented_examples():
    pytest.importorskip("pandas", reason="the classic baseline needs the bench extra")
    from decimal import Decimal

    from benchmarks.classic import rules

    names = {
        "o'brien-smith": "O'Brien-Smith",
        "JOHN MCDONALD": "John Mcdonald",
        "mary 3rd": "Mary 3rd",
        "ÉMILE": "Émile",
        "McCarthy": "McCarthy",
        "Jane Doe PhD": "Jane Doe PhD",
        "   ": None,
        " ada\u00a0 lovelace\t": "Ada Lovelace",
    }
    assert {k: rules.standardize_name(k) for k in names} == names
    money = {
        19.99: "19.99",
        0.29: "0.29",
        0.125: "0.13",
        -0.125: "-0.13",
        2.675: "2.68",
    }
    assert {k: str(rules.to_money(k)) for k in money} == money
    assert rules.to_money(1.005) == Decimal("1.00")
    assert rules.normalize_email(" Ada@X.COM ") == "ada@x.com"
    assert rules.trim("\x1cx\x1c") == "\x1cx\x1c"  # not Unicode White_Space


def test_the_check_compares_warehouse_files_in_sql(built_warehouse, tmp_path):
    from benchmarks.compare import duckdb_source

    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(built_warehouse, copy)
    tables = [*staging_tables(), *prod_tables()]
    check_tables(built_warehouse, duckdb_source(copy), tables, "copy")

    con = duckdb.connect(str(copy))
    try:
        con.execute(
            "UPDATE prod.daily_sales SET total_revenue = total_revenue + 0.01 "
            "WHERE order_date = (SELECT min(order_date) FROM prod.daily_sales)"
        )
        con.execute(
            "DELETE FROM staging.orders_rejects WHERE _source_row = "
            "(SELECT min(_source_row) FROM staging.orders_rejects)"
        )
    finally:
        con.close()
    with pytest.raises(CheckFailed) as failed:
        check_tables(built_warehouse, duckdb_source(copy), tables, "tampered")
    assert re.search(
        r"prod\.daily_sales: [\d,]+ rows .* 1 reference rows missing, 1 rows not in",
        str(failed.value),
    )
    assert re.search(
        r"staging\.orders_rejects: .* 0 rows not in the reference", str(failed.value)
    )


def test_prod_tables_come_from_query_discovery():
    from queries import discover

    assert prod_tables() == [f"prod.{query.name}" for query in discover()]
    assert staging_tables(rejects=False) == [f"staging.{e}" for e in ENTITIES]


def test_stored_answers_equal_what_the_oracle_computes(tmp_path):
    from benchmarks import answers
    from benchmarks.build import generate

    data = tmp_path / "data"
    generate(data, **answers.DATASET)
    stored = answers.stored()

    assert stored["dataset"] == answers.DATASET
    assert answers.data_digest(data) == stored["data_sha256"], (
        "the generator changed: run python -m benchmarks.answers"
    )
    assert answers.oracle_answers(data) == stored["answers"], (
        "the oracle changed: run python -m benchmarks.answers"
    )


def test_a_build_one_cent_off_the_stored_answers_fails(tmp_path):
    from benchmarks import answers
    from benchmarks.build import generate, run

    data, warehouse = tmp_path / "data", tmp_path / "warehouse.duckdb"
    generate(data, **answers.DATASET)
    run(data, warehouse, engine="duckdb")
    answers.check_build(warehouse, "etl run --engine duckdb")

    con = duckdb.connect(str(warehouse))
    try:
        con.execute(
            "UPDATE prod.monthly_sales SET total_revenue = total_revenue + 0.01 "
            "WHERE year_month = '2025-02'"
        )
        con.execute(
            "DELETE FROM staging.orders_rejects WHERE _source_row = "
            "(SELECT min(_source_row) FROM staging.orders_rejects "
            "WHERE reject_reason = 'unknown_status')"
        )
    finally:
        con.close()
    with pytest.raises(CheckFailed) as failed:
        answers.check_build(warehouse, "tampered")
    assert re.search(
        r"prod\.monthly_sales: sums .*'total_revenue': '[\d.]+'.* vs", str(failed.value)
    )
    assert "staging.orders_rejects: rows " in str(failed.value)
