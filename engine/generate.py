"""Deterministic dirty e-commerce data as one Parquet file per table per day.

Writes customers, products, orders and order_items to
`<out>/<table>/<YYYY-MM-DD>/data.parquet` with duplicates, nulls, casing noise, bad
emails, bad amounts, orphan keys and late rows at the rates of `DirtRates`.

Every draw comes from a generator seeded with (seed, purpose, absolute day), and ids are
offsets counted from a fixed world origin, so a day's files never depend on the
requested range: any sub-range writes the same bytes as the full run for its days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import math
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine.errors import ConfigError, SourceError
from engine.progress import NullProgress

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from concurrent.futures import Future
    from pathlib import Path

    from engine.progress import Progress

logger = logging.getLogger(__name__)

WORLD_ORIGIN: Final = dt.date(2025, 1, 1)
"""Day one of the generated world unless the requested start is earlier."""
TABLES: Final[tuple[str, ...]] = ("customers", "products", "orders", "order_items")
ORPHAN_ID_BASE: Final = 1_000_000_000
"""Orphan customer and product ids are drawn at or above this; no real id gets there."""

SCHEMAS: Final[dict[str, pa.Schema]] = {
    "customers": pa.schema(
        [
            ("customer_id", pa.int64()),
            ("customer_name", pa.string()),
            ("email", pa.string()),
            ("country", pa.string()),
            ("signup_date", pa.date32()),
            ("customer_segment", pa.string()),
        ]
    ),
    "products": pa.schema(
        [
            ("product_id", pa.int64()),
            ("product_name", pa.string()),
            ("category", pa.string()),
            ("price", pa.float64()),
            ("cost", pa.float64()),
        ]
    ),
    "orders": pa.schema(
        [
            ("order_id", pa.int64()),
            ("customer_id", pa.int64()),
            ("order_date", pa.date32()),
            ("order_status", pa.string()),
            ("total_amount", pa.float64()),
        ]
    ),
    "order_items": pa.schema(
        [
            ("order_item_id", pa.int64()),
            ("order_id", pa.int64()),
            ("product_id", pa.int64()),
            ("quantity", pa.int64()),
            ("unit_price", pa.float64()),
            ("discount_percent", pa.int64()),
        ]
    ),
}
"""The file schemas of the classic pipeline: the raw tables without lineage columns."""

# Spelled out so a pyarrow default change cannot silently change the bytes we promise.
_PARQUET_OPTIONS: Final = {
    "version": "2.6",
    "data_page_version": "1.0",
    "compression": "snappy",
    # Only low-cardinality text gains from a dictionary; skipping the rest is ~30 % faster.
    "use_dictionary": ["country", "customer_segment", "category", "order_status"],
    "write_statistics": True,
    "write_page_index": False,
    "store_schema": True,
}
# Encoding and file calls release the GIL, so one writer per core overlaps them with
# building; more writers only add GIL hand-offs. Tasks of several days keep those rare.
_WRITERS: Final = min(8, os.cpu_count() or 1)
_DAYS_PER_TASK: Final = 8
# Bounds memory: a chunk of days is built in one go while the previous one is written.
_CHUNK_ORDERS: Final = 100_000
_CHUNK_MAX_DAYS: Final = 31
_PEOPLE_BATCH: Final = 100_000
"""Customers whose person draws are held at once while the world is built."""

SEGMENTS: Final = ("Premium", "Standard", "Basic")
_SEGMENT_CUM: Final = (0.2, 0.7)
STATUSES: Final = ("completed", "pending", "cancelled", "returned")
_STATUS_CUM: Final = (0.70, 0.85, 0.95)
_UNKNOWN_STATUSES: Final = ("shipped", "processing", "on hold")
DISCOUNTS: Final = (0, 5, 10, 15, 20)
_DISCOUNT_CUM: Final = (0.5, 0.7, 0.85, 0.95)
_QUANTITY_CUM: Final = (0.4, 0.65, 0.8, 0.92)  # 1..5, small baskets most often
_BAD_QUANTITIES: Final = (0, -1, -2)
_BAD_DISCOUNTS: Final = (150, -10, 110, -5, 200)
_FREE_MAIL_SHARE: Final = 0.6  # share of addresses at gmail.com, yahoo.com, ...

CATEGORIES: Final[dict[str, tuple[float, float, tuple[str, ...]]]] = {
    # category: (lowest price, highest price, nouns)
    "Electronics": (15.0, 1500.0, ("Headphones", "Speaker", "Monitor", "Keyboard", "Mouse", "Charger", "Tablet", "Camera", "Smartwatch", "Router")),
    "Clothing": (8.0, 220.0, ("T-Shirt", "Jacket", "Jeans", "Sweater", "Dress", "Hoodie", "Scarf", "Sneakers", "Socks", "Cap")),
    "Food": (1.5, 60.0, ("Coffee Beans", "Green Tea", "Olive Oil", "Granola", "Dark Chocolate", "Pasta", "Honey", "Hot Sauce", "Almonds", "Spice Mix")),
    "Books": (4.0, 80.0, ("Cookbook", "Novel", "Atlas", "Biography", "Poetry Collection", "Travel Guide", "Comic", "Notebook", "Workbook", "Dictionary")),
    "Home": (6.0, 600.0, ("Lamp", "Blender", "Cushion", "Rug", "Kettle", "Frying Pan", "Vase", "Towel Set", "Clock", "Storage Box")),
    "Sports": (5.0, 450.0, ("Yoga Mat", "Dumbbells", "Water Bottle", "Tennis Racket", "Football", "Bike Helmet", "Running Belt", "Jump Rope", "Backpack", "Tent")),
    "Toys": (3.0, 150.0, ("Puzzle", "Building Blocks", "Plush Bear", "Board Game", "Kite", "Race Car", "Doll House", "Train Set", "Robot Kit", "Yo-Yo")),
}  # fmt: skip
_ADJECTIVES: Final = (
    "Classic", "Premium", "Eco", "Smart", "Ultra", "Compact", "Deluxe", "Pro",
    "Vintage", "Modern", "Essential", "Portable", "Organic", "Wireless", "Family",
    "Mini", "Max", "Everyday", "Travel", "Signature",
)  # fmt: skip

# One stream id per purpose, so draws for one purpose never shift another's.
_WORLD, _CUSTOMERS, _PRODUCTS, _ORDERS, _ITEMS, _CATALOG = range(1, 7)


@dataclass(frozen=True, slots=True)
class DirtRates:
    """How often each kind of dirt appears: fractions of rows, 0..1 (0 = clean)."""

    duplicate_order: float = 0.04
    """Order rows written twice, identical, in the same day's file."""
    duplicate_item: float = 0.04
    """Order-item rows written twice, identical, in the same day's file."""
    duplicate_customer: float = 0.04
    """New customers who are an earlier customer again: same name and country, new id and email."""
    null_name: float = 0.02
    """Customers with a null customer_name."""
    null_country: float = 0.01
    """Customers with a null country."""
    lower_name: float = 0.10
    """Customer and product names in all lower case."""
    upper_name: float = 0.05
    """Customer and product names in ALL UPPER CASE (lower_name + upper_name <= 1)."""
    padded_name: float = 0.05
    """Customer and product names with a leading/trailing space or a doubled inner space."""
    invalid_email: float = 0.02
    """Emails that are not addresses: no @, no domain, an inner space, @@ or no TLD."""
    messy_email: float = 0.03
    """Valid emails in mixed or upper case, or padded (invalid_email + messy_email <= 1)."""
    negative_total: float = 0.01
    """Orders whose total_amount is negated."""
    negative_price: float = 0.01
    """Order items whose unit_price is negated."""
    bad_quantity: float = 0.01
    """Order items with quantity 0, -1 or -2."""
    bad_discount: float = 0.01
    """Order items with discount_percent outside 0..100 (150, -10, 110, -5, 200)."""
    miscased_status: float = 0.03
    """Known statuses mis-cased or padded, e.g. 'PENDING', ' Completed'."""
    unknown_status: float = 0.01
    """Statuses outside the known four: 'shipped', 'processing', 'on hold'."""
    orphan_customer: float = 0.01
    """Orders whose customer_id never existed (>= 1,000,000,000)."""
    orphan_product: float = 0.01
    """Order items whose product_id is not in the catalog (>= 1,000,000,000)."""
    late_order: float = 0.02
    """Orders that land in the partition after their order_date (one day late)."""

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                msg = f"dirt rate {field.name}={value!r} is outside 0..1; pass a fraction such as 0.02"
                raise ConfigError(msg)
        for first, second in (
            ("lower_name", "upper_name"),
            ("invalid_email", "messy_email"),
            ("miscased_status", "unknown_status"),
        ):
            if getattr(self, first) + getattr(self, second) > 1.0:
                msg = (
                    f"dirt rates {first} + {second} exceed 1; they share the same rows"
                )
                raise ConfigError(msg)

    @classmethod
    def clean(cls) -> DirtRates:
        """Every rate 0: the data the dirt is added to."""
        return cls(**dict.fromkeys((f.name for f in dataclasses.fields(cls)), 0.0))


@dataclass(frozen=True, slots=True)
class GenerateSummary:
    """What generate_dataset wrote."""

    files: int
    """Files the range consists of (4 per day), written or already identical."""
    rows: dict[str, int]
    """Rows per table over the range, duplicates included."""
    days: int
    """Days in the range."""
    unchanged: int
    """Files left untouched because they already held exactly these bytes."""
    seconds: float
    """Wall-clock time of the call."""

    def __str__(self) -> str:
        counts = ", ".join(f"{table} {n:,}" for table, n in self.rows.items())
        return f"{self.days:,} days, {self.files:,} files ({counts} rows)"


_NO_PROGRESS: Final = NullProgress()


def generate_dataset(
    out_dir: Path,
    *,
    start: dt.date,
    end: dt.date,
    scale: float = 1.0,
    seed: int = 42,
    dirt: DirtRates = DirtRates(),
    progress: Progress = _NO_PROGRESS,
    origin: dt.date = WORLD_ORIGIN,
) -> GenerateSummary:
    """Write every table's partition for each day from `start` to `end` (inclusive).

    Parameters
    ----------
    scale
        Volume multiplier: 1 means 10-50 new customers, 100-500 orders of 1-5 items
        per day and a catalog of 100 products (all four scale linearly).
    origin
        Day one of the world: customer and order ids count from it and orders begin
        the day after. A `start` before it moves it to `start`, so only ranges that
        share the origin share partitions.
    """
    began = time.perf_counter()
    _check_arguments(out_dir, start, end, scale, seed)
    first, last = start.toordinal(), end.toordinal()
    days = last - first + 1
    progress.start("generate", total=days)
    pools = _pools(seed)
    world = _build_world(seed, scale, min(origin, start).toordinal(), last, pools)
    catalog = _catalog(seed, world.n_products)

    rows = dict.fromkeys(TABLES, 0)
    unchanged = 0
    for table in TABLES:
        _make_dir(out_dir / table)
    with ThreadPoolExecutor(max_workers=_WRITERS) as pool:
        pending: list[tuple[Future[int], int]] = []
        for lo, hi in _chunks(world, first, last):
            chunk = _build_chunk(world, pools, catalog, dirt, seed, lo, hi)
            for table, (frame, _) in chunk.items():
                rows[table] += frame.num_rows
            # Wait for the previous chunk only now, so building overlaps with writing
            # and at most two chunks are in memory.
            unchanged += _wait(pending, progress)
            pending = [
                (pool.submit(_write_days, out_dir, chunk, lo, a, b), b - a + 1)
                for a, b in _batches(lo, hi, _DAYS_PER_TASK)
            ]
        unchanged += _wait(pending, progress)

    summary = GenerateSummary(
        files=days * len(TABLES),
        rows=rows,
        days=days,
        unchanged=unchanged,
        seconds=time.perf_counter() - began,
    )
    progress.done(str(summary))
    logger.info(
        "generated %s rows in %s files -> %s in %.2f s",
        f"{sum(rows.values()):,}",
        f"{summary.files:,}",
        out_dir,
        summary.seconds,
    )
    return summary


def _batches(lo: int, hi: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size - 1, hi)) for a in range(lo, hi + 1, size)]


def _wait(pending: list[tuple[Future[int], int]], progress: Progress) -> int:
    """Wait for write tasks in order, reporting their days; return unchanged files."""
    unchanged = 0
    for future, days in pending:
        unchanged += future.result()
        progress.advance(days)
    return unchanged


def _check_arguments(
    out_dir: Path, start: dt.date, end: dt.date, scale: float, seed: int
) -> None:
    if end < start:
        msg = f"end {end} is before start {start}; pass an end on or after the start"
        raise ConfigError(msg)
    if not (isinstance(scale, int | float) and math.isfinite(scale) and scale > 0):
        msg = f"scale {scale!r} must be a number above 0, e.g. 1 or 0.1"
        raise ConfigError(msg)
    if not isinstance(seed, int) or seed < 0:
        msg = f"seed {seed!r} must be a whole number >= 0"
        raise ConfigError(msg)
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"{out_dir}: exists and is not a folder; pass a folder to write into"
        raise ConfigError(msg)


# --- the world: counts and ids of every day from the origin -------------------------


@dataclass(frozen=True, slots=True)
class _World:
    """Per-day counts from the origin to the last day; ids are offsets into these.

    It spans every day since the origin, so it is kept to a few bytes per customer
    and one per order: a run at scale 300 holds 33 M orders and 3.3 M customers.
    """

    origin: int
    """Ordinal of day one; day index j means ordinal origin + j."""
    n_products: int
    customers_before: np.ndarray
    """Customers created before day j (length days + 1): day j owns ids (b[j], b[j+1]]."""
    orders_before: np.ndarray
    """Orders created before day j, like customers_before."""
    items_before: np.ndarray
    """Order items created before day j, like customers_before."""
    items_per_order: np.ndarray
    """Item count (int8, 1-5) of order id i at index i - 1."""
    people: np.ndarray
    """Who customer id i is, at row i - 1: pool indexes (int16) _FIRST.._SUFFIX."""


# Columns of a day's person draws, which fix who each new customer is.
_GENDER, _FIRST, _LAST, _COUNTRY, _STYLE, _PREFIX, _SUFFIX = range(7)


def _build_world(
    seed: int, scale: float, origin: int, last: int, pools: _Pools
) -> _World:
    # A day's counts come from that day's own generator, so they are cheap to recompute
    # for every day since the origin and never depend on the range asked for.
    c_lo = max(1, round(10 * scale))
    c_hi = max(c_lo, round(50 * scale))
    o_lo = max(1, round(100 * scale))
    o_hi = max(o_lo, round(500 * scale))
    n_days = last - origin + 1
    n_customers = np.empty(n_days, dtype=np.int64)
    n_orders = np.empty(n_days, dtype=np.int64)
    n_items = np.empty(n_days, dtype=np.int64)
    items: list[np.ndarray] = []
    people: list[np.ndarray] = []
    # Person draws are turned into pool indexes a batch of days at a time: per day
    # would cost a dozen small numpy calls for each of 365 days.
    draws: list[np.ndarray] = []
    for j in range(n_days):
        rng = np.random.default_rng([seed, _WORLD, origin + j])
        n_customers[j] = rng.integers(c_lo, c_hi + 1)
        # Drawn on day one too (then dropped) so every day's stream has one layout.
        orders = rng.integers(o_lo, o_hi + 1)
        n_orders[j] = orders if j else 0
        day_items = rng.integers(1, 6, size=n_orders[j])
        n_items[j] = day_items.sum()
        items.append(day_items.astype(np.int8))
        draws.append(rng.random((n_customers[j], 7)))
        if j == n_days - 1 or len(draws) * c_hi >= _PEOPLE_BATCH:
            people.append(_people(np.concatenate(draws), pools))
            draws = []
    return _World(
        origin=origin,
        n_products=max(1, round(100 * scale)),
        customers_before=_before(n_customers),
        orders_before=_before(n_orders),
        items_before=_before(n_items),
        items_per_order=np.concatenate(items),
        people=np.concatenate(people),
    )


def _people(draws: np.ndarray, pools: _Pools) -> np.ndarray:
    """Pool indexes (first, last, country, prefix, suffix) fixed by a person's draws."""
    female = draws[:, _GENDER] < 0.5
    n_male, n_female = pools.n_male, len(pools.first) - pools.n_male
    first = np.where(
        female,
        n_male + _index(draws[:, _FIRST], n_female),
        _index(draws[:, _FIRST], n_male),
    )
    style = draws[:, _STYLE]  # as Faker: mostly plain, some Dr./Mrs., some MD/Jr.
    prefix = np.where(
        (style >= 0.91) & ((style < 0.95) | (style >= 0.99)),
        _gendered(draws[:, _PREFIX], female, pools.n_male_prefix, len(pools.prefix)),
        0,
    )
    suffix = np.where(
        style >= 0.95,
        _gendered(draws[:, _SUFFIX], female, pools.n_male_suffix, len(pools.suffix)),
        0,
    )
    last = _index(draws[:, _LAST], len(pools.last))
    country = _index(draws[:, _COUNTRY], len(pools.country))
    return np.column_stack([first, last, country, prefix, suffix]).astype(np.int16)


def _before(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _chunks(world: _World, first: int, last: int) -> list[tuple[int, int]]:
    per_day = max(1.0, world.orders_before[-1] / (last - world.origin + 1))
    size = int(max(1, min(_CHUNK_MAX_DAYS, _CHUNK_ORDERS // per_day)))
    return [(lo, min(lo + size - 1, last)) for lo in range(first, last + 1, size)]


# --- value pools (Faker, once per seed) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pools:
    first: pa.Array
    """Male first names, then female ones."""
    n_male: int
    last: pa.Array
    first_slug: pa.Array
    """first, lower-cased ASCII letters only, for email addresses."""
    last_slug: pa.Array
    prefix: pa.Array
    """'' (none), male prefixes ('Mr. ', 'Dr. '), then female ones."""
    n_male_prefix: int
    suffix: pa.Array
    """'' (none), male suffixes (' Jr.', ' PhD'), then female ones."""
    n_male_suffix: int
    country: pa.Array
    domain: pa.Array
    domain_root: pa.Array
    """The domain without its TLD ('gmail'), for the no-TLD invalid email."""


@functools.lru_cache(maxsize=4)
def _pools(seed: int) -> _Pools:
    # Faker is slow per call, so it only fills small pools once; numpy picks from them.
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    male = _unique(fake.first_name_male() for _ in range(120))
    female = _unique(fake.first_name_female() for _ in range(120))
    last = _unique(fake.last_name() for _ in range(200))
    prefix_m = _unique(f"{fake.prefix_male()} " for _ in range(20))
    prefix_f = _unique(f"{fake.prefix_female()} " for _ in range(30))
    suffix_m = _unique(f" {fake.suffix_male()}" for _ in range(60))
    suffix_f = _unique(f" {fake.suffix_female()}" for _ in range(30))
    country = _unique(fake.country() for _ in range(600))
    free = _unique(fake.free_email_domain() for _ in range(30))
    company = _unique(fake.domain_name() for _ in range(20))
    # Repeating the free providers gives them _FREE_MAIL_SHARE of the addresses.
    repeat = max(1, round(_FREE_MAIL_SHARE * len(company) / len(free)))
    domain = free * repeat + company
    first = male + female
    return _Pools(
        first=pa.array(first),
        n_male=len(male),
        last=pa.array(last),
        first_slug=pa.array([_slug(name) for name in first]),
        last_slug=pa.array([_slug(name) for name in last]),
        prefix=pa.array(["", *prefix_m, *prefix_f]),
        n_male_prefix=len(prefix_m),
        suffix=pa.array(["", *suffix_m, *suffix_f]),
        n_male_suffix=len(suffix_m),
        country=pa.array(country),
        domain=pa.array(domain),
        domain_root=pa.array([d.rsplit(".", 1)[0] for d in domain]),
    )


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower()) or "user"


@dataclass(frozen=True, slots=True)
class _Catalog:
    name_variants: pa.Array
    """Every noisy spelling of every name: variant v of product i at v * n + i."""
    category: pa.Array
    price_cents: np.ndarray
    cost_cents: np.ndarray


@functools.lru_cache(maxsize=4)
def _catalog(seed: int, n_products: int) -> _Catalog:
    # Row-major (n, k) draws: product i gets the same numbers whatever the catalog size.
    u = np.random.default_rng([seed, _CATALOG]).random((n_products, 5))
    names = list(CATEGORIES)
    cat = _index(u[:, 0], len(names))
    lows = np.log([CATEGORIES[c][0] for c in names])
    highs = np.log([CATEGORIES[c][1] for c in names])
    price = np.exp(lows[cat] + u[:, 3] * (highs[cat] - lows[cat]))
    price_cents = np.rint(price * 100).astype(np.int64)
    # Cost is 35-80 % of the price, so always below it (no price is under 1.50).
    cost_cents = np.floor(price_cents * (0.35 + 0.45 * u[:, 4])).astype(np.int64)
    nouns = [noun for c in names for noun in CATEGORIES[c][2]]
    sizes = np.array([len(CATEGORIES[c][2]) for c in names])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    noun = offsets[cat] + np.minimum(np.floor(u[:, 2] * sizes[cat]), sizes[cat] - 1)
    product_name = _join(
        pa.array(_ADJECTIVES).take(_index(u[:, 1], len(_ADJECTIVES))),
        " ",
        pa.array(nouns).take(noun.astype(np.int64)),
    )
    return _Catalog(
        name_variants=pa.concat_arrays(_name_variants(product_name)),
        category=pa.array(names).take(cat),
        price_cents=price_cents,
        cost_cents=np.maximum(1, cost_cents),
    )


# --- one chunk of days --------------------------------------------------------------


def _build_chunk(
    world: _World,
    pools: _Pools,
    catalog: _Catalog,
    dirt: DirtRates,
    seed: int,
    lo: int,
    hi: int,
) -> dict[str, tuple[pa.Table, np.ndarray]]:
    """Every table for the days lo..hi (ordinals), with each day's row bounds."""
    items, totals = _order_items(world, catalog, dirt, seed, lo, hi)
    return {
        "customers": _customers(world, pools, dirt, seed, lo, hi),
        "products": _products(catalog, dirt, seed, lo, hi),
        "orders": _orders(world, dirt, seed, lo, hi, totals),
        "order_items": items,
    }


def _draws(
    seed: int, stream: int, lo: int, counts: np.ndarray, width: int
) -> np.ndarray:
    """Uniforms (rows, width) from each day's own generator, days lo.. stacked."""
    out = np.empty((int(counts.sum()), width))
    start = 0
    for k, n in enumerate(counts.tolist()):
        rng = np.random.default_rng([seed, stream, lo + k])
        rng.random(out=out[start : start + n])
        start += n
    return out


def _customers(
    world: _World, pools: _Pools, dirt: DirtRates, seed: int, lo: int, hi: int
) -> tuple[pa.Table, np.ndarray]:
    j0, j1 = lo - world.origin, hi - world.origin + 1
    before = world.customers_before
    ids = np.arange(before[j0] + 1, before[j1] + 1, dtype=np.int64)
    day = np.repeat(np.arange(lo, hi + 1), np.diff(before[j0 : j1 + 1]))
    u = _draws(seed, _CUSTOMERS, lo, np.diff(before[j0 : j1 + 1]), 9)

    # A "same person" row is an earlier id again: its name and country, but a new
    # id and so a new email.
    who = ids.copy()
    hit, w = _hits(u[:, 0], dirt.duplicate_customer)
    hit, w = hit[ids[hit] > 1], w[ids[hit] > 1]
    who[hit] = 1 + np.floor(w * (ids[hit] - 1)).astype(np.int64)
    first, last, country, prefix, suffix = np.ascontiguousarray(
        world.people[who - 1].T, dtype=np.int64
    )
    name = _join(
        pools.prefix.take(prefix),
        pools.first.take(first),
        " ",
        pools.last.take(last),
        pools.suffix.take(suffix),
    )
    name = _noisy_names(name, _name_variant(u[:, 3], u[:, 4], dirt))
    name = _nulls(name, _hits(u[:, 1], dirt.null_name)[0])
    country = pools.country.take(country)
    country = _nulls(country, _hits(u[:, 2], dirt.null_country)[0])
    email = _emails(pools, ids, first, last, u[:, 5], u[:, 7], u[:, 8], dirt)
    segment = _strings(SEGMENTS).take(_weighted(u[:, 6], _SEGMENT_CUM))
    table = pa.Table.from_arrays(
        [pa.array(ids), name, email, country, _dates(day), segment],
        schema=SCHEMAS["customers"],
    )
    return table, _day_bounds(day, lo, hi)


def _gendered(u: np.ndarray, female: np.ndarray, n_male: int, size: int) -> np.ndarray:
    """Index into a '' + male + female pool such as _Pools.prefix."""
    n_female = size - 1 - n_male
    return 1 + np.where(female, n_male + _index(u, n_female), _index(u, n_male))


def _emails(
    pools: _Pools,
    ids: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    u_kind: np.ndarray,
    u_style: np.ndarray,
    u_domain: np.ndarray,
    dirt: DirtRates,
) -> pa.Array:
    # The id in the local part keeps addresses unique, "same person" rows included.
    f, lname = pools.first_slug.take(first), pools.last_slug.take(last)
    user = _choose(
        [
            _join(f, ".", lname),
            _join(f, lname),
            _join(pc.utf8_slice_codeunits(f, 0, 1), lname),
            _join(f, "_", lname),
            _join(lname, ".", f),
        ],
        _index(u_style, 5),
    )
    number = pc.cast(pa.array(ids), pa.string())
    pick = _index(u_domain, len(pools.domain))
    domain = pools.domain.take(pick)
    email = _join(user, number, "@", domain)

    which = np.zeros(len(ids), dtype=np.int64)
    hit, w = _hits(u_kind, dirt.invalid_email)
    which[hit] = 1 + _index(w, 5)
    hit, w = _hits(u_kind, dirt.messy_email, skip=dirt.invalid_email)
    which[hit] = 6 + _index(w, 4)
    dirty = np.flatnonzero(which)
    if not len(dirty):
        return email
    # Only the dirty rows get spelled the other ways.
    user, number = user.take(dirty), number.take(dirty)
    domain, root = domain.take(dirty), pools.domain_root.take(pick[dirty])
    valid = email.take(dirty)
    spellings = [
        _join(user, number, domain),  # no @
        _join(user, number, "@"),  # no domain
        _join(user, " ", number, "@", domain),
        _join(user, number, "@@", domain),
        _join(user, number, "@", root),  # no TLD
        pc.utf8_upper(valid),  # from here on valid, only cased or padded
        _join(pc.utf8_title(user), number, "@", domain),
        _join(" ", valid, " "),
        _join(user, number, "@", pc.utf8_upper(domain)),
    ]
    return _patch(email, dirty, _choose(spellings, which[dirty] - 1))


def _products(
    catalog: _Catalog, dirt: DirtRates, seed: int, lo: int, hi: int
) -> tuple[pa.Table, np.ndarray]:
    # The whole catalog every day; only the name noise is drawn per day.
    n, days = len(catalog.price_cents), hi - lo + 1
    u = _draws(seed, _PRODUCTS, lo, np.full(days, n), 2)
    index = np.tile(np.arange(n), days)
    variant = _name_variant(u[:, 0], u[:, 1], dirt)
    table = pa.Table.from_arrays(
        [
            pa.array(index + 1),
            catalog.name_variants.take(variant * n + index),
            catalog.category.take(index),
            pa.array(catalog.price_cents[index] / 100),
            pa.array(catalog.cost_cents[index] / 100),
        ],
        schema=SCHEMAS["products"],
    )
    return table, np.arange(days + 1) * n


def _order_items(
    world: _World, catalog: _Catalog, dirt: DirtRates, seed: int, lo: int, hi: int
) -> tuple[tuple[pa.Table, np.ndarray], np.ndarray]:
    """The items of the days' orders, and each order's total in cents (before dirt)."""
    j0, j1 = lo - world.origin, hi - world.origin + 1
    order_lo, order_hi = world.orders_before[j0], world.orders_before[j1]
    per_order = world.items_per_order[order_lo:order_hi].astype(np.int64)
    counts = np.diff(world.items_before[j0 : j1 + 1])
    first_id = world.items_before[j0] + 1
    ids = np.arange(first_id, first_id + counts.sum(), dtype=np.int64)
    day = np.repeat(np.arange(lo, hi + 1), counts)
    u = _draws(seed, _ITEMS, lo, counts, 8)

    product = 1 + _index(u[:, 0], len(catalog.price_cents))
    cents = catalog.price_cents[product - 1]
    quantity = 1 + _weighted(u[:, 1], _QUANTITY_CUM)
    discount = np.asarray(DISCOUNTS)[_weighted(u[:, 2], _DISCOUNT_CUM)]
    # Integer hundredths of a cent: totals are exact and round half-up to cents.
    line = quantity * cents * (100 - discount)
    starts = np.cumsum(per_order) - per_order
    sums = np.add.reduceat(line, starts) if len(starts) else line[:0]
    totals = (sums + 50) // 100

    hit, w = _hits(u[:, 3], dirt.orphan_product)
    product[hit] = ORPHAN_ID_BASE + _index(w, 1_000_000)
    hit, _ = _hits(u[:, 4], dirt.negative_price)
    cents[hit] = -cents[hit]
    hit, w = _hits(u[:, 5], dirt.bad_quantity)
    quantity[hit] = np.asarray(_BAD_QUANTITIES)[_index(w, len(_BAD_QUANTITIES))]
    hit, w = _hits(u[:, 6], dirt.bad_discount)
    discount[hit] = np.asarray(_BAD_DISCOUNTS)[_index(w, len(_BAD_DISCOUNTS))]

    rows = _with_duplicates(u[:, 7], dirt.duplicate_item)
    order_id = np.repeat(np.arange(order_lo + 1, order_hi + 1), per_order)
    table = pa.Table.from_arrays(
        [
            pa.array(ids[rows]),
            pa.array(order_id[rows]),
            pa.array(product[rows]),
            pa.array(quantity[rows]),
            pa.array(cents[rows] / 100),
            pa.array(discount[rows]),
        ],
        schema=SCHEMAS["order_items"],
    )
    return (table, _day_bounds(day[rows], lo, hi)), totals


def _orders(
    world: _World,
    dirt: DirtRates,
    seed: int,
    lo: int,
    hi: int,
    total_cents: np.ndarray,
) -> tuple[pa.Table, np.ndarray]:
    j0, j1 = lo - world.origin, hi - world.origin + 1
    counts = np.diff(world.orders_before[j0 : j1 + 1])
    first_id = world.orders_before[j0] + 1
    ids = np.arange(first_id, first_id + counts.sum(), dtype=np.int64)
    day = np.repeat(np.arange(lo, hi + 1), counts)
    u = _draws(seed, _ORDERS, lo, counts, 7)

    # A late order belongs to the day before, which must be an order day too (j >= 2).
    order_date = day.copy()
    hit, _ = _hits(u[:, 1], dirt.late_order)
    order_date[hit[day[hit] - world.origin >= 2]] -= 1
    # The customer signed up before the order date: ids up to customers_before[date].
    signed_up = world.customers_before[order_date - world.origin]
    customer = 1 + np.floor(u[:, 0] * signed_up).astype(np.int64)
    hit, w = _hits(u[:, 2], dirt.orphan_customer)
    customer[hit] = ORPHAN_ID_BASE + _index(w, 1_000_000)

    base = _weighted(u[:, 3], _STATUS_CUM)
    status = base.copy()
    hit, w = _hits(u[:, 4], dirt.miscased_status)
    status[hit] = len(STATUSES) + base[hit] * 5 + _index(w, 5)
    hit, w = _hits(u[:, 4], dirt.unknown_status, skip=dirt.miscased_status)
    status[hit] = len(STATUSES) * 6 + _index(w, len(_UNKNOWN_STATUSES))
    total = total_cents / 100
    hit, _ = _hits(u[:, 5], dirt.negative_total)
    total[hit] = -total[hit]

    rows = _with_duplicates(u[:, 6], dirt.duplicate_order)
    table = pa.Table.from_arrays(
        [
            pa.array(ids[rows]),
            pa.array(customer[rows]),
            _dates(order_date[rows]),
            _status_pool().take(status[rows]),
            pa.array(total[rows]),
        ],
        schema=SCHEMAS["orders"],
    )
    return table, _day_bounds(day[rows], lo, hi)


@functools.cache
def _status_pool() -> pa.Array:
    """The four statuses, five dirty spellings of each, then the unknown ones."""
    spellings = [
        spell(s)
        for s in STATUSES
        for spell in (
            str.title,
            str.upper,
            lambda s: f" {s}",
            lambda s: f"{s} ",
            lambda s: f" {s.title()}",
        )
    ]
    return pa.array([*STATUSES, *spellings, *_UNKNOWN_STATUSES])


# --- small vector helpers -----------------------------------------------------------


def _index(u: np.ndarray, size: int | np.ndarray) -> np.ndarray:
    """Uniform draws in [0, 1) as indexes 0..size-1."""
    return np.minimum(np.floor(u * size), np.asarray(size) - 1).astype(np.int64)


_LUT_BINS: Final = 1000


@functools.cache
def _lut(cum: tuple[float, ...]) -> np.ndarray:
    mid = (np.arange(_LUT_BINS) + 0.5) / _LUT_BINS
    return np.searchsorted(np.asarray(cum), mid, "right")


def _weighted(u: np.ndarray, cum: tuple[float, ...]) -> np.ndarray:
    """Category per draw for cumulative weights in steps of 0.001 (a table, no search)."""
    return _lut(cum)[_index(u, _LUT_BINS)]


def _hits(
    u: np.ndarray, rate: float, skip: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose draw is in [skip, skip + rate), and that draw rescaled to [0, 1).

    The rescaled draw is uniform again, so it picks the kind of dirt (or an orphan
    id) without another draw; `skip` lets exclusive kinds share one column.
    """
    if rate <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    mask = u < skip + rate
    if skip > 0:
        mask &= u >= skip
    hit = np.flatnonzero(mask)
    return hit, np.clip((u[hit] - skip) / rate, 0.0, 1.0)


def _with_duplicates(u: np.ndarray, rate: float) -> np.ndarray:
    """Row positions with the duplicated rows repeated right after themselves."""
    return np.repeat(np.arange(len(u)), 1 + (u < rate))


def _choose(options: Sequence[pa.Array], which: np.ndarray) -> pa.Array:
    """Row i of options[which[i]], for equally long arrays."""
    n = len(which)
    return pa.concat_arrays(options).take(which * n + np.arange(n))


def _patch(values: pa.Array, rows: np.ndarray, new: pa.Array) -> pa.Array:
    """`values` with values[rows[k]] replaced by new[k]."""
    if not len(rows):
        return values
    n = len(values)
    position = np.arange(n)
    position[rows] = n + np.arange(len(rows))
    return pa.concat_arrays([values, new]).take(position)


@functools.cache
def _lit(text: str) -> pa.Scalar:
    # pyarrow converts a Python str argument on a path that retries a failing
    # `import dateutil` every time (~80 us); a prebuilt scalar skips that.
    return pa.scalar(text, pa.string())


@functools.cache
def _strings(values: tuple[str, ...]) -> pa.Array:
    return pa.array(values, pa.string())


def _join(*parts: pa.Array | str) -> pa.Array:
    """Row-wise concatenation; a str part is the same text on every row."""
    args = [_lit(part) if isinstance(part, str) else part for part in parts]
    return pc.binary_join_element_wise(*args, _lit(""))


def _nulls(values: pa.Array, rows: np.ndarray) -> pa.Array:
    return _patch(values, rows, pa.nulls(len(rows), values.type))


def _name_variant(u_case: np.ndarray, u_pad: np.ndarray, dirt: DirtRates) -> np.ndarray:
    """Which of the 15 spellings of _name_variants each row gets (0 = as is)."""
    variant = np.zeros(len(u_case), dtype=np.int64)
    variant[_hits(u_case, dirt.lower_name)[0]] = 5
    variant[_hits(u_case, dirt.upper_name, skip=dirt.lower_name)[0]] = 10
    hit, w = _hits(u_pad, dirt.padded_name)
    variant[hit] += 1 + _index(w, 4)
    return variant


def _name_variants(names: pa.Array) -> list[pa.Array]:
    """Casing (as is, lower, UPPER) x spacing (as is, ' x', 'x ', ' x ', double)."""
    return [
        spaced
        for cased in (names, pc.utf8_lower(names), pc.utf8_upper(names))
        for spaced in (
            cased,
            _join(" ", cased),
            _join(cased, " "),
            _join(" ", cased, " "),
            pc.replace_substring(cased, " ", "  ", max_replacements=1),
        )
    ]


def _noisy_names(names: pa.Array, variant: np.ndarray) -> pa.Array:
    dirty = np.flatnonzero(variant)
    if not len(dirty):
        return names
    spellings = _name_variants(names.take(dirty))
    return _patch(names, dirty, _choose(spellings, variant[dirty]))


_EPOCH: Final = dt.date(1970, 1, 1).toordinal()


def _dates(ordinals: np.ndarray) -> pa.Array:
    return pa.array((ordinals - _EPOCH).astype(np.int32), type=pa.date32())


def _day_bounds(day: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Row offsets of each day lo..hi (plus the end) in rows sorted by day."""
    return np.searchsorted(day, np.arange(lo, hi + 2))


# --- files --------------------------------------------------------------------------


def _write_days(
    out_dir: Path,
    chunk: dict[str, tuple[pa.Table, np.ndarray]],
    lo: int,
    first: int,
    last: int,
) -> int:
    """Write days first..last of a chunk that starts at lo; return files left alone."""
    unchanged = 0
    for ordinal in range(first, last + 1):
        folder = dt.date.fromordinal(ordinal).isoformat()
        k = ordinal - lo
        for table, (frame, bounds) in chunk.items():
            part = frame.slice(bounds[k], bounds[k + 1] - bounds[k])
            unchanged += _write_file(out_dir / table / folder, _encode(part))
    return unchanged


def _encode(table: pa.Table) -> pa.Buffer:
    # Encoding in memory is faster than letting pyarrow open the file, and lets an
    # identical existing file stay untouched.
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **_PARQUET_OPTIONS)
    return sink.getvalue()


def _write_file(folder: Path, data: pa.Buffer) -> bool:
    """Atomically replace folder/data.parquet by `data`; True if it already was that."""
    path = folder / "data.parquet"
    try:
        try:
            os.mkdir(folder)  # noqa: PTH102 - one syscall on the hot path
        except FileExistsError:
            # Leave an identical file alone: cheaper than rewriting, and its mtime
            # still says when the data last changed.
            if path.stat().st_size == data.size and data.equals(
                pa.py_buffer(path.read_bytes())
            ):
                return True
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _write_error(path, exc) from exc
    # A dot name in the same folder: readers skip it, and the rename is atomic.
    temp = folder / f".data.parquet.{os.getpid()}.tmp"
    try:
        # os-level calls: Python's open() adds an isatty ioctl, fstat and lseek.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        temp.replace(path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise _write_error(path, exc) from exc
    return False


def _make_dir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _write_error(folder, exc) from exc


def _write_error(path: Path, exc: OSError) -> SourceError:
    msg = f"{path}: cannot write ({exc.strerror or exc}); check that the output folder is writable"
    return SourceError(msg, path=str(path))
