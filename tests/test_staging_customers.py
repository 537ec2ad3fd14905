from __future__ import annotations

import datetime as dt

import pytest

from tests.staging_rows import DAY, customers_of, one_value, reasons

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
