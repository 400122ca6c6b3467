"""Stripe Checkout: one Checkout Session per top-up, created with ``client_reference_id``,
metadata naming the top-up, and an idempotency key so a retried request never opens two.

``payments.stripe_api_base`` points the SDK at another base URL (the tests use a local HTTP
stand-in; nothing in the test suite talks to Stripe's servers).
"""

from __future__ import annotations

from typing import Any

from selfcast.errors import BadInput, Unavailable
from selfcast.platform.billing.pricing import Product
from selfcast.platform.payments.base import Checkout
from selfcast.settings import Settings


class StripeProvider:
    name = "stripe"

    def __init__(self, settings: Settings) -> None:
        p = settings.payments
        if not p.stripe_secret_key:
            raise BadInput("payments.provider is stripe but SELFCAST_PAYMENTS__STRIPE_SECRET_KEY is empty")
        try:
            import stripe
        except ImportError as exc:
            raise Unavailable("the stripe SDK is not installed: pip install 'selfcast[stripe]'") from exc
        kwargs: dict[str, Any] = {"max_network_retries": 2}
        if p.stripe_api_base:
            kwargs["base_addresses"] = {"api": p.stripe_api_base.rstrip("/")}
        self._client = stripe.StripeClient(p.stripe_secret_key, **kwargs)
        self._stripe_error = stripe.StripeError
        base = settings.base_url
        self.success_url = p.success_url or f"{base}/topup/{{topup_id}}?status=success"
        self.cancel_url = p.cancel_url or f"{base}/topup/{{topup_id}}?status=cancelled"

    def create_checkout(self, *, topup_id: str, account_id: str, email: str, product: Product) -> Checkout:
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": topup_id,
            "customer_email": email,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": product.currency,
                        "unit_amount": product.price_cents,
                        "product_data": {"name": f"selfcast {product.name}"},
                    },
                }
            ],
            "metadata": {
                "topup_id": topup_id,
                "account_id": account_id,
                "product_id": product.id,
                "credits": str(product.credits),
            },
            "payment_intent_data": {"metadata": {"topup_id": topup_id}},
            "success_url": self.success_url.replace("{topup_id}", topup_id),
            "cancel_url": self.cancel_url.replace("{topup_id}", topup_id),
        }
        try:
            session = self._client.v1.checkout.sessions.create(
                params,  # type: ignore[arg-type]
                options={"idempotency_key": f"selfcast-topup-{topup_id}"},
            )
        except self._stripe_error as exc:
            raise Unavailable(f"Stripe refused to open a checkout: {exc.user_message or exc}") from exc
        return Checkout(url=session.url, provider_ref=session.id)
