from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re

import polars as pl
import pyarrow.parquet as pq
import pytest

from engine import contracts
from engine.errors import ConfigError, ContractError, SourceError
from engine.generate import (
    DISCOUNTS,
    SCHEMAS,
    STATUSES,
    TABLES,
    DirtRates,
    generate_dataset,
)

DAY1 = dt.date(2025, 1, 1)
EMAIL = re.compile(r"^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")


def read(root, table):
    """Every partition of a table, with the partition date as `_day`."""
    frames = [
        pl.read_parquet(path).with_columns(
            _day=pl.lit(dt.date.fromisoformat(path.parent.name))
        )
        for path in sorted((root / table).glob("*/data.parquet"))
    ]
    return pl.concat(frames)


def files(root):
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


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


# --- determinism --------------------------------------------------------------------


def test_same_seed_gives_the_same_bytes(tmp_path):
    options = {"start": DAY1, "end": dt.date(2025, 1, 6), "scale": 0.5, "seed": 11}
    generate_dataset(tmp_path / "a", **options)
    generate_dataset(tmp_path / "b", **options)
    assert files(tmp_path / "a") == files(tmp_path / "b")


def test_other_seed_gives_other_data(tmp_path):
    options = {"start": DAY1, "end": dt.date(2025, 1, 3), "scale": 0.5}
    generate_dataset(tmp_path / "a", seed=1, **options)
    generate_dataset(tmp_path / "b", seed=2, **options)
    a, b = files(tmp_path / "a"), files(tmp_path / "b")
    assert a.keys() == b.keys()
    assert all(a[name] != b[name] for name in a if "/2025-01-03/" in name)


def test_sub_range_writes_the_same_partitions(tmp_path):
    generate_dataset(tmp_path / "full", start=DAY1, end=dt.date(2025, 1, 20), scale=0.5)
    generate_dataset(
        tmp_path / "part",
        start=dt.date(2025, 1, 8),
        end=dt.date(2025, 1, 12),
        scale=0.5,
    )
    full, part = files(tmp_path / "full"), files(tmp_path / "part")
    assert len(part) == 20
    assert all(full[name] == data for name, data in part.items())


def test_the_world_held_for_a_run_is_a_few_bytes_per_customer_and_order():
    # Every day since the origin is held for the whole run (scale 300 is 33 M
    # orders and 3.3 M customers), so it must stay far below the 1 GB budget.
    from engine.generate.pools import people_pools
    from engine.generate.world import build_world

    origin = DAY1.toordinal()
    world = build_world(5, 10, origin, origin + 59, people_pools(5))
    customers, orders = world.customers_before[-1], world.orders_before[-1]
    per_day = world.customers_before, world.orders_before, world.items_before
    held = world.items_per_order.nbytes + world.people.nbytes
    assert held <= 10 * customers + 1 * orders
    assert sum(a.nbytes for a in per_day) == 3 * 8 * 61


def test_rerun_leaves_identical_files_alone(tmp_path):
    options = {"start": DAY1, "end": dt.date(2025, 1, 3), "scale": 0.2}
    generate_dataset(tmp_path, **options)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("data.parquet")}
    summary = generate_dataset(tmp_path, **options)
    assert summary.unchanged == summary.files == 12
    assert {p: p.stat().st_mtime_ns for p in before} == before


def test_rerun_with_other_data_replaces_files(tmp_path):
    options = {"start": DAY1, "end": dt.date(2025, 1, 3), "scale": 0.2}
    generate_dataset(tmp_path / "a", seed=1, **options)
    summary = generate_dataset(tmp_path / "a", seed=2, **options)
    generate_dataset(tmp_path / "b", seed=2, **options)
    assert summary.unchanged < summary.files
    assert files(tmp_path / "a") == files(tmp_path / "b")


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


# --- arguments and progress ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": DAY1, "end": dt.date(2024, 12, 31)}, "before start"),
        ({"scale": 0}, "scale 0"),
        ({"scale": -1.5}, "scale -1.5"),
        ({"scale": math.nan}, "scale nan"),
        ({"seed": -1}, "seed -1"),
    ],
)
def test_bad_arguments_raise_config_error(tmp_path, kwargs, message):
    options = {"start": DAY1, "end": DAY1} | kwargs
    with pytest.raises(ConfigError, match=message) as info:
        generate_dataset(tmp_path, **options)
    assert "\n" not in str(info.value)
    assert not any(tmp_path.iterdir())


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


def test_out_dir_that_is_a_file_raises_config_error(tmp_path):
    target = tmp_path / "taken"
    target.write_text("")
    with pytest.raises(ConfigError, match="not a folder"):
        generate_dataset(target, start=DAY1, end=DAY1)


def test_unwritable_out_dir_raises_source_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(SourceError, match="cannot write") as info:
        generate_dataset(tmp_path / "file" / "data", start=DAY1, end=DAY1)
    assert "\n" not in str(info.value)


class Recorder:
    def __init__(self):
        self.calls = []

    def start(self, task, total=None):
        self.calls.append(("start", task, total))

    def advance(self, n=1):
        self.calls.append(("advance", n))

    def done(self, summary=""):
        self.calls.append(("done", summary))


def test_progress_counts_every_day(tmp_path):
    progress = Recorder()
    generate_dataset(
        tmp_path, start=DAY1, end=dt.date(2025, 1, 12), scale=0.1, progress=progress
    )
    assert progress.calls[0] == ("start", "generate", 12)
    assert sum(c[1] for c in progress.calls if c[0] == "advance") == 12
    assert progress.calls[-1][0] == "done"
    assert progress.calls[-1][1].startswith("12 days, 48 files")


def test_tables_are_the_source_tables_of_sql_each_with_its_part():
    assert TABLES == contracts.ENTITIES
    assert list(SCHEMAS) == list(contracts.ENTITIES)


def test_a_source_table_without_a_generator_part_fails_before_writing(tmp_path):
    from tests.ddl_copy import REFUNDS_DDL, sql_copy

    out = tmp_path / "out"
    with sql_copy(tmp_path) as sql:
        with (sql / "20_staging.sql").open("a") as ddl:
            ddl.write(REFUNDS_DDL)
        with pytest.raises(ContractError) as info:
            generate_dataset(out, start=DAY1, end=DAY1, scale=0.1)
    assert str(info.value) == (
        "raw.refunds: no generator part; add engine/generate/refunds.py "
        "with SCHEMA, STREAM and build(chunk)"
    )
    assert not out.exists()


def test_two_parts_on_one_random_stream_are_refused(monkeypatch):
    from engine.generate import products, table_parts
    from engine.generate.world import WORLD_STREAM

    monkeypatch.setattr(products, "STREAM", WORLD_STREAM)
    with pytest.raises(ContractError, match=r"^engine/generate/products.py: STREAM"):
        table_parts()
