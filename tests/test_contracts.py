from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from engine import contracts
from engine.errors import ContractError


def test_every_ddl_file_runs_twice_in_duckdb():
    con = duckdb.connect()
    for _ in range(2):
        for path in contracts.ddl_files():
            con.execute(path.read_text())
    schemas = {
        row[0]
        for row in con.sql(
            "SELECT DISTINCT schema_name FROM duckdb_tables()"
        ).fetchall()
    }
    assert schemas == {"raw", "staging", "prod", "meta"}


def test_layers_hold_the_entities():
    assert contracts.tables("raw") == sorted(contracts.ENTITIES)
    staging = contracts.tables("staging")
    assert sorted(staging) == sorted(
        [*contracts.ENTITIES, *(f"{e}_rejects" for e in contracts.ENTITIES)]
    )


def test_money_is_exact_decimal_everywhere_after_raw():
    for layer in ("staging", "prod"):
        for table in contracts.tables(layer):
            schema = contracts.arrow_schema(f"{layer}.{table}")
            if table.endswith("_rejects"):
                continue
            for field in schema:
                assert not pa.types.is_floating(field.type), (
                    f"{layer}.{table}.{field.name}"
                )


def test_lineage_in_raw_and_rejects():
    for entity in contracts.ENTITIES:
        assert set(contracts.LINEAGE_COLUMNS) <= set(
            contracts.arrow_schema(f"raw.{entity}").names
        )
        rejects = contracts.arrow_schema(f"staging.{entity}_rejects").names
        assert {"reject_reason", "_source_file", "_partition_date"} <= set(rejects)


def test_timestamps_are_utc():
    assert contracts.arrow_schema("raw.orders").field(
        "_ingested_at"
    ).type == pa.timestamp("us", tz="UTC")


def test_unknown_table_is_a_contract_error():
    with pytest.raises(ContractError, match=r"^prod.nope: no such table in sql/"):
        contracts.arrow_schema("prod.nope")


def test_every_query_fills_a_prod_table_and_every_prod_table_has_a_query():
    import queries

    assert sorted(q.name for q in queries.discover()) == contracts.tables("prod")
