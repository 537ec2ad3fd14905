"""The product catalog: names, categories and prices in cents, drawn once per seed."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa

from engine.generate.arrays import join
from engine.generate.draws import to_index
from engine.generate.names import name_variants

CATALOG_STREAM: Final = 6
"""Random stream of the catalog's draws (see engine/generate/draws.py)."""
CATEGORIES: Final[dict[str, tuple[float, float, tuple[str, ...]]]] = {
    # category: (lowest price, highest price, nouns)
    "Electronics": (15.0, 1500.0, ("Headphones", "Speaker", "Monitor", "Keyboard", "Mouse", "Charger", "Tablet", "Camera", "Smartwatch", "Router")),
    "Clothing": (8.0, 220.0, ("T-Shirt", "Jacket", "Jeans", "Sweater", "Dress", "Hoodie", "Scarf", "Sneakers", "Socks", "Cap")),
    "Food": (1.5, 60.0, ("Coffee Beans", "Green Tea", "Olive Oil", "Granola", "Dark Chocolate", "Pasta", "Honey", "Hot Sauce", "Almonds", "Spice Mix")),
    "Books": (4.0, 80.0, ("Cookbook", "Novel", "Atlas", "Biography", "Poetry Collection", "Travel Guide", "Comic", "Notebook", "Workbook", "Dictionary")),
    "Home": (6.0, 600.0, ("Lamp", "Blender", "Cushion", "Rug", "Kettle", "Frying Pan", "Vase", "Towel Set", "Clock", "Storage Box")),
    "Sports": (5.0, 450.0, ("Yoga Mat", "Dumbbells", "Water Bottle", "Tennis Racket", "Football", "Bike Helmet", "Running Belt", "Jump Rope", "Backpack", "Tent")),
    "Toys": (3.0, 150.0, ("Puzzle", "Building Blocks", "Plush Bear", "Board Game", "Kite", "Race Car", "Doll House", "Train Set", "Robot Kit", "Yo-Yo")),
}  # fmt: skip
_ADJECTIVES: Final = (
    "Classic", "Premium", "Eco", "Smart", "Ultra", "Compact", "Deluxe", "Pro",
    "Vintage", "Modern", "Essential", "Portable", "Organic", "Wireless", "Family",
    "Mini", "Max", "Everyday", "Travel", "Signature",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Catalog:
    name_variants: pa.Array
    """Every noisy spelling of every name: variant v of product i at v * n + i."""
    category: pa.Array
    price_cents: np.ndarray
    cost_cents: np.ndarray


@functools.lru_cache(maxsize=4)
def build_catalog(seed: int, n_products: int) -> Catalog:
    # Row-major (n, k) draws: product i gets the same numbers whatever the catalog size.
    u = np.random.default_rng([seed, CATALOG_STREAM]).random((n_products, 5))
    names = list(CATEGORIES)
    cat = to_index(u[:, 0], len(names))
    lows = np.log([CATEGORIES[c][0] for c in names])
    highs = np.log([CATEGORIES[c][1] for c in names])
    price = np.exp(lows[cat] + u[:, 3] * (highs[cat] - lows[cat]))
    price_cents = np.rint(price * 100).astype(np.int64)
    # Cost is 35-80 % of the price, so always below it (no price is under 1.50).
    cost_cents = np.floor(price_cents * (0.35 + 0.45 * u[:, 4])).astype(np.int64)
    nouns = [noun for c in names for noun in CATEGORIES[c][2]]
    sizes = np.array([len(CATEGORIES[c][2]) for c in names])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    noun = offsets[cat] + np.minimum(np.floor(u[:, 2] * sizes[cat]), sizes[cat] - 1)
    product_name = join(
        pa.array(_ADJECTIVES).take(to_index(u[:, 1], len(_ADJECTIVES))),
        " ",
        pa.array(nouns).take(noun.astype(np.int64)),
    )
    return Catalog(
        name_variants=pa.concat_arrays(name_variants(product_name)),
        category=pa.array(names).take(cat),
        price_cents=price_cents,
        cost_cents=np.maximum(1, cost_cents),
    )
