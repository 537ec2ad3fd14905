from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from engine import contracts, polars_build, warehouse
from engine.config import Settings
from engine.errors import ContractError, QueryError
from engine.piece_writer import TableWriter
from engine.pieces import POLARS_SHARE, bucket, month_ranges, piece_count, row_bytes
from engine.pipeline import run_pipeline
from engine.prod import build_prod
from engine.staging import ROW_ORDER, build_staging
from queries import _split, discover
from tests import oracle
from tests.raw_rows import raw_rows

AS_OF = dt.date(2024, 5, 1)
INGESTED = dt.datetime(2024, 5, 1, 6, 0, tzinfo=dt.UTC)
BASE = {
    "customers": {
        "customer_id": 1,
        "customer_name": "Ada Lovelace",
        "email": "ada@example.com",
        "country": "UK",
        "signup_date": dt.date(2024, 1, 1),
        "customer_segment": "Premium",
    },
    "products": {
        "product_id": 10,
        "product_name": "Desk Lamp",
        "category": "Home",
        "price": 19.99,
        "cost": 7.5,
    },
    "orders": {
        "order_id": 100,
        "customer_id": 1,
        "order_date": dt.date(2024, 1, 5),
        "order_status": "completed",
        "total_amount": 19.99,
    },
    "order_items": {
        "order_item_id": 1000,
        "order_id": 100,
        "product_id": 10,
        "quantity": 1,
        "unit_price": 19.99,
        "discount_percent": 10,
    },
}
DAYS = ["2024-01-10", "2024-02-10", "2024-03-10", "2024-04-10"]


# --- planning ------------------------------------------------------------------------


def test_one_piece_when_the_data_fits_and_more_as_it_grows():
    assert piece_count(10**6, memory_limit=3 * 2**30, copies=6) == 1
    assert piece_count(10**10, memory_limit=3 * 2**30, copies=6) > 1
    small = piece_count(10**9, memory_limit=2**30, copies=6)
    halved = piece_count(10**9, memory_limit=2**29, copies=6)
    assert 2 * small - 1 <= halved <= 2 * small  # each count is rounded up


def test_row_bytes_come_from_the_contract():
    # order_items: six values of 8 or 16 bytes, one text, one date
    assert row_bytes("staging.order_items") == 4 * 8 + 2 * 16 + 32 + 4


def test_buckets_hold_every_row_exactly_once_null_keys_included():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS k FROM range(1000)")
    con.execute("INSERT INTO t VALUES (NULL), (NULL)")
    seen = Counter()
    null_buckets = set()
    for b in range(7):
        rows = con.sql(f"SELECT k FROM t WHERE {bucket('k', 7)}", params={"bucket": b})
        keys = [k for (k,) in rows.fetchall()]
        seen.update(keys)
        if None in keys:
            null_buckets.add(b)
    assert seen == Counter([*range(1000), None, None])
    assert len(null_buckets) == 1


def test_month_ranges_are_whole_months():
    months = [(dt.date(2024, m, 1), 100) for m in range(1, 13)]
    assert month_ranges(months, memory_limit=2**40, copies=1) == [
        (dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    ]
    ranges = month_ranges(months, memory_limit=2**40, copies=1, pieces=5)
    assert len(ranges) == 5
    assert ranges[0][0] == dt.date(2024, 1, 1)
    assert ranges[-1][1] == dt.date(2025, 1, 1)
    assert all(a[1] == b[0] and a[1].day == 1 for a, b in itertools.pairwise(ranges))
    # a piece's share of 210 bytes fits two months of 100 bytes at a time
    tight = month_ranges(months[:5], memory_limit=round(210 / POLARS_SHARE), copies=1)
    assert tight == [
        (dt.date(2024, 1, 1), dt.date(2024, 3, 1)),
        (dt.date(2024, 3, 1), dt.date(2024, 5, 1)),
        (dt.date(2024, 5, 1), dt.date(2024, 6, 1)),
    ]
    assert month_ranges([], memory_limit=1000, copies=1) == []


def test_every_prod_query_declares_how_it_splits():
    declared = {q.name: q.split for q in discover()}
    expected = {
        "customer_metrics": "customer",
        "daily_category_metrics": "order_month",
        "daily_product_metrics": "order_month",
        "daily_sales": "order_month",
        "monthly_sales": "order_month",
    }
    assert {name: declared.get(name) for name in expected} == expected


@pytest.mark.parametrize(
    ("split", "inputs", "message"),
    [
        ("by_weather", ("orders",), "SPLIT = 'by_weather' is not one of"),
        ("customer", ("customers",), "cuts pieces by orders"),
    ],
)
def test_a_wrong_split_is_refused_at_discovery(split, inputs, message):
    module = type("Module", (), {"SPLIT": split})
    with pytest.raises(QueryError, match=message):
        _split("some_metric", module, inputs)


def test_a_query_without_split_runs_whole():
    assert _split("some_metric", object(), ("orders",)) is None


# --- one piece equals many --------------------------------------------------------------


def build(
    con,
    pieces: int | None,
    memory_limit: int = 3 * 2**30,
    handoff: dict | None = None,
):
    """Staging and prod built in `pieces`; every table's sorted rows and the counts."""
    with warehouse.transaction(con):
        counts = polars_build.build_staging_tables(
            con, memory_limit=memory_limit, pieces=pieces, handoff=handoff
        )
        rows = polars_build.build_prod_tables(
            con, as_of=AS_OF, memory_limit=memory_limit, pieces=pieces, handoff=handoff
        )
    tables = [
        f"{layer}.{t}" for layer in ("staging", "prod") for t in contracts.tables(layer)
    ]
    contents = {
        t: con.sql(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables
    }
    return contents, counts, rows


@pytest.fixture(scope="module")
def month_con(generated_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("pieces") / "w.duckdb"
    run_pipeline(Settings(data_dir=generated_dir, warehouse=path), layers=["raw"])
    con = warehouse.open_warehouse(path)
    yield con
    con.close()


@pytest.fixture(scope="module")
def month_one_piece(month_con):
    return build(month_con, 1)


def test_generated_month_is_the_same_in_seven_pieces(month_con, month_one_piece):
    assert build(month_con, 7) == month_one_piece
    # the pieces' Parquet files and their directory are gone
    ((path,),) = month_con.sql(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    assert {p.name for p in Path(path).parent.iterdir()} <= {"w.duckdb", "w.duckdb.wal"}


def test_generated_month_matches_the_oracle_in_seven_pieces(month_con, generated_dir):
    contents, counts, _ = build(month_con, 7)
    expected = oracle.stage(oracle.read_raw(generated_dir))
    for entity, want in expected.items():
        assert counts[entity].clean == len(want.clean), entity
        assert counts[entity].duplicates == want.duplicates, entity
        got = Counter(row[-4] for row in contents[f"staging.{entity}_rejects"])
        assert got == want.rejects, entity
    assert contents["prod.daily_sales"] == oracle.daily_sales(expected)


def test_small_data_under_the_default_budget_is_one_piece(
    month_con, month_one_piece, caplog
):
    with caplog.at_level("INFO", logger="engine.polars_build"):
        got = build(month_con, None)
    assert got == month_one_piece
    for entity in contracts.ENTITIES:
        assert f"staging.{entity} in 1 piece(s)" in caplog.text
    for split in ("customer", "order_month"):
        assert f"prod split {split} in 1 piece(s)" in caplog.text


def test_prod_from_handed_off_staging_equals_prod_read_back(month_con, month_one_piece):
    handoff = {}
    assert build(month_con, None, handoff=handoff) == month_one_piece
    assert set(handoff) == set(contracts.ENTITIES)


def test_no_handoff_when_staging_would_not_fit_one_prod_piece(month_con):
    handoff = {}
    build(month_con, None, memory_limit=2**20, handoff=handoff)
    assert handoff == {}


# --- hand-made edge cases ---------------------------------------------------------------


def edge_rows() -> dict[str, list[dict]]:
    """Keys repeated across files and partitions, null keys, one email across many
    customers, orphans of every kind, daily product snapshots, four months of orders."""
    rng = random.Random(11)
    customers = []
    for cid in range(1, 41):
        day = DAYS[cid % 4]
        customers.append(
            {"customer_id": cid, "email": f"c{cid}@x.org", "_partition_date": day}
        )
    # one address claimed by several ids in several partitions: the earliest row wins
    for cid, day, email in [
        (5, "2024-03-10", "Shared@X.org"),
        (12, "2024-01-10", " shared@x.org "),
        (19, "2024-02-10", "shared@x.org"),
        (26, "2024-01-10", "SHARED@X.ORG"),
    ]:
        customers[cid - 1] |= {"email": email, "_partition_date": day}
    customers += [
        {
            "customer_id": 3,
            "customer_name": "Ada King",
            "_partition_date": "2024-04-10",
        },
        {"customer_id": 3, "email": "c3@x.org", "_partition_date": "2024-04-10"},
        {
            "customer_id": 7,
            "email": "c7@x.org",
            "_partition_date": DAYS[3],
            "_source_file": "customers/2024-04-10/other.parquet",
        },
        {"customer_id": None, "email": "c7@x.org"},
        {"customer_id": None},
        {"customer_id": 41, "email": "not an email"},
        {"customer_id": 42, "email": "c9@x.org", "_partition_date": "2024-04-10"},
    ]
    products = [
        {"product_id": pid, "_partition_date": day, "price": pid + 0.99}
        for day in DAYS[:3]
        for pid in range(10, 20)
    ]
    products += [
        {"product_id": 11, "price": 25.5, "_partition_date": DAYS[3]},
        {"product_id": 13, "price": -1.0, "_partition_date": DAYS[3]},
        {"product_id": 14, "_partition_date": DAYS[3]},
        {"product_id": 14, "product_name": "Other Lamp", "_partition_date": DAYS[3]},
        {"product_id": None, "_partition_date": DAYS[3]},
    ]
    orders, items = [], []
    for oid in range(100, 300):
        month = 1 + oid % 4
        customer = rng.choice([*range(1, 43), 999])
        status = rng.choice(
            ["completed", "completed", "pending", "Completed ", "shipped"]
        )
        order = {
            "order_id": oid,
            "customer_id": customer,
            "order_date": dt.date(2024, month, 1 + oid % 28),
            "order_status": status,
            "total_amount": rng.choice([19.99, 5.0, -3.0]),
            "_partition_date": DAYS[month - 1],
        }
        orders.append(order)
        if oid % 17 == 0:
            orders.append(dict(order))  # exact copy
        if oid % 23 == 0:
            orders.append(
                order | {"order_status": "returned", "_partition_date": DAYS[3]}
            )
    orders += [
        {"order_id": None, "customer_id": 2},
        {"order_id": 400, "customer_id": None},
    ]
    for iid in range(1000, 1800):
        item = {
            "order_item_id": iid,
            "order_id": rng.choice([*range(100, 300), 555]),
            "product_id": rng.choice([*range(10, 20), 77]),
            "quantity": rng.choice([1, 2, 3, 0]),
            "unit_price": rng.choice([19.99, 0.125, 3.33]),
            "discount_percent": rng.choice([0, 5, 15, None, 150]),
            "_partition_date": DAYS[iid % 4],
        }
        items.append(item)
        if iid % 13 == 0:
            items.append(
                item
                | {"_source_file": f"order_items/{item['_partition_date']}/b.parquet"}
            )
        if iid % 19 == 0:
            items.append(item | {"quantity": 5, "_partition_date": DAYS[3]})
    items += [{"order_item_id": None}, {"order_item_id": None, "order_id": 555}]
    return {
        "customers": customers,
        "products": products,
        "orders": orders,
        "order_items": items,
    }


@pytest.fixture(scope="module")
def edge_frames():
    return {
        entity: raw_rows(entity, rows, base=BASE, day=DAYS[0], ingested=INGESTED)
        for entity, rows in edge_rows().items()
    }


@pytest.fixture(scope="module")
def edge_con(edge_frames, tmp_path_factory):
    con = warehouse.open_warehouse(tmp_path_factory.mktemp("edges") / "w.duckdb")
    for entity, frame in edge_frames.items():
        # stored out of row order on purpose: pieces must find the order themselves
        con.register(
            "_rows", frame.sample(fraction=1.0, shuffle=True, seed=3).to_arrow()
        )
        con.execute(f"INSERT INTO raw.{entity} BY NAME SELECT * FROM _rows")
        con.unregister("_rows")
    yield con
    con.close()


@pytest.fixture(scope="module")
def edge_one_piece(edge_con):
    return build(edge_con, 1)


def test_edge_cases_reach_the_cross_piece_rules(edge_one_piece):
    contents, counts, _ = edge_one_piece
    reasons = Counter(
        row[-4] for e in contracts.ENTITIES for row in contents[f"staging.{e}_rejects"]
    )
    for code in [
        "duplicate_email",
        "duplicate_key_conflict",
        "null_customer_id",
        "customer_unknown",
        "customer_rejected",
        "order_unknown",
        "order_rejected",
        "product_unknown",
        "product_rejected",
        "null_order_item_id",
    ]:
        assert reasons[code] > 0, code
    assert reasons["duplicate_email"] == 4
    assert counts["products"].duplicates > 0
    assert len({row[0].month for row in contents["prod.daily_sales"]}) == 4


@pytest.mark.parametrize("pieces", [2, 7])
def test_edge_cases_are_the_same_in_many_pieces(edge_con, edge_one_piece, pieces):
    assert build(edge_con, pieces) == edge_one_piece


def test_edge_cases_match_the_whole_frame_functions_and_the_oracle(
    edge_frames, edge_one_piece
):
    contents, counts, _ = edge_one_piece
    staged = build_staging({e: f.lazy() for e, f in edge_frames.items()})
    for entity, result in staged.items():
        for table, frame in (
            (entity, result.clean),
            (f"{entity}_rejects", result.rejects),
        ):
            assert sorted_rows(frame) == contents[f"staging.{table}"], table
        assert counts[entity] == result.counts()
    prod = build_prod({e: r.clean.lazy() for e, r in staged.items()}, as_of=AS_OF)
    for name, frame in prod.items():
        assert sorted_rows(frame) == contents[f"prod.{name}"], name
    expected = oracle.stage({e: oracle_rows(f) for e, f in edge_frames.items()})
    for entity, want in expected.items():
        assert counts[entity].clean == len(want.clean), entity
        assert counts[entity].duplicates == want.duplicates, entity
        got = Counter(row[-4] for row in contents[f"staging.{entity}_rejects"])
        assert got == want.rejects, entity
    assert contents["prod.daily_sales"] == oracle.daily_sales(expected)


def oracle_rows(frame):
    """Raw rows as tests/oracle.py reads them from files: source values plus the day."""
    ordered = frame.sort(ROW_ORDER)
    source = ordered.drop(contracts.LINEAGE_COLUMNS).to_dicts()
    days = ordered["_partition_date"].to_list()
    return [dict(row, _day=day) for row, day in zip(source, days, strict=True)]


def sorted_rows(frame):
    """Rows in DuckDB's ORDER BY ALL order, as the warehouse tables are read."""
    con = duckdb.connect()
    con.register("frame", frame.to_arrow())
    return con.sql("SELECT * FROM frame ORDER BY ALL").fetchall()


# --- writing pieces ---------------------------------------------------------------------


def category_rows(days: list[dt.date]) -> pl.DataFrame:
    """prod.daily_category_metrics rows, one per day, all in category Books."""
    schema = contracts.polars_schema("prod.daily_category_metrics")
    rows = [
        {name: (1 if dtype.is_integer() else None) for name, dtype in schema.items()}
        | {"order_date": day, "category": "Books", "total_revenue": Decimal("1.00")}
        for day in days
    ]
    return pl.DataFrame(rows, schema=schema)


@pytest.mark.parametrize(
    ("pieces", "keyed", "spilled"),
    [(1, False, False), (2, True, False), (2, False, False), (2, False, True)],
)
def test_a_repeated_key_is_refused_whichever_way_the_pieces_go(
    tmp_path, pieces, keyed, spilled
):
    first, second = dt.date(2025, 1, 1), dt.date(2025, 1, 2)
    chunks = [[first, second], [second]] if pieces == 2 and not keyed else []
    chunks = chunks or ([[second, first, second]] + [[]] * (pieces - 1))
    con = warehouse.open_warehouse(tmp_path / "w.duckdb")
    spill = tmp_path / "spill" if spilled else None
    if spill:
        spill.mkdir()
    message = (
        r"^prod.daily_category_metrics: duplicate primary key \(order_date, "
        r"category\)=\(2025-01-02, Books\); nothing was written"
    )
    with pytest.raises(ContractError, match=message):
        write_pieces(con, chunks, pieces=pieces, spill=spill, keyed=keyed)
    assert warehouse.count_rows(con, "prod.daily_category_metrics") == 0
    con.close()


def write_pieces(con, chunks, *, pieces, spill, keyed):
    with warehouse.transaction(con):
        writer = TableWriter(
            con,
            "prod.daily_category_metrics",
            pieces=pieces,
            spill=spill,
            keyed_pieces=keyed,
        )
        for days in chunks:
            writer.add(category_rows(days))
        writer.finish()
