from __future__ import annotations

import pytest

from engine import contracts
from engine.errors import ContractError
from engine.staging import KEYS, build_staging
from tests.ddl_copy import REFUNDS_DDL, sql_copy
from tests.staging_rows import raw_frame

# --- entity registry --------------------------------------------------------------


def test_every_source_table_has_rules_and_sql_twin():
    import queries.staging
    from engine import staging

    staging.check_rules()
    found = [q.entity for q in queries.staging.discover()]
    assert found == list(contracts.ENTITIES)


def test_a_source_table_without_rules_fails_in_one_line(tmp_path):
    with sql_copy(tmp_path) as sql:
        from engine import staging

        with (sql / "20_staging.sql").open("a") as ddl:
            ddl.write(REFUNDS_DDL)
        with pytest.raises(ContractError) as info:
            staging.check_rules()
        assert str(info.value) == (
            "staging.refunds: no Polars staging rules; write a judge in "
            "engine/staging.py decorated with @entity_rules('refunds')"
        )
        raw = {e: raw_frame(e, []) for e in contracts.entities()}
        with pytest.raises(ContractError, match=r"^staging.refunds: no Polars"):
            build_staging(raw)


def test_a_source_table_without_a_sql_twin_fails_in_one_line(tmp_path):
    with sql_copy(tmp_path) as sql:
        import queries.staging
        from engine.errors import QueryError

        with (sql / "20_staging.sql").open("a") as ddl:
            ddl.write(REFUNDS_DDL)
        with pytest.raises(QueryError, match=r"^queries/staging/refunds.sql: missing"):
            queries.staging.discover()


def test_keys_are_the_staging_primary_keys():
    assert KEYS == {
        "customers": "customer_id",
        "products": "product_id",
        "orders": "order_id",
        "order_items": "order_item_id",
    }


def test_a_reference_without_its_reason_codes_fails_in_one_line(tmp_path):
    from engine import staging

    with sql_copy(tmp_path) as sql:
        with (sql / "20_staging.sql").open("a") as ddl:
            ddl.write(
                "-- reference: staging.products (product_id) "
                "REFERENCES staging.customers (customer_id)\n"
            )
        with pytest.raises(ContractError) as info:
            staging.check_rules()
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("staging.products: ")
