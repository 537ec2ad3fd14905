"""Dirt rates: how often each kind of dirty value appears in the generated files."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from engine.errors import ConfigError


@dataclass(frozen=True, slots=True)
class DirtRates:
    """How often each kind of dirt appears: fractions of rows, 0..1 (0 = clean)."""

    duplicate_order: float = 0.04
    """Order rows written twice, identical, in the same day's file."""
    duplicate_item: float = 0.04
    """Order-item rows written twice, identical, in the same day's file."""
    duplicate_customer: float = 0.04
    """New customers who are an earlier customer again: same name and country, new id and email."""
    null_name: float = 0.02
    """Customers with a null customer_name."""
    null_country: float = 0.01
    """Customers with a null country."""
    lower_name: float = 0.10
    """Customer and product names in all lower case."""
    upper_name: float = 0.05
    """Customer and product names in ALL UPPER CASE (lower_name + upper_name <= 1)."""
    padded_name: float = 0.05
    """Customer and product names with a leading/trailing space or a doubled inner space."""
    invalid_email: float = 0.02
    """Emails that are not addresses: no @, no domain, an inner space, @@ or no TLD."""
    messy_email: float = 0.03
    """Valid emails in mixed or upper case, or padded (invalid_email + messy_email <= 1)."""
    negative_total: float = 0.01
    """Orders whose total_amount is negated."""
    negative_price: float = 0.01
    """Order items whose unit_price is negated."""
    bad_quantity: float = 0.01
    """Order items with quantity 0, -1 or -2."""
    bad_discount: float = 0.01
    """Order items with discount_percent outside 0..100 (150, -10, 110, -5, 200)."""
    miscased_status: float = 0.03
    """Known statuses mis-cased or padded, e.g. 'PENDING', ' Completed'."""
    unknown_status: float = 0.01
    """Statuses outside the known four: 'shipped', 'processing', 'on hold'."""
    orphan_customer: float = 0.01
    """Orders whose customer_id never existed (>= 1,000,000,000)."""
    orphan_product: float = 0.01
    """Order items whose product_id is not in the catalog (>= 1,000,000,000)."""
    late_order: float = 0.02
    """Orders that land in the partition after their order_date (one day late)."""

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                msg = f"dirt rate {field.name}={value!r} is outside 0..1; pass a fraction such as 0.02"
                raise ConfigError(msg)
        for first, second in (
            ("lower_name", "upper_name"),
            ("invalid_email", "messy_email"),
            ("miscased_status", "unknown_status"),
        ):
            if getattr(self, first) + getattr(self, second) > 1.0:
                msg = (
                    f"dirt rates {first} + {second} exceed 1; they share the same rows"
                )
                raise ConfigError(msg)

    @classmethod
    def clean(cls) -> DirtRates:
        """Every rate 0: the data the dirt is added to."""
        return cls(**dict.fromkeys((f.name for f in dataclasses.fields(cls)), 0.0))
