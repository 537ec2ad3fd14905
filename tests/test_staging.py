from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from engine import contracts
from engine.errors import ContractError
from engine.staging import (
    KEYS,
    REASONS,
    StagingResult,
    build_staging,
    clean_customers,
    clean_order_items,
    clean_orders,
    clean_products,
    split_verdicts,
)
from engine.staging_rules import (
    judge_rows,
    standardize_name,
    title_case,
    to_decimal_money,
)
from tests.ddl_copy import REFUNDS_DDL, sql_copy
from tests.raw_rows import raw_rows as make_raw_rows

DOCS = Path(__file__).resolve().parents[1] / "docs" / "staging-rules.md"
DAY = "2024-03-01"
INGESTED = dt.datetime(2024, 3, 2, 6, 0, tzinfo=dt.UTC)

CUSTOMER = {
    "customer_id": 1,
    "customer_name": "Ada Lovelace",
    "email": "ada@example.com",
    "country": "UK",
    "signup_date": dt.date(2024, 1, 1),
    "customer_segment": "Premium",
}
PRODUCT = {
    "product_id": 10,
    "product_name": "Desk Lamp",
    "category": "Home",
    "price": 19.99,
    "cost": 7.5,
}
ORDER = {
    "order_id": 100,
    "customer_id": 1,
    "order_date": dt.date(2024, 2, 1),
    "order_status": "completed",
    "total_amount": 19.99,
}
ITEM = {
    "order_item_id": 1000,
    "order_id": 100,
    "product_id": 10,
    "quantity": 1,
    "unit_price": 19.99,
    "discount_percent": 10,
}
BASE = {
    "customers": CUSTOMER,
    "products": PRODUCT,
    "orders": ORDER,
    "order_items": ITEM,
}


def raw_frame(entity: str, rows: list[dict]) -> pl.LazyFrame:
    return make_raw_rows(entity, rows, base=BASE, day=DAY, ingested=INGESTED).lazy()


def customers_of(rows: list[dict]) -> StagingResult:
    return split_verdicts(clean_customers(raw_frame("customers", rows)), "customers")


def products_of(rows: list[dict]) -> StagingResult:
    return split_verdicts(clean_products(raw_frame("products", rows)), "products")


def orders_of(
    rows: list[dict],
    *,
    clean_ids: tuple[int, ...] = (1,),
    raw_ids: tuple[int, ...] = (1, 2),
) -> StagingResult:
    verdicts = clean_orders(
        raw_frame("orders", rows),
        customers=pl.DataFrame({"customer_id": list(clean_ids)}),
        raw_customers=pl.DataFrame({"customer_id": list(raw_ids)}),
    )
    return split_verdicts(verdicts, "orders")


def items_of(rows: list[dict]) -> StagingResult:
    # Order 100 and product 10 are staged; order 101 and product 11 were rejected.
    verdicts = clean_order_items(
        raw_frame("order_items", rows),
        orders=pl.DataFrame({"order_id": [100]}),
        raw_orders=pl.DataFrame({"order_id": [100, 101]}),
        products=pl.DataFrame({"product_id": [10]}),
        raw_products=pl.DataFrame({"product_id": [10, 11]}),
    )
    return split_verdicts(verdicts, "order_items")


def reasons(result: StagingResult) -> list[str]:
    return result.rejects["reject_reason"].to_list()


def one_value(frame: pl.DataFrame, column: str) -> object:
    assert frame.height == 1, frame
    return frame[column].item()


# --- value expressions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("o'brien-smith", "O'Brien-Smith"),
        ("JOHN MCDONALD", "John Mcdonald"),
        ("mary 3rd", "Mary 3rd"),
        ("ÉMILE ZOLA", "Émile Zola"),
        ("anne-marie d'arc", "Anne-Marie D'Arc"),
        ("'tis", "'Tis"),
        ("x", "X"),
        ("", ""),
        (None, None),
    ],
)
def test_title_case(text, expected):
    frame = pl.DataFrame({"t": [text]}, schema={"t": pl.String})
    assert frame.select(title_case(pl.col("t"))).item() == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("McCarthy", "McCarthy"),
        ("mary mccarthy", "Mary Mccarthy"),
        ("Jane Doe PhD", "Jane Doe PhD"),
        ("o'brien", "O'Brien"),
        ("JEAN-LUC PICARD", "Jean-Luc Picard"),
        ("  ada \t  lovelace \n", "Ada Lovelace"),
        ("ÉMILE", "Émile"),
        ("émile", "Émile"),
        ("van der Berg", "van der Berg"),
        ("   ", None),
        ("", None),
        (None, None),
    ],
)
def test_standardize_name(name, expected):
    frame = pl.DataFrame({"n": [name]}, schema={"n": pl.String})
    assert frame.select(standardize_name(pl.col("n"))).item() == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (19.99, "19.99"),
        (0.29, "0.29"),  # the float is 0.28999999999999998
        (0.125, "0.13"),  # half away from zero, not to even
        (-0.125, "-0.13"),
        (0.005, "0.01"),
        (2.5, "2.50"),
        (0.0, "0.00"),
        (99999999.99, "99999999.99"),
    ],
)
def test_to_decimal_money_rounds_half_away_from_zero(amount, expected):
    frame = pl.DataFrame({"x": [amount]})
    assert frame.select(to_decimal_money(pl.col("x"))).item() == Decimal(expected)


def test_to_decimal_money_is_exact_for_every_two_decimal_value():
    cents = pl.int_range(-1_000_000, 1_000_001, eager=True)
    frame = pl.DataFrame({"x": cents / 100, "cents": cents})
    got = frame.select(to_decimal_money(pl.col("x")))
    expected = frame.select(pl.col("cents").cast(pl.Decimal(38, 2)) / 100)
    assert got.to_series().equals(expected.to_series(), check_names=False)


# --- customers ---------------------------------------------------------------------


def test_customers_clean_row_is_normalized():
    result = customers_of(
        [
            {
                "customer_name": "  ADA   LOVELACE ",
                "email": "  Ada@Example.COM ",
                "country": "  United \t Kingdom ",
                "customer_segment": " Premium ",
            }
        ]
    )
    assert result.clean.row(0, named=True) == {
        "customer_id": 1,
        "customer_name": "Ada Lovelace",
        "email": "ada@example.com",
        "country": "United Kingdom",
        "signup_date": dt.date(2024, 1, 1),
        "customer_segment": "Premium",
        "_source_file": f"customers/{DAY}/data.parquet",
        "_partition_date": dt.date.fromisoformat(DAY),
    }


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_customers_missing_country_and_segment_get_defaults(blank):
    result = customers_of([{"country": blank, "customer_segment": blank}])
    assert one_value(result.clean, "country") == "Unknown"
    assert one_value(result.clean, "customer_segment") == "Standard"
    assert result.rejects.is_empty()


@pytest.mark.parametrize(
    "email", ["no-at-sign", "a@b", "a b@example.com", "a@example.c", "@example.com"]
)
def test_customers_invalid_email(email):
    assert reasons(customers_of([{"email": email}])) == ["invalid_email"]


def test_customers_duplicate_email_compares_normalized_and_keeps_earliest():
    result = customers_of(
        [
            {
                "customer_id": 1,
                "email": "ada@example.com",
                "_partition_date": "2024-03-01",
            },
            {
                "customer_id": 2,
                "email": " ADA@example.com",
                "_partition_date": "2024-03-01",
            },
            {
                "customer_id": 3,
                "email": "ada@example.com",
                "_partition_date": "2024-02-28",
            },
        ]
    )
    assert result.clean["customer_id"].to_list() == [3]
    assert result.rejects["customer_id"].to_list() == [1, 2]
    assert reasons(result) == ["duplicate_email", "duplicate_email"]


def test_customers_rejected_row_does_not_claim_its_email():
    result = customers_of(
        [
            {"customer_id": 1, "signup_date": None},
            {"customer_id": 2},
        ]
    )
    assert result.clean["customer_id"].to_list() == [2]
    assert reasons(result) == ["null_signup_date"]


def test_rejects_keep_raw_values_untouched():
    raw_name, raw_email = "  ada  LOVELACE ", " ADA@EXAMPLE "
    result = customers_of(
        [{"customer_name": raw_name, "email": raw_email, "country": None}]
    )
    row = result.rejects.row(0, named=True)
    assert (row["customer_name"], row["email"], row["country"]) == (
        raw_name,
        raw_email,
        None,
    )
    assert row["reject_reason"] == "invalid_email"
    assert (row["_source_file"], row["_source_row"]) == (
        f"customers/{DAY}/data.parquet",
        0,
    )


# --- deduplication (shared by all entities) -----------------------------------------


def test_exact_copy_is_dropped_and_counted():
    result = customers_of([{}, {}, {}])
    assert result.clean.height == 1
    assert result.rejects.is_empty()
    assert result.duplicates == 2


def test_exact_copy_of_a_rejected_row_is_counted_not_rejected_again():
    result = customers_of([{"email": "bad"}, {"email": "bad"}])
    assert reasons(result) == ["invalid_email"]
    assert result.duplicates == 1


def test_null_key_rows_are_rejected_not_deduplicated():
    result = customers_of([{"customer_id": None}, {"customer_id": None}])
    assert reasons(result) == ["null_customer_id", "null_customer_id"]
    assert result.duplicates == 0


def test_same_key_different_values_is_a_conflict_earliest_wins():
    result = customers_of(
        [
            {"customer_name": "Later", "_partition_date": "2024-03-02"},
            {"customer_name": "Earlier", "_partition_date": "2024-03-01"},
            {"customer_name": "Earlier", "_partition_date": "2024-03-03"},
        ]
    )
    assert one_value(result.clean, "customer_name") == "Earlier"
    assert one_value(result.clean, "_partition_date") == dt.date(2024, 3, 1)
    assert result.rejects["customer_name"].to_list() == ["Later"]
    assert reasons(result) == ["duplicate_key_conflict"]
    assert result.duplicates == 1


def test_row_order_is_file_then_row_within_a_partition():
    result = customers_of(
        [
            {"customer_name": "B row 0", "_source_file": "customers/b.parquet"},
            {
                "customer_name": "A row 1",
                "_source_file": "customers/a.parquet",
                "_source_row": 1,
            },
            {
                "customer_name": "A row 0",
                "_source_file": "customers/a.parquet",
                "_source_row": 0,
            },
        ]
    )
    assert one_value(result.clean, "customer_name") == "A row 0"
    assert result.rejects["customer_name"].to_list() == ["A row 1", "B row 0"]


def test_earliest_rejected_row_does_not_block_a_later_valid_one():
    result = customers_of(
        [{"email": "bad", "customer_name": "First"}, {"customer_name": "Second"}]
    )
    assert one_value(result.clean, "customer_name") == "Second"
    assert reasons(result) == ["invalid_email"]


# --- products ----------------------------------------------------------------------


def test_products_latest_snapshot_wins_and_older_ones_count_as_duplicates():
    result = products_of(
        [
            {"price": 9.99, "_partition_date": "2024-03-01"},
            {"price": 19.99, "_partition_date": "2024-03-03"},
            {"price": 9.99, "_partition_date": "2024-03-02"},
            {"price": 9.99, "_partition_date": "2024-03-01", "product_id": 11},
        ]
    )
    assert result.clean["product_id"].to_list() == [10, 11]
    assert result.clean["price"].to_list() == [Decimal("19.99"), Decimal("9.99")]
    assert result.clean["_partition_date"].to_list() == [
        dt.date(2024, 3, 3),
        dt.date(2024, 3, 1),
    ]
    assert result.rejects.is_empty()
    assert result.duplicates == 2


def test_products_unchanged_daily_snapshots_keep_every_product():
    # The latest snapshot is identical to the older ones; it is still the winner,
    # not a copy of them (regression: only one product survived a year of snapshots).
    days = ["2024-03-01", "2024-03-02", "2024-03-03"]
    result = products_of(
        [
            {"product_id": pid, "_partition_date": day}
            for day in days
            for pid in (10, 11, 12)
        ]
    )
    assert result.clean["product_id"].to_list() == [10, 11, 12]
    assert result.clean["_partition_date"].to_list() == [dt.date(2024, 3, 3)] * 3
    assert result.duplicates == 6


def test_products_invalid_latest_snapshot_is_not_replaced_by_an_older_one():
    result = products_of(
        [
            {"price": 9.99, "_partition_date": "2024-03-01"},
            {"price": -1.0, "_partition_date": "2024-03-02"},
        ]
    )
    assert result.clean.is_empty()
    assert reasons(result) == ["negative_price"]
    assert result.duplicates == 1


def test_products_conflict_within_the_latest_snapshot():
    result = products_of([{"price": 1.0}, {"price": 2.0}, {"price": 2.0}])
    assert result.clean["price"].to_list() == [Decimal("1.00")]
    assert reasons(result) == ["duplicate_key_conflict"]
    assert result.duplicates == 1


def test_products_names_and_categories_are_cleaned_and_money_is_exact():
    result = products_of(
        [
            {
                "product_name": " USB-C  CABLE ",
                "category": "  Electronics ",
                "price": 0.29,
                "cost": 0.125,
            }
        ]
    )
    row = result.clean.row(0, named=True)
    assert (row["product_name"], row["category"]) == ("Usb-C Cable", "Electronics")
    assert (row["price"], row["cost"]) == (Decimal("0.29"), Decimal("0.13"))


def test_products_nan_price_counts_as_missing():
    assert reasons(products_of([{"price": float("nan")}])) == ["null_price"]


# --- orders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", ["completed", " Completed ", "PENDING", "cancelled", "Returned"]
)
def test_orders_status_is_normalized(status):
    result = orders_of([{"order_status": status}])
    assert one_value(result.clean, "order_status") == status.strip().lower()


@pytest.mark.parametrize("status", ["shipped", "complete", "in progress"])
def test_orders_unknown_status(status):
    assert reasons(orders_of([{"order_status": status}])) == ["unknown_status"]


def test_orders_unknown_and_rejected_customers_are_told_apart():
    result = orders_of(
        [
            {"order_id": 100, "customer_id": 1},
            {"order_id": 101, "customer_id": 2},
            {"order_id": 102, "customer_id": 3},
        ]
    )
    assert result.clean["order_id"].to_list() == [100]
    assert reasons(result) == ["customer_rejected", "customer_unknown"]


def test_orders_total_amount_becomes_exact_decimal():
    result = orders_of([{"total_amount": 1234.565}])
    assert one_value(result.clean, "total_amount") == Decimal("1234.57")
    assert result.clean.schema["total_amount"] == pl.Decimal(10, 2)


# --- order items -------------------------------------------------------------------


def test_items_null_discount_becomes_zero():
    result = items_of([{"discount_percent": None}])
    assert one_value(result.clean, "discount_percent") == Decimal("0.00")
    assert result.rejects.is_empty()


@pytest.mark.parametrize(
    ("discount", "ok"), [(0, True), (100, True), (-1, False), (101, False)]
)
def test_items_discount_bounds(discount, ok):
    result = items_of([{"discount_percent": discount}])
    assert result.clean.height == ok
    assert reasons(result) == ([] if ok else ["discount_out_of_range"])


@pytest.mark.parametrize("quantity", [0, -3])
def test_items_quantity_must_be_positive(quantity):
    assert reasons(items_of([{"quantity": quantity}])) == ["non_positive_quantity"]


def test_items_references():
    result = items_of(
        [
            {"order_item_id": 1, "order_id": 101},
            {"order_item_id": 2, "order_id": 999},
            {"order_item_id": 3, "product_id": 11},
            {"order_item_id": 4, "product_id": 999},
            {"order_item_id": 5, "order_id": 999, "product_id": 999},
            {"order_item_id": 6},
        ]
    )
    assert result.clean["order_item_id"].to_list() == [6]
    assert reasons(result) == [
        "order_rejected",
        "order_unknown",
        "product_rejected",
        "product_unknown",
        "order_unknown",
    ]


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
