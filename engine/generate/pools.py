"""Value pools filled once per seed by Faker: names, prefixes, countries, mail domains."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pyarrow as pa

if TYPE_CHECKING:
    from collections.abc import Iterable


_FREE_MAIL_SHARE: Final = 0.6  # share of addresses at gmail.com, yahoo.com, ...


@dataclass(frozen=True, slots=True)
class Pools:
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
def people_pools(seed: int) -> Pools:
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
    return Pools(
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
