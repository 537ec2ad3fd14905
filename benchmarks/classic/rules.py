"""Per-value cleaning functions, applied row by row as a classic course pipeline does.

Each one follows the definition in docs/staging-rules.md ("Value normalization"), so
the baseline's staging equals the engine's.
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

# Unicode White_Space, the set Polars' strip_chars() and the engine's regex use.
# Python's str.strip() would also strip U+001C..U+001F, which are not White_Space.
WHITESPACE: Final = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_RUNS: Final = re.compile(f"[{re.escape(WHITESPACE)}]+")
EMAIL: Final = re.compile(r"[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}")
STATUSES: Final = frozenset({"completed", "pending", "cancelled", "returned"})
TITLE_BREAKS: Final = (" ", "-", "'")
MONEY_PRECISION: Final = 10
"""Staging money columns are NUMERIC(10, 2): cents must stay below 10**10."""
_ONE: Final = Decimal(1)


def is_missing(value: object) -> bool:
    """None, pandas' NaN/NA, or a float NaN."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    # pd.NA and NaT compare unequal to themselves or raise; both mean missing.
    try:
        return bool(value != value)
    except TypeError:
        return True


def text(value: object) -> str | None:
    """A delivered text value, or None when missing."""
    return None if is_missing(value) else str(value)


def trim(value: object) -> str | None:
    """Strip leading and trailing whitespace; blank becomes None."""
    raw = text(value)
    if raw is None:
        return None
    return raw.strip(WHITESPACE) or None


def squish(value: object) -> str | None:
    """Collapse whitespace runs to one space, then trim."""
    raw = text(value)
    if raw is None:
        return None
    return trim(_RUNS.sub(" ", raw))


def title_case(name: str) -> str:
    """Lower-case, then upper-case the first letter and each after ' ', '-' or "'"."""
    out = name.lower()
    for sep in TITLE_BREAKS:
        out = sep.join(word[:1].upper() + word[1:] for word in out.split(sep))
    return out


def is_single_case(name: str) -> bool:
    """No upper-case letter (Lu) or no lower-case letter (Ll) in the name."""
    categories = {unicodedata.category(ch) for ch in name}
    return "Lu" not in categories or "Ll" not in categories


def standardize_name(value: object) -> str | None:
    """Squish; title-case a name typed in one case, keep a mixed-case one."""
    name = squish(value)
    if name is None:
        return None
    return title_case(name) if is_single_case(name) else name


def normalize_email(value: object) -> str | None:
    """Trim and lower-case."""
    email = trim(value)
    return None if email is None else email.lower()


def is_valid_email(email: str) -> bool:
    return EMAIL.fullmatch(email) is not None


def normalize_status(value: object) -> str | None:
    status = trim(value)
    return None if status is None else status.lower()


def cents(value: float) -> float:
    """Float money as whole cents, rounded half away from zero at float64 precision."""
    scaled = float(value) * 100
    if not math.isfinite(scaled):
        return scaled
    # Decimal(float) is the float's exact value, so this rounds what Polars rounds.
    return float(Decimal(scaled).quantize(_ONE, rounding=ROUND_HALF_UP))


def money_too_large(value: float) -> bool:
    return abs(cents(value)) >= 10.0**MONEY_PRECISION


def to_money(value: float) -> Decimal:
    """Float money as an exact Decimal with two places, via integer cents."""
    return Decimal(int(cents(value))).scaleb(-2)


def to_key(value: object) -> int | None:
    """An id as int (pandas turns integer columns with nulls into floats)."""
    return None if is_missing(value) else int(value)  # type: ignore[call-overload]
