from __future__ import annotations

import unicodedata

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from engine.staging_rules import (
    EMAIL_PATTERN,
    WHITESPACE,
    squish,
    standardize_name,
    title_case,
    trim,
)
from queries import staging as staging_queries

# --- value normalizations, code point by code point ---------------------------------


@pytest.fixture(scope="module")
def macro_con():
    con = duckdb.connect()
    con.execute(staging_queries.read_macros())
    yield con
    con.close()


def test_sql_macros_spell_the_python_patterns(macro_con):
    assert macro_con.sql("SELECT whitespace(), email_pattern()").fetchall() == [
        (WHITESPACE, EMAIL_PATTERN)
    ]


def _code_points(*, caseless: bool) -> list[str]:
    """Every code point Python's Unicode tables know, as one-character strings.

    Without `caseless`, letters that have no case (Lo: CJK, Arabic, ...) and digits
    are left out: case mapping and the final-sigma context treat them alike.
    """
    skip = {"Cn", "Co", "Cs"} | (set() if caseless else {"Lo", "Nd", "No"})
    chars = [
        chr(c)
        for c in range(1, 0x110000)
        if unicodedata.category(chr(c)) not in skip or chr(c) in "ªº"
    ]
    # Python's tables may also predate a case pair Polars (Rust) knows, e.g. 'ƛ'
    # got a capital in Unicode 16; those are the documented known limit.
    series = pl.Series(chars)
    newer = (series.str.to_uppercase() != pl.Series([c.upper() for c in chars])) | (
        series.str.to_lowercase() != pl.Series([c.lower() for c in chars])
    )
    return series.filter(~newer).to_list()


def test_case_mapping_agrees_for_every_code_point(macro_con):
    # Alone, after and before a capital sigma (the final-sigma context) and as a
    # word start after a letter.
    templates = ["{}", "{}Σ", "Α{}Σ", "ΑΣ{}", "x {}x"]  # noqa: RUF001 (Greek)
    texts = pl.DataFrame(
        {"text": [t.format(c) for c in _code_points(caseless=False) for t in templates]}
    )
    by_polars = texts.select(
        pl.col("text").str.to_lowercase().alias("lower"),
        title_case(pl.col("text")).alias("title"),
        standardize_name(pl.col("text")).alias("name"),
    )
    by_sql = macro_con.sql(
        "SELECT lower_full(text) AS lower, title_case(text) AS title, "
        "standardize_name(text) AS name FROM texts"
    ).pl()
    assert_frame_equal(by_sql, by_polars)


def test_whitespace_agrees_for_every_code_point(macro_con):
    texts = pl.DataFrame(
        {"text": [f"{c} a{c}{c}b {c}" for c in _code_points(caseless=True)]}
    )
    by_polars = texts.select(
        trim(pl.col("text")).alias("trim"), squish(pl.col("text")).alias("squish")
    )
    by_sql = macro_con.sql(
        "SELECT trim_blank(text) AS trim, squish(text) AS squish FROM texts"
    ).pl()
    assert_frame_equal(by_sql, by_polars)


@pytest.mark.parametrize(
    ("text", "expected"), [("ßauer", "ßauer"), ("ﬁsh", "ﬁsh"), ("ǰx", "ǰx")]
)
def test_letters_with_multi_character_capitals_stay_as_they_are(text, expected):
    frame = pl.DataFrame({"t": [text]})
    assert frame.select(title_case(pl.col("t"))).item() == expected
