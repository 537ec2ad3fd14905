from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from engine import contracts
from engine.errors import ContractError
from engine.staging import KEYS, StagingResult, build_staging, clean_customers
from tests.staging_rows import customers_of, raw_frame, reasons

# --- whole layer: accounting, determinism, contracts -------------------------------


def mixed_raw() -> dict[str, pl.LazyFrame]:
    return {
        "customers": raw_frame(
            "customers",
            [
                {"customer_id": 1, "customer_name": "ADA LOVELACE"},
                {"customer_id": 1, "customer_name": "ADA LOVELACE"},
                {
                    "customer_id": 1,
                    "customer_name": "Ada King",
                    "_partition_date": "2024-03-02",
                },
                {"customer_id": 2, "email": "not an email"},
                {
                    "customer_id": 3,
                    "email": "grace@example.com",
                    "customer_name": "GRACE HOPPER",
                },
                {"customer_id": 4, "email": "ADA@example.com"},
                {"customer_id": None},
                {
                    "customer_id": 5,
                    "email": "e@x.org",
                    "country": None,
                    "_partition_date": "2024-02-29",
                },
            ],
        ),
        "products": raw_frame(
            "products",
            [
                {"product_id": 10, "_partition_date": "2024-03-01"},
                {"product_id": 10, "price": 21.5, "_partition_date": "2024-03-02"},
                {"product_id": 11, "cost": -1.0, "_partition_date": "2024-03-02"},
                {
                    "product_id": 12,
                    "product_name": "chair",
                    "price": 0.29,
                    "_partition_date": "2024-03-02",
                },
                {
                    "product_id": 12,
                    "product_name": "chair",
                    "price": 0.29,
                    "_partition_date": "2024-03-02",
                },
                {"product_id": None, "_partition_date": "2024-03-02"},
            ],
        ),
        "orders": raw_frame(
            "orders",
            [
                {"order_id": 100, "customer_id": 1},
                {"order_id": 101, "customer_id": 2},
                {"order_id": 102, "customer_id": 99},
                {"order_id": 103, "customer_id": 3, "order_status": " PENDING"},
                {"order_id": 103, "customer_id": 3, "order_status": "returned"},
                {"order_id": 104, "customer_id": 5, "total_amount": 0.125},
                {"order_id": 104, "customer_id": 5, "total_amount": 0.125},
                {"order_id": 105, "customer_id": 4, "order_status": "shipped"},
            ],
        ),
        "order_items": raw_frame(
            "order_items",
            [
                {"order_item_id": 1, "order_id": 100, "product_id": 10},
                {"order_item_id": 2, "order_id": 101, "product_id": 10},
                {"order_item_id": 3, "order_id": 103, "product_id": 11},
                {
                    "order_item_id": 4,
                    "order_id": 104,
                    "product_id": 12,
                    "discount_percent": None,
                },
                {
                    "order_item_id": 4,
                    "order_id": 104,
                    "product_id": 12,
                    "discount_percent": None,
                },
                {"order_item_id": 5, "order_id": 555, "product_id": 10},
                {"order_item_id": 6, "order_id": 103, "product_id": 77, "quantity": 0},
                {"order_item_id": 7, "order_id": 100, "product_id": 10, "quantity": 3},
            ],
        ),
    }


def test_build_staging_mixed_data():
    result = build_staging(mixed_raw())
    summary = {
        entity: (
            r.clean[KEYS[entity]].to_list(),
            sorted(reasons(r)),
            r.duplicates,
        )
        for entity, r in result.items()
    }
    assert summary == {
        "customers": (
            [1, 3, 5],
            [
                "duplicate_email",
                "duplicate_key_conflict",
                "invalid_email",
                "null_customer_id",
            ],
            1,
        ),
        "products": ([10, 12], ["negative_cost", "null_product_id"], 2),
        "orders": (
            [100, 103, 104],
            [
                "customer_rejected",
                "customer_unknown",
                "duplicate_key_conflict",
                "unknown_status",
            ],
            1,
        ),
        "order_items": (
            [1, 4, 7],
            [
                "non_positive_quantity",
                "order_rejected",
                "order_unknown",
                "product_rejected",
            ],
            1,
        ),
    }
    assert result["customers"].clean["customer_name"].to_list() == [
        "Ada Lovelace",
        "Grace Hopper",
        "Ada Lovelace",
    ]
    assert result["orders"].clean["total_amount"].to_list() == [
        Decimal("19.99"),
        Decimal("19.99"),
        Decimal("0.13"),
    ]


def test_every_raw_row_is_clean_rejected_or_duplicate():
    raw = mixed_raw()
    result = build_staging(raw)
    for entity, frame in raw.items():
        r = result[entity]
        rows = frame.select(pl.len()).collect().item()
        assert rows == r.clean.height + r.rejects.height + r.duplicates, entity


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_output_does_not_depend_on_input_row_order(seed):
    raw = mixed_raw()
    expected = build_staging(raw)
    shuffled = {
        entity: frame.collect().sample(fraction=1.0, shuffle=True, seed=seed).lazy()
        for entity, frame in raw.items()
    }
    got = build_staging(shuffled)
    for entity in raw:
        assert_frame_equal(got[entity].clean, expected[entity].clean)
        assert_frame_equal(got[entity].rejects, expected[entity].rejects)
        assert got[entity].duplicates == expected[entity].duplicates


def test_output_schemas_equal_the_contracts():
    result = build_staging(mixed_raw())
    assert list(result) == list(contracts.ENTITIES)
    for entity, r in result.items():
        assert isinstance(r, StagingResult)
        assert r.clean.schema == contracts.polars_schema(f"staging.{entity}")
        assert r.rejects.schema == contracts.polars_schema(f"staging.{entity}_rejects")


def test_empty_input_gives_empty_conformed_output():
    empty = {entity: raw_frame(entity, []) for entity in contracts.ENTITIES}
    for entity, r in build_staging(empty).items():
        assert r.clean.is_empty()
        assert r.rejects.is_empty()
        assert r.duplicates == 0
        assert r.clean.schema == contracts.polars_schema(f"staging.{entity}")


def test_clean_is_sorted_by_key_and_rejects_by_row_order():
    result = customers_of(
        [
            {"customer_id": 9, "email": "a@x.org", "_partition_date": "2024-03-02"},
            {"customer_id": 7, "email": "bad", "_partition_date": "2024-03-02"},
            {"customer_id": 8, "email": "b@x.org", "_partition_date": "2024-03-01"},
            {"customer_id": 6, "email": "bad", "_partition_date": "2024-03-01"},
        ]
    )
    assert result.clean["customer_id"].to_list() == [8, 9]
    assert result.rejects["customer_id"].to_list() == [6, 7]


def test_build_staging_names_missing_raw_frames():
    raw = mixed_raw()
    del raw["orders"]
    with pytest.raises(
        ContractError, match=r"raw frames for orders; pass every entity.s raw frame"
    ):
        build_staging(raw)


def test_raw_frame_with_a_missing_column_is_a_contract_error():
    frame = raw_frame("customers", [{}]).drop("email")
    with pytest.raises(ContractError, match="email"):
        clean_customers(frame).collect()
