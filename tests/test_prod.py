from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal, localcontext

import duckdb
import polars as pl
import pytest

import queries
from engine import contracts
from engine.errors import QueryError
from engine.prod import build_prod, build_prod_sql
from queries._revenue import completed_lines

D = Decimal
AS_OF = dt.date(2024, 4, 30)
CENT = D("0.01")
MAR1, MAR2, MAR31, APR15 = (
    dt.date(2024, 3, 1),
    dt.date(2024, 3, 2),
    dt.date(2024, 3, 31),
    dt.date(2024, 4, 15),
)

CUSTOMERS = [  # customer_id, name, segment
    (1, "Ann", "retail"),
    (2, "Bob", "corporate"),
    (3, "Cy", "retail"),  # never ordered
    (4, "Dee", "vip"),  # only a cancelled order and a completed order without items
    (5, "Eve", "retail"),  # two orders of 0.025: avg 0.025 -> 0.03 (half-up)
]
PRODUCTS = [  # product_id, name, category, price
    (10, "Pen", "office", D("0.05")),
    (11, "Lamp", "furniture", D("33.33")),
    (12, "Desk", "furniture", D("12345678.91")),
    (13, "Clip", "office", D("0.01")),
]
ORDERS = [  # order_id, customer_id, order_date, status
    (100, 1, MAR1, "completed"),
    (101, 1, MAR1, "completed"),
    (102, 2, MAR1, "completed"),
    (103, 4, MAR1, "completed"),  # no items: contributes nothing
    (104, 4, MAR1, "cancelled"),
    (105, 2, MAR2, "pending"),
    (106, 2, MAR31, "completed"),
    (107, 1, APR15, "completed"),
    (108, 2, APR15, "returned"),
    (109, 5, MAR31, "completed"),
    (110, 5, MAR31, "completed"),
]
ITEMS = [  # order_item_id, order_id, product_id, quantity, unit_price, discount_percent
    (1000, 100, 10, 1, D("0.05"), D("10.00")),  # 0.045
    (1001, 101, 10, 1, D("0.05"), D("50.00")),  # 0.025
    (1002, 101, 11, 3, D("33.33"), D("12.50")),  # 87.49125
    (1003, 102, 10, 1, D("0.05"), D("50.00")),  # 0.025
    (1004, 102, 13, 7, D("0.01"), D("0.00")),  # 0.07
    (1005, 104, 12, 1, D("12345678.91"), D("0.00")),  # cancelled
    (1006, 105, 11, 2, D("33.33"), D("5.00")),  # pending
    (1007, 106, 11, 1, D("33.33"), D("33.33")),  # 22.221111
    (1008, 106, 10, 2, D("0.05"), D("25.00")),  # 0.075
    (1009, 107, 12, 81000, D("12345678.91"), D("33.33")),  # 666,699,994,473.0570
    (1010, 107, 10, 3, D("0.05"), D("12.50")),  # 0.13125
    (1011, 107, 13, 1, D("0.01"), D("32.50")),  # 0.00675
    (1012, 108, 12, 5, D("12345678.91"), D("0.00")),  # returned
    (1013, 109, 10, 1, D("0.05"), D("50.00")),  # 0.025
    (1014, 110, 10, 1, D("0.05"), D("50.00")),  # 0.025
]


def _frame(table: str, rows: list[tuple]) -> pl.DataFrame:
    schema = contracts.polars_schema(f"staging.{table}")
    lineage = ("staging.parquet", dt.date(2024, 4, 30))
    return pl.DataFrame([(*row, *lineage) for row in rows], schema=schema, orient="row")


def _staging(orders: list[tuple] = ORDERS) -> dict[str, pl.LazyFrame]:
    customers = [
        (cid, name, f"{name.lower()}@example.com", "US", dt.date(2024, 1, 1), segment)
        for cid, name, segment in CUSTOMERS
    ]
    products = [
        (pid, name, cat, price, price / 2) for pid, name, cat, price in PRODUCTS
    ]
    order_rows = [
        (oid, cid, day, status, D("0.00")) for oid, cid, day, status in orders
    ]
    order_ids = {row[0] for row in orders}
    items = [item for item in ITEMS if item[1] in order_ids]
    frames = {
        "customers": _frame("customers", customers),
        "products": _frame("products", products),
        "orders": _frame("orders", order_rows),
        "order_items": _frame("order_items", items),
    }
    return {name: frame.lazy() for name, frame in frames.items()}


# --- an independent reference in plain Python Decimal --------------------------------


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _lines() -> list[dict]:
    orders = {
        oid: (cid, day) for oid, cid, day, status in ORDERS if status == "completed"
    }
    products = {pid: (name, cat) for pid, name, cat, _price in PRODUCTS}
    lines = []
    with localcontext() as ctx:
        ctx.prec = 60
        for _iid, oid, pid, qty, price, discount in ITEMS:
            if oid in orders:
                cid, day = orders[oid]
                name, category = products[pid]
                amount = qty * price * (1 - discount / 100)
                lines.append(
                    {
                        "order": oid,
                        "customer": cid,
                        "day": day,
                        "month": day.strftime("%Y-%m"),
                        "product": pid,
                        "name": name,
                        "category": category,
                        "qty": qty,
                        "amount": amount,
                    }
                )
    return lines


def _groups(key: str | tuple[str, ...]) -> dict:
    keys = (key,) if isinstance(key, str) else key
    groups: dict = defaultdict(
        lambda: {
            "orders": set(),
            "items": 0,
            "exact": D(0),
            "customers": set(),
            "products": set(),
            "days": [],
        }
    )
    for line in _lines():
        group = groups[tuple(line[k] for k in keys)]
        group["orders"].add(line["order"])
        group["items"] += line["qty"]
        group["exact"] += line["amount"]  # exact: Decimal context of 60 digits
        group["customers"].add(line["customer"])
        group["products"].add(line["product"])
        group["days"].append(line["day"])
    return dict(sorted(groups.items()))


def _avg(group: dict) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return _round(group["exact"] / len(group["orders"]))


def _expected() -> dict[str, list[tuple]]:
    daily = [
        (
            day,
            len(g["orders"]),
            g["items"],
            _round(g["exact"]),
            len(g["customers"]),
            _avg(g),
        )
        for (day,), g in _groups("day").items()
    ]
    monthly = [
        (
            month,
            int(month[:4]),
            int(month[5:]),
            len(g["orders"]),
            g["items"],
            _round(g["exact"]),
            len(g["customers"]),
            _avg(g),
        )
        for (month,), g in _groups("month").items()
    ]
    category = [
        (
            day,
            cat,
            len(g["orders"]),
            g["items"],
            _round(g["exact"]),
            len(g["customers"]),
            len(g["products"]),
        )
        for (day, cat), g in _groups(("day", "category")).items()
    ]
    product = [
        (
            day,
            pid,
            name,
            cat,
            len(g["orders"]),
            g["items"],
            _round(g["exact"]),
            len(g["customers"]),
        )
        for (day, pid, name, cat), g in _groups(
            ("day", "product", "name", "category")
        ).items()
    ]
    bought = {cid: g for (cid,), g in _groups("customer").items()}
    customer = []
    for cid, name, segment in CUSTOMERS:
        g = bought.get(cid)
        if g is None:
            customer.append(
                (cid, name, segment, None, None, 0, 0, D("0.00"), None, None, None)
            )
            continue
        first, last = min(g["days"]), max(g["days"])
        customer.append(
            (
                cid,
                name,
                segment,
                first,
                last,
                len(g["orders"]),
                g["items"],
                _round(g["exact"]),
                _avg(g),
                (AS_OF - first).days,
                (AS_OF - last).days,
            )
        )
    return {
        "daily_sales": daily,
        "monthly_sales": monthly,
        "daily_category_metrics": category,
        "daily_product_metrics": product,
        "customer_metrics": customer,
    }


# --- tests ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prod() -> dict[str, pl.DataFrame]:
    return build_prod(_staging(), as_of=AS_OF)


def test_builds_every_prod_table_with_its_contract_schema(prod):
    assert sorted(prod) == contracts.tables("prod")
    for name, frame in prod.items():
        assert frame.schema == contracts.polars_schema(f"prod.{name}"), name


@pytest.mark.parametrize("name", sorted(_expected()))
def test_matches_the_decimal_reference(prod, name):
    assert prod[name].rows() == _expected()[name]


def test_half_cent_ties_round_up_once_per_group(prod):
    pen = prod["daily_product_metrics"].filter(
        pl.col("order_date") == MAR1, pl.col("product_id") == 10
    )
    # 0.045 + 0.025 + 0.025 = 0.095: one rounding at the end gives 0.10 (floats: 0.09)
    assert pen["total_revenue"].to_list() == [D("0.10")]
    office = prod["daily_category_metrics"].filter(
        pl.col("order_date") == MAR1, pl.col("category") == "office"
    )
    assert office["total_revenue"].to_list() == [D("0.17")]  # 0.095 + 0.07 = 0.165
    customers = prod["customer_metrics"].rows_by_key("customer_id", named=True)
    # Bob: 0.025 + 0.07 + 22.221111 + 0.075 = 22.391111; per-line rounding would say 22.40
    assert customers[2][0]["total_revenue"] == D("22.39")
    # Eve: two orders of 0.025 each: 0.05 in total, average 0.025 -> 0.03 (not banker's 0.02)
    assert customers[5][0]["total_revenue"] == D("0.05")
    assert customers[5][0]["avg_order_value"] == D("0.03")


def test_many_digit_sums_stay_exact(prod):
    april = prod["monthly_sales"].filter(pl.col("year_month") == "2024-04").row(0)
    # 666699994473.057 + 0.13125 + 0.00675 = 666699994473.195 exactly: a tie 15 digits
    # in, where a float sum is already off (...473.1951)
    assert april[5] == D("666699994473.20")
    assert april[7] == D("666699994473.20")


def test_counts_only_completed_orders_with_items(prod):
    daily = prod["daily_sales"].rows_by_key("order_date", named=True, unique=True)
    assert sorted(daily) == [MAR1, MAR31, APR15]  # MAR2 only had a pending order
    assert (
        daily[MAR1]["total_orders"] == 3
    )  # 103 (no items) and 104 (cancelled) excluded
    assert daily[MAR1]["total_customers"] == 2
    assert daily[MAR1]["total_items"] == 13


def test_customers_without_revenue_get_zeros_and_nulls(prod):
    rows = prod["customer_metrics"].filter(pl.col("customer_id").is_in([3, 4]))
    assert (
        rows.drop("customer_id", "customer_name", "customer_segment").rows()
        == [(None, None, 0, 0, D("0.00"), None, None, None)] * 2
    )


def test_revenue_totals_agree_across_tables(prod):
    lines = _lines()
    exact = sum((line["amount"] for line in lines), D(0))
    staging = _staging()
    micros = (
        completed_lines(staging["orders"], staging["order_items"])
        .select(pl.col("amount_micros").sum())
        .collect()
        .item()
    )
    assert D(micros) / 1_000_000 == exact  # the shared base of all five tables
    revenue = {name: prod[name] for name in _expected()}  # the five revenue tables
    for name, frame in revenue.items():
        total = sum(frame["total_revenue"].to_list(), D(0))
        # each group is rounded once, so a table's total may drift by half a cent a group
        assert abs(total - exact) <= frame.height * D("0.005"), name
    totals = {
        name: sum(frame["total_revenue"].to_list(), D(0))
        for name, frame in revenue.items()
    }
    expected = {
        name: sum((row[_revenue_index(name)] for row in rows), D(0))
        for name, rows in _expected().items()
    }
    assert totals == expected


def _revenue_index(name: str) -> int:
    return list(contracts.polars_schema(f"prod.{name}")).index("total_revenue")


def test_no_completed_orders_gives_empty_aggregates_and_zero_customers():
    only_open = [order for order in ORDERS if order[3] != "completed"]
    prod = build_prod(_staging(orders=only_open), as_of=AS_OF)
    for name, frame in prod.items():
        assert frame.schema == contracts.polars_schema(f"prod.{name}"), name
    for name in _expected():  # the five revenue tables count completed orders only
        if name != "customer_metrics":
            assert prod[name].is_empty(), name
    customers = prod["customer_metrics"]
    assert customers["customer_id"].to_list() == [1, 2, 3, 4, 5]
    assert customers["total_revenue"].to_list() == [D("0.00")] * 5
    assert customers["avg_order_value"].null_count() == 5


def test_days_since_count_from_as_of(prod):
    ann = prod["customer_metrics"].row(0, named=True)
    assert (ann["first_order_date"], ann["last_order_date"]) == (MAR1, APR15)
    assert (ann["days_since_first_order"], ann["days_since_last_order"]) == (60, 15)


def test_missing_staging_input_is_a_query_error():
    staging = _staging()
    del staging["products"]
    with pytest.raises(QueryError, match="needs staging table 'products'"):
        build_prod(staging, as_of=AS_OF)


def test_sql_variant_without_staging_tables_is_a_query_error():
    con = duckdb.connect()
    try:
        with pytest.raises(QueryError, match=r"\.sql failed: .*check that staging"):
            build_prod_sql(con, as_of=AS_OF)
    finally:
        con.close()


# --- discovery -----------------------------------------------------------------------


def test_discovers_one_query_per_prod_table_with_a_docstring():
    found = queries.discover()
    assert [query.name for query in found] == contracts.tables("prod")
    for query in found:
        assert query.sql_path.is_file()
        assert query.table == f"prod.{query.name}"
        assert set(query.inputs) <= set(contracts.tables("staging"))
        module = __import__(f"queries.{query.name}", fromlist=["build"])
        assert module.__doc__, query.name


def test_customer_metrics_takes_as_of_by_name():
    query = {q.name: q for q in queries.discover()}["customer_metrics"]
    assert query.inputs == ("customers", "orders", "order_items")
    assert query.params == ("as_of",)


def test_find_pairs_pairs_by_stem_and_skips_helpers(tmp_path):
    for name in ("b.py", "b.sql", "a.py", "a.sql", "_helper.py", "__init__.py"):
        (tmp_path / name).write_text("")
    assert queries.find_pairs(tmp_path) == [
        ("a", tmp_path / "a.py", tmp_path / "a.sql"),
        ("b", tmp_path / "b.py", tmp_path / "b.sql"),
    ]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["daily_sales.py"], r"daily_sales\.py: no daily_sales\.sql next to it"),
        (["daily_sales.sql"], r"daily_sales\.sql: no daily_sales\.py next to it"),
    ],
)
def test_find_pairs_rejects_a_file_without_its_twin(tmp_path, files, message):
    (tmp_path / "ok.py").write_text("")
    (tmp_path / "ok.sql").write_text("")
    for name in files:
        (tmp_path / name).write_text("")
    with pytest.raises(QueryError, match=message):
        queries.find_pairs(tmp_path)
