"""Payments behind one interface: the built-in invoice flow and Stripe Checkout.

``topups`` holds the provider-independent logic (start a top-up, credit it exactly once,
expire, refund); a ``PaymentProvider`` only turns a pending top-up into a checkout URL.
"""

from __future__ import annotations

from selfcast.platform.payments.base import PaymentProvider
from selfcast.settings import Settings


def provider_for(settings: Settings) -> PaymentProvider:
    """The provider the settings choose (``payments.provider``)."""
    name = settings.payments.provider
    if name == "invoice":
        from selfcast.platform.payments.invoice import InvoiceProvider

        return InvoiceProvider(settings)
    if name == "stripe":
        from selfcast.platform.payments.stripe_provider import StripeProvider

        return StripeProvider(settings)
    from selfcast.errors import BadInput

    raise BadInput(
        f"unknown payments provider {name!r}: set SELFCAST_PAYMENTS__PROVIDER to invoice or stripe"
    )
