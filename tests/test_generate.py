from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re

import polars as pl
import pyarrow.parquet as pq
import pytest

from engine import contracts
from engine.errors import ConfigError
from engine.generate import (
    DISCOUNTS,
    SCHEMAS,
    STATUSES,
    TABLES,
    DirtRates,
    generate_dataset,
)
from tests.generated_files import files, read

DAY1 = dt.date(2025, 1, 1)
EMAIL = re.compile(r"^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    """45 days at scale 2 with the default dirt: big enough to see 1 % rates."""
    root = tmp_path_factory.mktemp("dirty")
    summary = generate_dataset(
        root, start=DAY1, end=dt.date(2025, 2, 14), scale=2, seed=7
    )
    return root, summary, {table: read(root, table) for table in TABLES}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    generate_dataset(
        root, start=DAY1, end=dt.date(2025, 1, 20), dirt=DirtRates.clean(), seed=3
    )
    return {table: read(root, table) for table in TABLES}


# --- shape and layout -------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_files_have_the_source_schema(dirty, table):
    root, _, _ = dirty
    schema = pq.read_schema(root / table / "2025-01-05" / "data.parquet")
    assert schema.remove_metadata() == SCHEMAS[table]
    raw = contracts.arrow_schema(f"raw.{table}")
    source = [f for f in raw if f.name not in contracts.LINEAGE_COLUMNS]
    assert [(f.name, f.type) for f in schema] == [(f.name, f.type) for f in source]


def test_one_file_per_table_per_day(dirty):
    root, summary, _ = dirty
    days = [DAY1 + dt.timedelta(days=i) for i in range(45)]
    expected = {f"{t}/{d.isoformat()}/data.parquet" for t in TABLES for d in days}
    assert set(files(root)) == expected  # no temp files left behind either
    assert (summary.files, summary.days, summary.unchanged) == (180, 45, 0)


def test_summary_counts_rows(dirty):
    _, summary, frames = dirty
    assert summary.rows == {table: frames[table].height for table in TABLES}
    assert "45 days, 180 files" in str(summary)


def test_products_are_the_whole_catalog_every_day(dirty):
    _, _, frames = dirty
    products = frames["products"]
    per_day = products.group_by("_day").agg(pl.col("product_id").sort().alias("ids"))
    assert per_day.height == 45
    assert all(ids.to_list() == list(range(1, 201)) for ids in per_day["ids"])
    assert set(products["category"]) == {
        "Electronics",
        "Clothing",
        "Food",
        "Books",
        "Home",
        "Sports",
        "Toys",
    }
    assert (products["cost"] < products["price"]).all()
    assert (products["cost"] > 0).all()


# --- the world's timeline -----------------------------------------------------------


def test_orders_start_on_the_second_day(dirty):
    _, _, frames = dirty
    for table in ("orders", "order_items"):
        days = frames[table]["_day"]
        assert days.min() == dt.date(2025, 1, 2)
    assert frames["customers"]["_day"].min() == DAY1


def test_start_before_the_origin_moves_the_origin(tmp_path):
    generate_dataset(
        tmp_path, start=dt.date(2024, 12, 30), end=dt.date(2025, 1, 2), scale=0.2
    )
    orders, customers = read(tmp_path, "orders"), read(tmp_path, "customers")
    assert orders["_day"].min() == dt.date(2024, 12, 31)
    assert customers["customer_id"].min() == 1
    assert customers.filter(pl.col("customer_id") == 1)["signup_date"].to_list() == [
        dt.date(2024, 12, 30)
    ]


def test_every_order_customer_signed_up_earlier_or_is_an_orphan(dirty):
    _, _, frames = dirty
    joined = frames["orders"].join(
        frames["customers"].select("customer_id", "signup_date"),
        on="customer_id",
        how="left",
    )
    matched = joined.filter(pl.col("signup_date").is_not_null())
    assert (matched["signup_date"] < matched["order_date"]).all()
    orphans = joined.filter(pl.col("signup_date").is_null())
    assert orphans.height > 0
    assert (orphans["customer_id"] >= 1_000_000_000).all()


def test_late_orders_are_one_day_late(dirty):
    _, _, frames = dirty
    lag = frames["orders"].select(
        (pl.col("_day") - pl.col("order_date")).dt.total_days()
    )
    assert set(lag.to_series()) == {0, 1}


def test_duplicates_stay_in_their_day(dirty):
    _, _, frames = dirty
    for table in ("orders", "order_items"):
        frame = frames[table]
        assert frame.unique().height == frame.drop("_day").unique().height


def test_same_person_rows_get_a_new_id_and_email(dirty):
    _, _, frames = dirty
    people = (
        frames["customers"]
        .drop_nulls(["customer_name", "country"])
        .with_columns(person=_normal_name("customer_name"))
        .group_by("person", "country")
        .agg(pl.len(), pl.col("customer_id").n_unique(), pl.col("email").n_unique())
        .filter(pl.col("len") > 1)
    )
    assert people.height > 0
    assert (people["customer_id"] == people["len"]).all()
    assert (people["email"] == people["len"]).all()


# --- dirt ---------------------------------------------------------------------------


def _normal_name(column):
    return (
        pl.col(column).str.strip_chars().str.replace_all(r"\s+", " ").str.to_lowercase()
    )


def _name_share(frame, column, test):
    names = frame[column].drop_nulls().to_list()
    return sum(map(test, names)) / len(names)


def _is_valid_email(email):
    return bool(EMAIL.match(email.strip().lower()))


def _duplicate_share(frame):
    rows = frame.drop("_day")
    return (rows.height - rows.unique().height) / rows.unique().height


def _orphan_share(frame, column, parent, key):
    return (~frame[column].is_in(parent[key].implode())).mean()


def _repeat_person_share(customers):
    people = customers.drop_nulls(["customer_name", "country"]).with_columns(
        person=_normal_name("customer_name")
    )
    repeats = people.height - people.unique(["person", "country"]).height
    return repeats / customers.height


MEASURES = {
    "duplicate_order": lambda f: _duplicate_share(f["orders"]),
    "duplicate_item": lambda f: _duplicate_share(f["order_items"]),
    "duplicate_customer": lambda f: _repeat_person_share(f["customers"]),
    "null_name": lambda f: f["customers"]["customer_name"].is_null().mean(),
    "null_country": lambda f: f["customers"]["country"].is_null().mean(),
    "lower_name": lambda f: _name_share(
        f["customers"], "customer_name", lambda s: s == s.lower()
    ),
    "upper_name": lambda f: _name_share(
        f["customers"], "customer_name", lambda s: s == s.upper()
    ),
    "padded_name": lambda f: _name_share(
        f["customers"], "customer_name", lambda s: s != s.strip() or "  " in s
    ),
    "invalid_email": lambda f: (
        1 - sum(map(_is_valid_email, f["customers"]["email"])) / f["customers"].height
    ),
    "messy_email": lambda f: (
        sum(
            _is_valid_email(e) and e != e.strip().lower()
            for e in f["customers"]["email"]
        )
        / f["customers"].height
    ),
    "negative_total": lambda f: (f["orders"]["total_amount"] < 0).mean(),
    "negative_price": lambda f: (f["order_items"]["unit_price"] < 0).mean(),
    "bad_quantity": lambda f: (f["order_items"]["quantity"] <= 0).mean(),
    "bad_discount": lambda f: (
        ~f["order_items"]["discount_percent"].is_between(0, 100)
    ).mean(),
    "miscased_status": lambda f: (
        sum(
            s not in STATUSES and s.strip().lower() in STATUSES
            for s in f["orders"]["order_status"]
        )
        / f["orders"].height
    ),
    "unknown_status": lambda f: (
        sum(s.strip().lower() not in STATUSES for s in f["orders"]["order_status"])
        / f["orders"].height
    ),
    "orphan_customer": lambda f: _orphan_share(
        f["orders"], "customer_id", f["customers"], "customer_id"
    ),
    "orphan_product": lambda f: _orphan_share(
        f["order_items"], "product_id", f["products"], "product_id"
    ),
    "late_order": lambda f: (f["orders"]["order_date"] < f["orders"]["_day"]).mean(),
}
PRODUCT_MEASURES = {
    "lower_name": lambda s: s == s.lower(),
    "upper_name": lambda s: s == s.upper(),
    "padded_name": lambda s: s != s.strip() or "  " in s,
}


def test_every_dirt_kind_is_measured():
    assert set(MEASURES) == {f.name for f in dataclasses.fields(DirtRates)}


@pytest.mark.parametrize("kind", MEASURES)
def test_dirt_appears_at_about_its_rate(dirty, kind):
    _, _, frames = dirty
    rate = getattr(DirtRates(), kind)
    assert 0.5 * rate <= MEASURES[kind](frames) <= 1.6 * rate


@pytest.mark.parametrize("kind", PRODUCT_MEASURES)
def test_product_names_get_the_same_noise(dirty, kind):
    _, _, frames = dirty
    rate = getattr(DirtRates(), kind)
    share = _name_share(frames["products"], "product_name", PRODUCT_MEASURES[kind])
    assert 0.5 * rate <= share <= 1.6 * rate


def test_dirt_rate_zero_gives_clean_data(clean):
    customers, products = clean["customers"], clean["products"]
    orders, items = clean["orders"], clean["order_items"]
    for frame in clean.values():
        assert frame.null_count().sum_horizontal().item() == 0
    assert orders.drop("_day").is_unique().all()
    assert items.drop("_day").is_unique().all()
    assert customers["customer_id"].is_unique().all()
    assert customers["email"].is_unique().all()
    for column, frame in (("customer_name", customers), ("product_name", products)):
        for name in frame[column]:
            assert name == name.strip()
            assert "  " not in name
            assert name not in (name.lower(), name.upper())
    assert all(_is_valid_email(e) and e == e.lower() for e in customers["email"])
    assert set(orders["order_status"]) <= set(STATUSES)
    assert (orders["order_date"] == orders["_day"]).all()
    assert (orders["total_amount"] > 0).all()
    assert (items["unit_price"] > 0).all()
    assert items["quantity"].is_between(1, 5).all()
    assert set(items["discount_percent"]) <= set(DISCOUNTS)
    assert orders["customer_id"].is_in(customers["customer_id"].implode()).all()
    assert items["product_id"].is_in(products["product_id"].implode()).all()
    assert items["order_id"].is_in(orders["order_id"].implode()).all()


def test_clean_totals_are_the_items_sum_in_cents(clean):
    cents = (
        clean["order_items"]
        .group_by("order_id")
        .agg(
            line=(
                pl.col("quantity")
                * (pl.col("unit_price") * 100).round().cast(pl.Int64)
                * (100 - pl.col("discount_percent"))
            ).sum()
        )
        .with_columns(expected=(pl.col("line") + 50) // 100)
    )
    joined = clean["orders"].join(cents, on="order_id")
    assert joined.height == clean["orders"].height
    actual = (joined["total_amount"] * 100).round().cast(pl.Int64)
    assert (actual == joined["expected"]).all()


def test_money_has_two_decimals(clean):
    for table, column in (
        ("products", "price"),
        ("products", "cost"),
        ("orders", "total_amount"),
        ("order_items", "unit_price"),
    ):
        # Python division, not polars: x / 100 must be the nearest double, as
        # float('12.34') is.
        assert all(round(v * 100) / 100 == v for v in clean[table][column])


def test_some_real_names_are_mixed_case(clean):
    names = clean["customers"]["customer_name"].to_list()
    assert any(re.search(r" (MD|PhD|DDS|DVM|Jr\.|II|III|IV)$", n) for n in names)
    assert any(re.match(r"(Dr|Mr|Mrs|Ms)\. ", n) for n in names)


# --- dirt rates -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        ({"null_name": 1.5}, "null_name=1.5 is outside 0..1"),
        ({"late_order": -0.1}, "late_order=-0.1 is outside 0..1"),
        ({"orphan_product": math.nan}, "orphan_product=nan is outside 0..1"),
        ({"lower_name": 0.6, "upper_name": 0.5}, "lower_name \\+ upper_name"),
    ],
)
def test_bad_dirt_rates_raise_config_error(rates, message):
    with pytest.raises(ConfigError, match=message):
        DirtRates(**rates)


def test_rates_of_exactly_one_are_allowed(tmp_path):
    summary = generate_dataset(
        tmp_path,
        start=DAY1,
        end=dt.date(2025, 1, 2),
        scale=0.1,
        dirt=DirtRates(null_name=1, invalid_email=1, messy_email=0, late_order=1),
    )
    customers = read(tmp_path, "customers")
    assert customers["customer_name"].is_null().all()
    assert not any(map(_is_valid_email, customers["email"]))
    assert summary.rows["customers"] == customers.height
