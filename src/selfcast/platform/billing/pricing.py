"""Products and per-minute price, read from ``settings.pricing`` (the seed's packs by default)."""

from __future__ import annotations

from dataclasses import dataclass

from selfcast.errors import BadInput, NotFound
from selfcast.settings import PricingSettings

MILLI = 1000  # the ledger counts millicredits so 27.5 credits/minute is exact


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    credits: int
    price_cents: int
    currency: str = "usd"

    @property
    def price(self) -> str:
        return f"${self.price_cents / 100:,.2f}"


def products(pricing: PricingSettings) -> list[Product]:
    return [
        Product(id=f"pack_{credits}", name=name, credits=credits, price_cents=cents)
        for credits, cents, name in pricing.packs
    ]


def product(pricing: PricingSettings, product_id: str | None) -> Product:
    if not product_id or not isinstance(product_id, str):
        raise BadInput("product_id is required: pick one from GET /developer/topup/products")
    for p in products(pricing):
        if p.id == product_id:
            return p
    known = ", ".join(p.id for p in products(pricing))
    raise NotFound(f"unknown product {product_id!r}; known products: {known}")


def minute_cost_milli(pricing: PricingSettings) -> int:
    return round(pricing.credits_per_minute * MILLI)


def join_hold_milli(pricing: PricingSettings) -> int:
    return max(pricing.min_credits_to_join * MILLI, minute_cost_milli(pricing))


def low_balance_milli(pricing: PricingSettings) -> int:
    return round(pricing.low_balance_minutes * pricing.credits_per_minute * MILLI)
