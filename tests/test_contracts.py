from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from engine import contracts
from engine.errors import ContractError
from tests.ddl_copy import REFUNDS_DDL, REFUNDS_REFERENCE, sql_copy


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


# --- source tables derived from sql/ ----------------------------------------------


def test_entities_keys_and_order_come_from_sql():
    assert contracts.ENTITIES == ("customers", "products", "orders", "order_items")
    assert {e: contracts.entity_key(e) for e in contracts.ENTITIES} == {
        "customers": "customer_id",
        "products": "product_id",
        "orders": "order_id",
        "order_items": "order_item_id",
    }
    assert [(r.entity, r.column, r.parent) for r in contracts.references()] == [
        ("orders", "customer_id", "customers"),
        ("order_items", "order_id", "orders"),
        ("order_items", "product_id", "products"),
    ]


def test_references_name_real_columns_and_parent_keys():
    for entity in contracts.ENTITIES:
        for ref in contracts.parent_references(entity):
            assert ref.column in contracts.arrow_schema(f"staging.{entity}").names
            assert ref.parent_column == contracts.entity_key(ref.parent)


def test_references_are_comments_the_databases_do_not_enforce():
    con = duckdb.connect()
    for path in contracts.ddl_files():
        con.execute(path.read_text())
    assert con.execute(
        "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY'"
    ).fetchall() == [(0,)]


def test_text_and_duckdb_agree_on_the_tables():
    declared = sorted(contracts.declared_tables())
    read = sorted(
        f"{layer}.{table}"
        for layer in ("raw", "staging", "prod", "meta")
        for table in contracts.tables(layer)
    )
    assert declared == read


def test_a_new_source_table_takes_its_place_after_its_parents(tmp_path):
    with sql_copy(tmp_path) as sql:
        with (sql / "20_staging.sql").open("a") as ddl:
            ddl.write(REFUNDS_DDL + REFUNDS_REFERENCE)
        assert contracts.entities() == (
            "customers",
            "products",
            "orders",
            "order_items",
            "refunds",
        )
        assert contracts.entity_key("refunds") == "refund_id"


def test_a_reference_cycle_is_one_line(tmp_path):
    with sql_copy(tmp_path) as sql:
        with (sql / "20_staging.sql").open("a") as ddl:
            ddl.write(
                "-- reference: staging.customers (customer_id) "
                "REFERENCES staging.order_items (order_item_id)\n"
            )
        with pytest.raises(ContractError, match=r"form a cycle") as info:
            contracts.entities()
        assert "\n" not in str(info.value)


def test_a_source_table_without_staging_tables_is_one_line(tmp_path):
    with sql_copy(tmp_path) as sql:
        with (sql / "10_raw.sql").open("a") as ddl:
            ddl.write(REFUNDS_DDL.split(";")[0] + ";\n")
        with pytest.raises(
            ContractError, match=r"^raw.refunds: source table without staging.refunds "
        ):
            contracts.entities()


def test_a_reference_to_a_missing_column_is_one_line(tmp_path):
    with sql_copy(tmp_path) as sql:
        with (sql / "20_staging.sql").open("a") as ddl:
            ddl.write(
                "-- reference: staging.orders (buyer_id) "
                "REFERENCES staging.customers (customer_id)\n"
            )
        with pytest.raises(ContractError, match=r"^staging.orders: .* buyer_id"):
            contracts.parent_references("orders")
