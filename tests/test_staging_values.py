from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from engine.staging_rules import standardize_name, title_case, to_decimal_money

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
