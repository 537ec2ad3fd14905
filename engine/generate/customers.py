"""Generator part of customers: new customers each day, some of them an earlier person again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.generate.arrays import (
    choose,
    dates,
    day_bounds,
    join,
    nulls,
    patch,
    strings,
)
from engine.generate.draws import day_draws, hits, to_index, weighted
from engine.generate.names import name_variant, noisy_names

if TYPE_CHECKING:
    from engine.generate.dirt import DirtRates
    from engine.generate.parts import Chunk, TableDays
    from engine.generate.pools import Pools


STREAM: Final = 2
"""Random stream of this table's draws, unique among the generator's."""
SCHEMA: Final = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("customer_name", pa.string()),
        ("email", pa.string()),
        ("country", pa.string()),
        ("signup_date", pa.date32()),
        ("customer_segment", pa.string()),
    ]
)
"""The file schema of the classic pipeline: raw.customers without lineage columns."""
SEGMENTS: Final = ("Premium", "Standard", "Basic")
_SEGMENT_CUM: Final = (0.2, 0.7)


def build(chunk: Chunk) -> TableDays:
    """The customers who sign up on each day of the chunk."""
    world, pools, dirt, seed = chunk.world, chunk.pools, chunk.dirt, chunk.seed
    lo, hi = chunk.lo, chunk.hi
    j0, j1 = lo - world.origin, hi - world.origin + 1
    before = world.customers_before
    ids = np.arange(before[j0] + 1, before[j1] + 1, dtype=np.int64)
    day = np.repeat(np.arange(lo, hi + 1), np.diff(before[j0 : j1 + 1]))
    u = day_draws(seed, STREAM, lo, np.diff(before[j0 : j1 + 1]), 9)

    # A "same person" row is an earlier id again: its name and country, but a new
    # id and so a new email.
    who = ids.copy()
    hit, w = hits(u[:, 0], dirt.duplicate_customer)
    hit, w = hit[ids[hit] > 1], w[ids[hit] > 1]
    who[hit] = 1 + np.floor(w * (ids[hit] - 1)).astype(np.int64)
    first, last, country, prefix, suffix = np.ascontiguousarray(
        world.people[who - 1].T, dtype=np.int64
    )
    name = join(
        pools.prefix.take(prefix),
        pools.first.take(first),
        " ",
        pools.last.take(last),
        pools.suffix.take(suffix),
    )
    name = noisy_names(name, name_variant(u[:, 3], u[:, 4], dirt))
    name = nulls(name, hits(u[:, 1], dirt.null_name)[0])
    country = pools.country.take(country)
    country = nulls(country, hits(u[:, 2], dirt.null_country)[0])
    email = _emails(pools, ids, first, last, u[:, 5], u[:, 7], u[:, 8], dirt)
    segment = strings(SEGMENTS).take(weighted(u[:, 6], _SEGMENT_CUM))
    table = pa.Table.from_arrays(
        [pa.array(ids), name, email, country, dates(day), segment],
        schema=SCHEMA,
    )
    return table, day_bounds(day, lo, hi)


def _emails(
    pools: Pools,
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
    user = choose(
        [
            join(f, ".", lname),
            join(f, lname),
            join(pc.utf8_slice_codeunits(f, 0, 1), lname),
            join(f, "_", lname),
            join(lname, ".", f),
        ],
        to_index(u_style, 5),
    )
    number = pc.cast(pa.array(ids), pa.string())
    pick = to_index(u_domain, len(pools.domain))
    domain = pools.domain.take(pick)
    email = join(user, number, "@", domain)

    which = np.zeros(len(ids), dtype=np.int64)
    hit, w = hits(u_kind, dirt.invalid_email)
    which[hit] = 1 + to_index(w, 5)
    hit, w = hits(u_kind, dirt.messy_email, skip=dirt.invalid_email)
    which[hit] = 6 + to_index(w, 4)
    dirty = np.flatnonzero(which)
    if not len(dirty):
        return email
    # Only the dirty rows get spelled the other ways.
    user, number = user.take(dirty), number.take(dirty)
    domain, root = domain.take(dirty), pools.domain_root.take(pick[dirty])
    valid = email.take(dirty)
    spellings = [
        join(user, number, domain),  # no @
        join(user, number, "@"),  # no domain
        join(user, " ", number, "@", domain),
        join(user, number, "@@", domain),
        join(user, number, "@", root),  # no TLD
        pc.utf8_upper(valid),  # from here on valid, only cased or padded
        join(pc.utf8_title(user), number, "@", domain),
        join(" ", valid, " "),
        join(user, number, "@", pc.utf8_upper(domain)),
    ]
    return patch(email, dirty, choose(spellings, which[dirty] - 1))
