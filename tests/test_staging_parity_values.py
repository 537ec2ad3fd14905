from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from engine.staging import KEYS
from tests.staging_engines import INF, NAN, clean_value, run_both
from tests.staging_rows import reasons

# --- hand-made raw rows: value normalizations -----------------------------------

NAMES = {
    "McCarthy": "McCarthy",
    "Jane Doe PhD": "Jane Doe PhD",
    "o'brien-smith": "O'Brien-Smith",
    "O'BRIEN-SMITH": "O'Brien-Smith",
    "O'Brien-smith": "O'Brien-smith",
    "ÉMILE": "Émile",
    "émile zola": "Émile Zola",
    "mary 3rd": "Mary 3rd",
    "JOHN MCDONALD": "John Mcdonald",
    "JEAN-LUC PICARD": "Jean-Luc Picard",
    "anne-marie d'arc": "Anne-Marie D'Arc",
    "'tis": "'Tis",
    "a--b": "A--B",
    "ada   lovelace": "Ada Lovelace",
    "\tada\u00a0\u00a0lovelace\u2003\n": "Ada Lovelace",
    "van der Berg": "van der Berg",
    "x": "X",
    "ΟΔΥΣΣΕΑΣ": "Οδυσσεας",
    "ΣΑΣ ΚΑΣ-ΣΑΣ": "Σας Κας-Σας",
    "ΑΣ'Β": "Ασ'Β",  # noqa: RUF001 (Greek on purpose)
    "ΑΣ.": "Ας.",
    "İBRAHİM YILDIZ": "I\u0307brahi\u0307m Yildiz",
    "ßauer": "ßauer",
    "ﬁsh market": "ﬁsh Market",
    "ǅOKIĆ": "Ǆokić",
    "zero\u200bwidth": "Zero\u200bwidth",
}


# Each test below builds one raw world holding all its cases under their own keys:
# a world costs both engines' fixed overhead, so cases share it.


def test_name_standardization_agrees():
    cases = list(NAMES.items())
    result = run_both(
        customers=[
            {"customer_id": 100 + i, "customer_name": name, "email": f"n{i}@x.org"}
            for i, (name, _) in enumerate(cases)
        ],
        products=[
            {"product_id": 100 + i, "product_name": name}
            for i, (name, _) in enumerate(cases)
        ],
    )
    for i, (name, expected) in enumerate(cases):
        got = clean_value(result["customers"], 100 + i, "customer_name")
        assert got == expected, name
        assert clean_value(result["products"], 100 + i, "product_name") == expected


BLANKS = ["", " ", "\t", "\u00a0", "\u2003\n", "\u3000", "\r\x0b\x0c\x85"]


def test_whitespace_only_text_is_missing_in_both():
    customers, products, orders = [], [], []
    for i, blank in enumerate(BLANKS):
        k = 100 + 10 * i
        customers += [
            {"customer_id": k, "customer_name": blank, "email": f"a{k}@x.org"},
            {"customer_id": k + 1, "email": blank},
            {"customer_id": k + 2, "email": f"c{k}@x.org", "country": blank},
            {"customer_id": k + 3, "email": f"d{k}@x.org", "customer_segment": blank},
            # a zero-width space is not whitespace (Unicode: format character)
            {"customer_id": k + 4, "email": f"e{k}@x.org", "customer_name": "\u200b"},
        ]
        products.append({"product_id": k, "category": blank})
        orders.append({"order_id": k, "order_status": blank})
    result = run_both(customers=customers, products=products, orders=orders)
    by_reason = result["customers"].rejects.group_by("reject_reason").len()
    assert dict(by_reason.iter_rows()) == {
        "invalid_email": 1,
        "null_customer_name": len(BLANKS),
        "null_email": len(BLANKS),
    }
    for i in range(len(BLANKS)):
        k = 100 + 10 * i
        assert clean_value(result["customers"], k + 2, "country") == "Unknown"
        assert clean_value(result["customers"], k + 3, "customer_segment") == "Standard"
        assert clean_value(result["customers"], k + 4, "customer_name") == "\u200b"
    assert reasons(result["products"])[1:] == ["null_category"] * len(BLANKS)
    assert reasons(result["orders"])[1:] == ["null_order_status"] * len(BLANKS)


def test_emails_differing_by_case_or_padding_are_one_address():
    result = run_both(
        customers=[
            {"customer_id": 5, "email": "Grace@Example.com"},
            {"customer_id": 6, "email": " grace@example.com\u00a0"},
            {"customer_id": 7, "email": "\tGRACE@EXAMPLE.COM"},
            # Kelvin sign: both engines lower-case it to an ASCII 'k'.
            {"customer_id": 8, "email": "\u212aate@example.com"},
            # Dotted capital I lower-cases to 'i' plus a combining dot: not ASCII.
            {"customer_id": 9, "email": "\u0130nfo@example.com"},
        ]
    )
    customers = result["customers"]
    assert clean_value(customers, 5, "email") == "grace@example.com"
    assert clean_value(customers, 8, "email") == "kate@example.com"
    assert reasons(customers) == [
        "invalid_email",
        "duplicate_email",
        "duplicate_email",
        "invalid_email",
    ]


def test_order_status_agrees():
    statuses = {
        " Completed ": "completed",
        "PENDING": "pending",
        "cancelled\u00a0": "cancelled",
        "Returned": "returned",
        "PENDİNG": None,  # 'İ' lower-cases to 'i' plus a combining dot
        "done": None,
    }
    result = run_both(
        orders=[
            {"order_id": 200 + i, "order_status": status}
            for i, status in enumerate(statuses)
        ]
    )
    for i, expected in enumerate(statuses.values()):
        clean = result["orders"].clean.filter(pl.col("order_id") == 200 + i)
        assert clean["order_status"].to_list() == ([expected] if expected else [])


MONEY = [
    (0.29, "0.29"),
    (19.99, "19.99"),
    (0.125, "0.13"),
    (-0.125, None),
    (1.005, "1.00"),
    (2.675, "2.68"),
    (0.005, "0.01"),
    (0.0049999999999999, "0.00"),
    (-0.0, "0.00"),
    (5e-324, "0.00"),
    (99999999.99, "99999999.99"),
    (99999999.994, "99999999.99"),
    (99999999.995, None),
    (1e8, None),
    (1e15, None),
    (1e19, None),
    (-1e19, None),
    (1.7e308, None),
    (NAN, None),
    (INF, None),
    (-INF, None),
    (None, None),
]


def test_money_agrees():
    result = run_both(
        products=[
            {"product_id": 100 + i, "price": amount, "cost": amount}
            for i, (amount, _) in enumerate(MONEY)
        ],
        orders=[
            {"order_id": 200 + i, "total_amount": amount}
            for i, (amount, _) in enumerate(MONEY)
        ],
        order_items=[
            {"order_item_id": 1000 + i, "unit_price": amount}
            for i, (amount, _) in enumerate(MONEY)
        ],
    )
    for i, (amount, expected) in enumerate(MONEY):
        for entity, key, column in [
            ("products", 100 + i, "price"),
            ("products", 100 + i, "cost"),
            ("orders", 200 + i, "total_amount"),
            ("order_items", 1000 + i, "unit_price"),
        ]:
            clean = result[entity].clean.filter(pl.col(KEYS[entity]) == key)
            got = clean[column].to_list()
            assert got == ([Decimal(expected)] if expected else []), (amount, column)


def test_discount_agrees():
    discounts = {None: "0.00", 0: "0.00", 100: "100.00", -1: None, 101: None}
    result = run_both(
        order_items=[
            {"order_item_id": 1000 + i, "discount_percent": discount}
            for i, discount in enumerate(discounts)
        ]
    )
    items = result["order_items"]
    assert reasons(items) == ["discount_out_of_range"] * 2
    assert items.clean["discount_percent"].to_list() == [
        Decimal(v) for v in discounts.values() if v
    ]


# --- the date window -------------------------------------------------------------


def test_date_window_edges_agree():
    # DAY is 2025-01-01: dates from 2000-01-01 to the partition date + 1 day are valid.
    edges = {
        dt.date(1, 1, 1): "out",
        dt.date(1850, 1, 1): "out",
        dt.date(1999, 12, 31): "out",
        dt.date(2000, 1, 1): "in",
        dt.date(2025, 1, 2): "in",
        dt.date(2025, 1, 3): "out",
        dt.date(9999, 12, 31): "out",
    }
    orders = [{"order_id": 200 + i, "order_date": day} for i, day in enumerate(edges)]
    customers = [
        {"customer_id": 20 + i, "email": f"c{i}@x.org", "signup_date": day}
        for i, day in enumerate(edges)
    ]
    result = run_both(orders=orders, customers=customers)
    for entity, column, code in (
        ("orders", "order_date", "order_date_out_of_range"),
        ("customers", "signup_date", "signup_date_out_of_range"),
    ):
        rejected = result[entity].rejects.filter(pl.col("reject_reason") == code)
        assert sorted(rejected[column].to_list()) == [
            day for day, where in edges.items() if where == "out"
        ]
