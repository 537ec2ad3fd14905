"""An independent, row-by-row reimplementation of the staging rules and prod figures.

Plain Python over the Parquet rows (no Polars, no DuckDB, no engine code), following
docs/staging-rules.md and the prod definitions in the README, so the end-to-end test
compares the engine with a second implementation rather than with itself.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import pyarrow.parquet as pq

if TYPE_CHECKING:
    from pathlib import Path

KEYS = {
    "customers": "customer_id",
    "products": "product_id",
    "orders": "order_id",
    "order_items": "order_item_id",
}
EMAIL = re.compile(r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$")
STATUSES = {"completed", "pending", "cancelled", "returned"}
CENT = Decimal("0.01")
FIRST_DAY = dt.date(2000, 1, 1)


@dataclass
class Entity:
    clean: dict[int, dict] = field(default_factory=dict)
    rejects: Counter = field(default_factory=Counter)
    duplicates: int = 0
    raw_rows: int = 0
    raw_keys: set = field(default_factory=set)


def read_raw(data_dir: Path) -> dict[str, list[dict]]:
    """Every row of every table, in (partition date, file, row) order."""
    tables = {}
    for table in KEYS:
        rows = []
        for path in (data_dir / table).glob("*/*.parquet"):
            day = dt.date.fromisoformat(path.parent.name.removeprefix("date="))
            rel = path.relative_to(data_dir).as_posix()
            for i, row in enumerate(pq.read_table(path).to_pylist()):
                rows.append((day, rel, i, row))
        rows.sort(key=lambda r: r[:3])
        tables[table] = [dict(r[3], _day=r[0]) for r in rows]
    return tables


def squish(text):
    if text is None:
        return None
    return " ".join(text.split()) or None


def title(text):
    out, prev = [], None
    for ch in text.lower():
        out.append(ch.upper() if prev is None or prev in " -'" else ch)
        prev = ch
    return "".join(out)


def standard_name(text):
    text = squish(text)
    if text is None:
        return None
    single = not any(c.isupper() for c in text) or not any(c.islower() for c in text)
    return title(text) if single else text


def money(value):
    if value is None or math.isnan(value):
        return None
    scaled = value * 100
    cents = math.floor(abs(scaled) + 0.5) * (1 if scaled >= 0 else -1)
    return Decimal(cents) / 100


def missing(value):
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def outside_window(day, row):
    """Before 2000-01-01, or more than one day after the row's partition date."""
    return not FIRST_DAY <= day <= row["_day"] + dt.timedelta(days=1)


def source(row):
    return tuple((k, v) for k, v in row.items() if k != "_day")


def _steps(rows, entity: Entity, key: str, checks, *, superseded=False):
    """Apply null-key, duplicate, value and uniqueness steps; return surviving rows in order."""
    entity.raw_rows = len(rows)
    entity.raw_keys = {r[key] for r in rows if r[key] is not None}
    latest = {}
    if superseded:
        for r in rows:
            if r[key] is not None:
                latest[r[key]] = max(latest.get(r[key], r["_day"]), r["_day"])
    seen, alive = set(), []
    for r in rows:
        if r[key] is None:
            entity.rejects[f"null_{key}"] += 1
            continue
        if superseded and r["_day"] < latest[r[key]]:
            entity.duplicates += 1
            continue
        if source(r) in seen:
            entity.duplicates += 1
            continue
        seen.add(source(r))
        reason = next((code for code, failed in checks if failed(r)), None)
        if reason:
            entity.rejects[reason] += 1
            continue
        alive.append(r)
    winners = {}
    for r in alive:
        if r[key] in winners:
            entity.rejects["duplicate_key_conflict"] += 1
        else:
            winners[r[key]] = r
    return list(winners.values())


def stage(raw: dict[str, list[dict]]) -> dict[str, Entity]:
    out = {name: Entity() for name in KEYS}

    c = out["customers"]
    rows = _steps(
        raw["customers"],
        c,
        "customer_id",
        [
            ("null_customer_name", lambda r: squish(r["customer_name"]) is None),
            ("null_email", lambda r: missing(r["email"])),
            ("null_signup_date", lambda r: r["signup_date"] is None),
            ("invalid_email", lambda r: not EMAIL.match(r["email"].strip().lower())),
            ("signup_date_out_of_range", lambda r: outside_window(r["signup_date"], r)),
        ],
    )
    emails = set()
    for r in rows:
        email = r["email"].strip().lower()
        if email in emails:
            c.rejects["duplicate_email"] += 1
            continue
        emails.add(email)
        c.clean[r["customer_id"]] = {
            "customer_name": standard_name(r["customer_name"]),
            "segment": squish(r["customer_segment"]) or "Standard",
        }

    p = out["products"]
    for r in _steps(
        raw["products"],
        p,
        "product_id",
        [
            ("null_product_name", lambda r: squish(r["product_name"]) is None),
            ("null_category", lambda r: missing(r["category"])),
            ("null_price", lambda r: money(r["price"]) is None),
            ("null_cost", lambda r: money(r["cost"]) is None),
            ("negative_price", lambda r: r["price"] < 0),
            ("negative_cost", lambda r: r["cost"] < 0),
        ],
        superseded=True,
    ):
        p.clean[r["product_id"]] = {
            "name": standard_name(r["product_name"]),
            "category": r["category"].strip(),
        }

    o = out["orders"]
    for r in _steps(
        raw["orders"],
        o,
        "order_id",
        [
            ("null_customer_id", lambda r: r["customer_id"] is None),
            ("null_order_date", lambda r: r["order_date"] is None),
            ("null_order_status", lambda r: missing(r["order_status"])),
            ("null_total_amount", lambda r: money(r["total_amount"]) is None),
            ("order_date_out_of_range", lambda r: outside_window(r["order_date"], r)),
            (
                "unknown_status",
                lambda r: r["order_status"].strip().lower() not in STATUSES,
            ),
            ("negative_total_amount", lambda r: r["total_amount"] < 0),
        ],
    ):
        if r["customer_id"] not in c.clean:
            o.rejects[
                "customer_rejected"
                if r["customer_id"] in c.raw_keys
                else "customer_unknown"
            ] += 1
            continue
        o.clean[r["order_id"]] = {
            "customer_id": r["customer_id"],
            "order_date": r["order_date"],
            "status": r["order_status"].strip().lower(),
        }

    i = out["order_items"]
    for r in _steps(
        raw["order_items"],
        i,
        "order_item_id",
        [
            ("null_order_id", lambda r: r["order_id"] is None),
            ("null_product_id", lambda r: r["product_id"] is None),
            ("null_quantity", lambda r: r["quantity"] is None),
            ("null_unit_price", lambda r: money(r["unit_price"]) is None),
            ("non_positive_quantity", lambda r: r["quantity"] <= 0),
            ("negative_unit_price", lambda r: r["unit_price"] < 0),
            (
                "discount_out_of_range",
                lambda r: not 0 <= (r["discount_percent"] or 0) <= 100,
            ),
        ],
    ):
        if r["order_id"] not in o.clean:
            i.rejects[
                "order_rejected" if r["order_id"] in o.raw_keys else "order_unknown"
            ] += 1
            continue
        if r["product_id"] not in p.clean:
            i.rejects[
                "product_rejected"
                if r["product_id"] in p.raw_keys
                else "product_unknown"
            ] += 1
            continue
        i.clean[r["order_item_id"]] = {
            "order_id": r["order_id"],
            "product_id": r["product_id"],
            "quantity": r["quantity"],
            "line": r["quantity"]
            * money(r["unit_price"])
            * (100 - Decimal(r["discount_percent"] or 0))
            / 100,
        }
    return out


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def daily_sales(staged: dict[str, Entity]) -> list[tuple]:
    """prod.daily_sales rows: completed orders with their items, exact sums rounded once."""
    return [(day, *figures) for day, figures in _sales(staged, lambda d: d)]


def monthly_sales(staged: dict[str, Entity]) -> list[tuple]:
    """prod.monthly_sales rows: the same figures per calendar month of the order date."""
    return [
        (f"{year:04d}-{month:02d}", year, month, *figures)
        for (year, month), figures in _sales(staged, lambda d: (d.year, d.month))
    ]


def _sales(staged: dict[str, Entity], period) -> list[tuple]:
    """(period, orders, items, revenue, customers, average order) per period(order_date)."""
    orders = staged["orders"].clean
    periods = defaultdict(
        lambda: {"orders": set(), "items": 0, "revenue": Decimal(0), "customers": set()}
    )
    for item in staged["order_items"].clean.values():
        order = orders[item["order_id"]]
        if order["status"] != "completed":
            continue
        figures = periods[period(order["order_date"])]
        figures["orders"].add(item["order_id"])
        figures["items"] += item["quantity"]
        figures["revenue"] += item["line"]
        figures["customers"].add(order["customer_id"])
    return [
        (
            key,
            (
                len(v["orders"]),
                v["items"],
                half_up(v["revenue"]),
                len(v["customers"]),
                half_up(v["revenue"] / len(v["orders"])),
            ),
        )
        for key, v in sorted(periods.items())
    ]


def exact_revenue(staged: dict[str, Entity]) -> Decimal:
    orders = staged["orders"].clean
    return sum(
        (
            i["line"]
            for i in staged["order_items"].clean.values()
            if orders[i["order_id"]]["status"] == "completed"
        ),
        Decimal(0),
    )
