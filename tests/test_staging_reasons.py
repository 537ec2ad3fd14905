from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest

from engine.errors import ContractError
from engine.staging import REASONS
from engine.staging_rules import judge_rows
from tests.staging_rows import (
    customers_of,
    items_of,
    orders_of,
    products_of,
    raw_frame,
    reasons,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "staging-rules.md"


# --- every reason code, and priority ------------------------------------------------

# (entity, raw row, expected reason): one case per code in REASONS.
REASON_CASES = [
    ("customers", {"customer_id": None}, "null_customer_id"),
    ("customers", {"customer_name": " "}, "null_customer_name"),
    ("customers", {"email": None}, "null_email"),
    ("customers", {"signup_date": None}, "null_signup_date"),
    ("customers", {"email": "ada(at)example.com"}, "invalid_email"),
    ("customers", {"signup_date": dt.date(1850, 1, 1)}, "signup_date_out_of_range"),
    ("products", {"product_id": None}, "null_product_id"),
    ("products", {"product_name": None}, "null_product_name"),
    ("products", {"category": ""}, "null_category"),
    ("products", {"price": None}, "null_price"),
    ("products", {"cost": float("nan")}, "null_cost"),
    ("products", {"price": -0.01}, "negative_price"),
    ("products", {"price": 1e8}, "price_too_large"),
    ("products", {"cost": -5.0}, "negative_cost"),
    ("products", {"cost": float("inf")}, "cost_too_large"),
    ("orders", {"order_id": None}, "null_order_id"),
    ("orders", {"customer_id": None}, "null_customer_id"),
    ("orders", {"order_date": None}, "null_order_date"),
    ("orders", {"order_status": "  "}, "null_order_status"),
    ("orders", {"total_amount": None}, "null_total_amount"),
    ("orders", {"order_date": dt.date(9999, 12, 31)}, "order_date_out_of_range"),
    ("orders", {"order_status": "lost"}, "unknown_status"),
    ("orders", {"total_amount": -1.0}, "negative_total_amount"),
    ("orders", {"total_amount": 123456789.0}, "total_amount_too_large"),
    ("orders", {"customer_id": 3}, "customer_unknown"),
    ("orders", {"customer_id": 2}, "customer_rejected"),
    ("order_items", {"order_item_id": None}, "null_order_item_id"),
    ("order_items", {"order_id": None}, "null_order_id"),
    ("order_items", {"product_id": None}, "null_product_id"),
    ("order_items", {"quantity": None}, "null_quantity"),
    ("order_items", {"unit_price": None}, "null_unit_price"),
    ("order_items", {"quantity": 0}, "non_positive_quantity"),
    ("order_items", {"unit_price": -2.5}, "negative_unit_price"),
    ("order_items", {"unit_price": 1e9}, "unit_price_too_large"),
    ("order_items", {"discount_percent": 150}, "discount_out_of_range"),
    ("order_items", {"order_id": 999}, "order_unknown"),
    ("order_items", {"order_id": 101}, "order_rejected"),
    ("order_items", {"product_id": 999}, "product_unknown"),
    ("order_items", {"product_id": 11}, "product_rejected"),
]
# Codes that need more than one row to trigger.
MULTI_ROW_CASES = [
    ("customers", [{}, {"customer_name": "Other"}], "duplicate_key_conflict"),
    ("customers", [{}, {"customer_id": 2}], "duplicate_email"),
    ("products", [{}, {"price": 1.0}], "duplicate_key_conflict"),
    ("orders", [{}, {"total_amount": 1.0}], "duplicate_key_conflict"),
    ("order_items", [{}, {"quantity": 2}], "duplicate_key_conflict"),
]
RUNNERS = {
    "customers": customers_of,
    "products": products_of,
    "orders": orders_of,
    "order_items": items_of,
}


@pytest.mark.parametrize(("entity", "row", "code"), REASON_CASES)
def test_each_reason_code(entity, row, code):
    result = RUNNERS[entity]([row])
    assert reasons(result) == [code]
    assert result.clean.is_empty()


@pytest.mark.parametrize(("entity", "rows", "code"), MULTI_ROW_CASES)
def test_each_set_level_reason_code(entity, rows, code):
    result = RUNNERS[entity](rows)
    assert result.clean.height == 1
    assert reasons(result) == [code]


def test_reason_cases_cover_every_code():
    covered = {(e, code) for e, _, code in REASON_CASES + MULTI_ROW_CASES}
    expected = {(e, code) for e, codes in REASONS.items() for code in codes}
    assert covered == expected


@pytest.mark.parametrize(
    ("entity", "rows", "code"),
    [
        # nulls before value rules
        (
            "customers",
            [{"customer_name": None, "email": "bad", "signup_date": None}],
            "null_customer_name",
        ),
        ("order_items", [{"quantity": None, "discount_percent": 500}], "null_quantity"),
        # value rules in their listed order
        ("products", [{"price": -1.0, "cost": -1.0}], "negative_price"),
        (
            "order_items",
            [{"quantity": 0, "unit_price": -1.0, "discount_percent": 500}],
            "non_positive_quantity",
        ),
        # value rules before uniqueness
        (
            "customers",
            [{}, {"customer_name": "Other", "email": "bad"}],
            "invalid_email",
        ),
        # value rules before references
        ("orders", [{"order_status": "lost", "customer_id": 3}], "unknown_status"),
        # key uniqueness before email uniqueness
        ("customers", [{}, {"customer_name": "Other"}], "duplicate_key_conflict"),
        # uniqueness before references
        ("orders", [{}, {"customer_id": 3}], "duplicate_key_conflict"),
        # order reference before product reference
        ("order_items", [{"order_id": 101, "product_id": 999}], "order_rejected"),
    ],
)
def test_first_failing_rule_wins(entity, rows, code):
    assert reasons(RUNNERS[entity](rows))[-1] == code


def test_reasons_are_documented_one_liners_in_snake_case():
    for codes in REASONS.values():
        for code, description in codes.items():
            assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code), code
            assert description
            assert "\n" not in description


def test_every_reason_code_is_in_the_docs():
    text = DOCS.read_text()
    missing = sorted(
        {
            code
            for codes in REASONS.values()
            for code in codes
            if f"`{code}`" not in text
        }
    )
    assert missing == []


def test_a_rule_missing_from_reasons_is_refused():
    frame = raw_frame("customers", [{}])
    with pytest.raises(ContractError, match="not_a_reason"):
        judge_rows(frame, "customers", pl.lit(False), {"not_a_reason": pl.lit(True)})
