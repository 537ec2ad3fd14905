from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from engine.cli import cli
from tests.parquet_files import sample_rows, write_partition

BAD_MONEY = [math.nan, math.inf, -math.inf, 1e300]


@pytest.fixture
def non_finite_money_dir(small_dir):
    """small_dir plus completed orders and order lines with NaN, ±inf and huge money."""
    day = dt.date(2025, 1, 3)
    orders = sample_rows("orders", day, n=len(BAD_MONEY) + 1, start=100)
    items = sample_rows("order_items", day, n=len(BAD_MONEY) + 1, start=100)
    for order, item, amount in zip(orders, items, BAD_MONEY, strict=False):
        order["total_amount"] = amount
        item["unit_price"] = amount
    items[-1]["order_id"] = 100  # a finite line of the NaN order
    for table, rows in (("orders", orders), ("order_items", items)):
        write_partition(small_dir, table, day, rows)
    for table in ("customers", "products"):
        write_partition(small_dir, table, day, [])
    return small_dir


def _impact(output: str) -> dict[tuple[str, str], dict]:
    return {(r["entity"], r["reject_reason"]): r for r in json.loads(output)}


@pytest.mark.postgres
def test_reports_survive_nan_and_infinite_rejected_money(
    runner, non_finite_money_dir, warehouse_path, pg_url
):
    assert runner.invoke(cli, ["setup", "--pg-url", pg_url]).exit_code == 0
    built = runner.invoke(
        cli,
        [
            "run",
            "--data-dir",
            str(non_finite_money_dir),
            "--warehouse",
            str(warehouse_path),
            "--pg-url",
            pg_url,
            "-q",
        ],
    )
    assert built.exit_code == 0, built.stderr
    for target in ([], ["--pg-url", pg_url]):
        where = ["--warehouse", str(warehouse_path), *target]
        dq = runner.invoke(cli, ["dq", *where, "--format", "json"])
        assert dq.exit_code == 0, dq.stderr
        sections = json.loads(dq.stdout)
        title = next(k for k in sections if k.startswith("Business impact"))
        impact = {(r["entity"], r["reject_reason"]): r for r in sections[title]}
        named = runner.invoke(cli, ["query", "dq_impact", *where, "--format", "json"])
        assert named.exit_code == 0, named.stderr
        assert _impact(named.stdout) == impact
        # NaN is missing, -inf negative, +inf and 1e300 too large; none has a value.
        assert impact[("orders", "null_total_amount")]["completed_orders"] == 1
        assert impact[("orders", "negative_total_amount")]["completed_orders"] == 1
        assert impact[("orders", "total_amount_too_large")]["completed_orders"] == 2
        for key in (
            ("orders", "null_total_amount"),
            ("orders", "negative_total_amount"),
            ("orders", "total_amount_too_large"),
            ("order_items", "null_unit_price"),
            ("order_items", "negative_unit_price"),
            ("order_items", "unit_price_too_large"),
        ):
            assert impact[key]["order_value"] is None
        # The one order line of a rejected order still has its delivered value.
        assert impact[("order_items", "order_rejected")]["order_value"] == "19.99"
