"""Name noise shared by customers and products: casing and spacing variants."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow.compute as pc

from engine.generate.arrays import choose, join, patch
from engine.generate.draws import hits, to_index

if TYPE_CHECKING:
    import pyarrow as pa

    from engine.generate.dirt import DirtRates


def name_variant(u_case: np.ndarray, u_pad: np.ndarray, dirt: DirtRates) -> np.ndarray:
    """Which of the 15 spellings of name_variants each row gets (0 = as is)."""
    variant = np.zeros(len(u_case), dtype=np.int64)
    variant[hits(u_case, dirt.lower_name)[0]] = 5
    variant[hits(u_case, dirt.upper_name, skip=dirt.lower_name)[0]] = 10
    hit, w = hits(u_pad, dirt.padded_name)
    variant[hit] += 1 + to_index(w, 4)
    return variant


def name_variants(names: pa.Array) -> list[pa.Array]:
    """Casing (as is, lower, UPPER) x spacing (as is, ' x', 'x ', ' x ', double)."""
    return [
        spaced
        for cased in (names, pc.utf8_lower(names), pc.utf8_upper(names))
        for spaced in (
            cased,
            join(" ", cased),
            join(cased, " "),
            join(" ", cased, " "),
            pc.replace_substring(cased, " ", "  ", max_replacements=1),
        )
    ]


def noisy_names(names: pa.Array, variant: np.ndarray) -> pa.Array:
    dirty = np.flatnonzero(variant)
    if not len(dirty):
        return names
    spellings = name_variants(names.take(dirty))
    return patch(names, dirty, choose(spellings, variant[dirty]))
