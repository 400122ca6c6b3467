"""The built-in invoice flow for self-hosters: the checkout URL is this server's own top-up page,
and an operator marks it paid with ``selfcast credits approve <topup_id>``."""

from __future__ import annotations

from selfcast.platform.billing.pricing import Product
from selfcast.platform.payments.base import Checkout
from selfcast.settings import Settings


class InvoiceProvider:
    name = "invoice"

    def __init__(self, settings: Settings) -> None:
        self.base_url = settings.base_url

    def create_checkout(self, *, topup_id: str, account_id: str, email: str, product: Product) -> Checkout:
        return Checkout(url=f"{self.base_url}/topup/{topup_id}", provider_ref=None)
