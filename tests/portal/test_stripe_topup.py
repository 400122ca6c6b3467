"""Top up through Stripe Checkout from the portal: the pack's checkout opens at the provider (a
local stand-in passed to the Stripe SDK as its base URL; nothing here talks to Stripe), the
top-up waits as pending, and a signed ``checkout.session.completed`` webhook lands the credits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from selfcast.settings import PaymentSettings
from tests.platform.stripe_standin import StripeStandIn, event, sign
from tests.portal.helpers import Portal, csrf_of, sign_up, start_portal

WHSEC = "whsec_portal_test"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, shots_dir: Path) -> Iterator[Portal]:
    standin = StripeStandIn()
    base = standin.start()
    payments = PaymentSettings(
        provider="stripe",
        stripe_secret_key="sk_test_portal",
        stripe_webhook_secret=WHSEC,
        stripe_api_base=base,
    )
    p = start_portal(tmp_path_factory.mktemp("portal-stripe"), shots_dir, payments=payments)
    p.standin = standin  # type: ignore[attr-defined]
    yield p
    p.server.stop()
    standin.stop()


def test_stripe_checkout_from_the_portal_then_the_webhook_lands_the_credits(portal) -> None:  # type: ignore[no-untyped-def]
    c = httpx.Client(base_url=portal.url, timeout=30)
    sign_up(c, "payer@example.com", "pay pay pay")
    page = c.get("/account/topup")
    assert "Continue to payment" in page.text and "$19.99" in page.text
    r = c.post("/account/topup", data={"product_id": "pack_2000", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"].startswith(
        "https://checkout.stripe.test/c/pay/cs_test_"
    )
    sent = portal.standin.requests[-1].form
    topup_id = sent["client_reference_id"]
    assert (
        sent["line_items[0][price_data][unit_amount]"] == "1999"
        and sent["customer_email"] == "payer@example.com"
    )
    state = c.get(f"/account/topup/{topup_id}/status.json").json()
    assert state == {"id": topup_id, "status": "pending", "credits": 2000, "balance": 0}
    assert "Continue to payment" in c.get(f"/account/topup/{topup_id}").text  # pending: back to checkout

    session_id = r.headers["location"].rsplit("/", 1)[1]
    payload = event(
        "checkout.session.completed",
        {"id": session_id, "object": "checkout.session", "client_reference_id": topup_id,
         "metadata": {"topup_id": topup_id}, "payment_status": "paid", "payment_intent": "pi_portal_1"},
    )  # fmt: skip
    hook = httpx.post(portal.url + "/webhooks/stripe", content=payload,
                      headers={"Stripe-Signature": sign(payload, WHSEC), "Content-Type": "application/json"}, timeout=30)  # fmt: skip
    assert hook.status_code == 200 and hook.json()["outcome"] == "credited"
    assert c.get(f"/account/topup/{topup_id}/status.json").json()["status"] == "paid"
    page = c.get(f"/account/topup/{topup_id}")
    assert "Paid: 2,000 credits were added." in page.text
    assert '<strong id="balance">2,000</strong>' in page.text
    assert '<span class="big" id="balance">2,000</span>' in c.get("/account/usage").text
    # another account cannot look at this top-up
    o = httpx.Client(base_url=portal.url, timeout=30)
    sign_up(o, "nosy@example.com", "nosy nosy")
    assert o.get(f"/account/topup/{topup_id}").status_code == 404
    assert o.get(f"/account/topup/{topup_id}/status.json").status_code == 404
