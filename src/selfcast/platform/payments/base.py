"""The payment provider interface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from selfcast.platform.billing.pricing import Product


@dataclass(frozen=True)
class Checkout:
    url: str
    provider_ref: str | None = None  # e.g. the Stripe Checkout Session id


class PaymentProvider(Protocol):
    name: str

    def create_checkout(self, *, topup_id: str, account_id: str, email: str, product: Product) -> Checkout:
        """Open a checkout for a pending top-up. Raises ``Unavailable`` when the provider fails."""
        ...
