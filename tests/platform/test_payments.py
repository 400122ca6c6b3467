"""Top-ups through both providers. Stripe checkout creation runs against a local HTTP stand-in
passed to the Stripe SDK as its base URL (``tests/platform/stripe_standin.py``); no test talks to
Stripe's servers. Webhook payloads are signed with a test secret exactly as Stripe signs them."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from selfcast.errors import Conflict
from selfcast.platform.billing import ledger
from selfcast.platform.payments import topups
from selfcast.platform.store.models import LedgerEntry, TopUp, WebhookEvent
from selfcast.settings import PaymentSettings, Settings
from tests.platform.helpers import LiveServer, auth, start_server, stop_server
from tests.platform.stripe_standin import StripeStandIn, event, sign

WHSEC = "whsec_test_" + "s" * 24


@pytest.fixture
def standin() -> Iterator[tuple[StripeStandIn, str]]:
    s = StripeStandIn()
    url = s.start()
    yield s, url
    s.stop()


@pytest.fixture
def stripe_server(psettings: Settings, standin) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    _, base = standin
    pay = PaymentSettings(
        provider="stripe",
        stripe_secret_key="sk_test_standin",
        stripe_webhook_secret=WHSEC,
        stripe_api_base=base,
    )
    live = start_server(psettings.model_copy(update={"payments": pay}))
    yield live
    stop_server(live)


def open_topup(live: LiveServer, key: str, product: str = "pack_800") -> dict:
    r = requests.post(
        f"{live.url}/developer/topup", headers=auth(key), json={"product_id": product}, timeout=30
    )
    assert r.status_code == 200, r.text
    return r.json()


def post_event(live: LiveServer, payload: bytes, signature: str | None = None) -> requests.Response:
    headers = {
        "Content-Type": "application/json",
        "Stripe-Signature": signature if signature is not None else sign(payload, WHSEC),
    }
    return requests.post(f"{live.url}/webhooks/stripe", data=payload, headers=headers, timeout=30)


def balance(live: LiveServer, key: str) -> int:
    return requests.get(f"{live.url}/developer/balance", headers=auth(key), timeout=10).json()["balance"]


def completed(topup: dict, cs_id: str, *, paid: bool = True, pi: str = "pi_test_1") -> dict:
    return {
        "id": cs_id,
        "object": "checkout.session",
        "client_reference_id": topup["topup_id"],
        "payment_status": "paid" if paid else "unpaid",
        "payment_intent": pi,
        "metadata": {"topup_id": topup["topup_id"]},
    }


def cs_id_of(live: LiveServer, topup_id: str) -> str:
    with live.platform.store.read() as db:
        return db.get(TopUp, topup_id).provider_ref


def test_invoice_checkout_opens_own_page_and_operator_approval_credits_once(live_server: LiveServer) -> None:
    _acct, key = live_server.account("inv@x.io")
    t = open_topup(live_server, key, "pack_2000")
    assert t["checkout_url"] == f"{live_server.url}/topup/{t['topup_id']}"
    with live_server.platform.store.write() as db:
        topups.approve(db, t["topup_id"])
    assert balance(live_server, key) == 2000
    with pytest.raises(Conflict, match="already paid"), live_server.platform.store.write() as db:
        topups.approve(db, t["topup_id"])
    assert balance(live_server, key) == 2000
    assert "Paid" in requests.get(t["checkout_url"], timeout=10).text


def test_stripe_checkout_is_created_with_reference_metadata_and_idempotency_key(
    stripe_server: LiveServer, standin
) -> None:  # type: ignore[no-untyped-def]
    recorder, _ = standin
    acct, key = stripe_server.account("pay@x.io")
    t = open_topup(stripe_server, key, "pack_4000")
    assert t["checkout_url"].startswith("https://checkout.stripe.test/c/pay/cs_test_")
    (req,) = [r for r in recorder.requests if r.path == "/v1/checkout/sessions"]
    assert req.headers["authorization"] == "Bearer sk_test_standin"
    assert req.headers["idempotency-key"] == f"selfcast-topup-{t['topup_id']}"
    assert req.form["client_reference_id"] == t["topup_id"]
    assert req.form["metadata[topup_id]"] == t["topup_id"] and req.form["metadata[account_id]"] == acct
    assert (
        req.form["metadata[credits]"] == "4000"
        and req.form["line_items[0][price_data][unit_amount]"] == "3999"
    )
    assert req.form["mode"] == "payment"
    assert balance(stripe_server, key) == 0  # nothing until the webhook says paid


def test_completed_event_credits_once_and_a_replay_credits_nothing(stripe_server: LiveServer) -> None:
    _, key = stripe_server.account("wh@x.io")
    t = open_topup(stripe_server, key)
    payload = event("checkout.session.completed", completed(t, cs_id_of(stripe_server, t["topup_id"])))
    r1 = post_event(stripe_server, payload)
    assert r1.status_code == 200 and r1.json()["outcome"] == "credited"
    r2 = post_event(stripe_server, payload)  # Stripe retries deliver the same event id
    assert r2.status_code == 200 and r2.json()["outcome"] == "duplicate"
    assert balance(stripe_server, key) == 800


def test_bad_signature_is_400_and_credits_nothing(stripe_server: LiveServer) -> None:
    _, key = stripe_server.account("bad@x.io")
    t = open_topup(stripe_server, key)
    payload = event("checkout.session.completed", completed(t, cs_id_of(stripe_server, t["topup_id"])))
    for sig in (
        sign(payload, "whsec_wrong"),
        "t=1,v1=deadbeef",
        "",
        sign(payload, WHSEC, timestamp=1_000_000),
    ):
        r = post_event(stripe_server, payload, signature=sig)
        assert r.status_code == 400 and r.json()["code"] == "bad_input", r.text
    tampered = payload.replace(b'"paid"', b'"paid" ')
    assert post_event(stripe_server, tampered, signature=sign(payload, WHSEC)).status_code == 400
    assert balance(stripe_server, key) == 0
    with stripe_server.platform.store.read() as db:
        assert db.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_async_payment_expired_and_refund_events(stripe_server: LiveServer) -> None:
    _, key = stripe_server.account("async@x.io")
    t = open_topup(stripe_server, key)
    cs = cs_id_of(stripe_server, t["topup_id"])
    assert (
        post_event(
            stripe_server, event("checkout.session.completed", completed(t, cs, paid=False, pi="pi_async"))
        ).json()["outcome"]
        == "recorded"
    )
    assert balance(stripe_server, key) == 0  # bank transfer still pending
    assert (
        post_event(
            stripe_server, event("checkout.session.async_payment_succeeded", completed(t, cs, pi="pi_async"))
        ).json()["outcome"]
        == "credited"
    )
    assert balance(stripe_server, key) == 800

    # partial refund (half), then the rest: credits reversed in proportion, once each
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": "pi_async",
        "amount": 799,
        "amount_refunded": 400,
    }
    assert post_event(stripe_server, event("charge.refunded", charge)).json()["outcome"] == "refunded"
    assert balance(stripe_server, key) == 800 - 400
    full = event("charge.refunded", {**charge, "amount_refunded": 799})
    post_event(stripe_server, full)
    post_event(stripe_server, full)
    assert balance(stripe_server, key) == 0
    with stripe_server.platform.store.read() as db:
        assert db.get(TopUp, t["topup_id"]).status == "refunded"

    t2 = open_topup(stripe_server, key)
    cs2 = cs_id_of(stripe_server, t2["topup_id"])
    assert (
        post_event(
            stripe_server,
            event("checkout.session.expired", {"id": cs2, "client_reference_id": t2["topup_id"]}),
        ).json()["outcome"]
        == "expired"
    )
    with stripe_server.platform.store.read() as db:
        assert db.get(TopUp, t2["topup_id"]).status == "expired"
    assert balance(stripe_server, key) == 0


def test_event_for_a_checkout_we_did_not_open_credits_nothing(stripe_server: LiveServer) -> None:
    _, key = stripe_server.account("forge@x.io")
    t = open_topup(stripe_server, key)
    r = post_event(stripe_server, event("checkout.session.completed", completed(t, "cs_test_someone_elses")))
    assert r.status_code == 200 and r.json()["outcome"] == "ignored"
    assert balance(stripe_server, key) == 0


@pytest.mark.slow
def test_concurrent_duplicate_deliveries_and_topups_credit_each_event_once(stripe_server: LiveServer) -> None:
    acct, key = stripe_server.account("conc@x.io")
    tops = [open_topup(stripe_server, key) for _ in range(4)]
    payloads = [
        event(
            "checkout.session.completed", completed(t, cs_id_of(stripe_server, t["topup_id"]), pi=f"pi_{i}")
        )
        for i, t in enumerate(tops)
    ]
    jobs = payloads * 4  # every event delivered four times, all at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda p: post_event(stripe_server, p).status_code, jobs))
    assert set(codes) == {200}
    assert balance(stripe_server, key) == 4 * 800
    with stripe_server.platform.store.read() as db:
        assert db.scalar(select(func.count()).select_from(WebhookEvent)) == 4
        assert (
            db.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "topup")) == 4
        )
        assert ledger.balance(db, acct).available == 3200


def test_a_paid_event_after_the_refund_is_answered_2xx_so_stripe_stops_retrying(
    stripe_server: LiveServer,
) -> None:
    """It was a 409, which Stripe retries for days; now it is acknowledged, recorded, not credited."""
    _, key = stripe_server.account("late@x.io")
    t = open_topup(stripe_server, key)
    cs = cs_id_of(stripe_server, t["topup_id"])
    post_event(stripe_server, event("checkout.session.completed", completed(t, cs, pi="pi_late")))
    charge = {"id": "ch_l", "payment_intent": "pi_late", "amount": 799, "amount_refunded": 799}
    post_event(stripe_server, event("charge.refunded", charge))
    r = post_event(
        stripe_server, event("checkout.session.async_payment_succeeded", completed(t, cs, pi="pi_late"))
    )
    assert r.status_code == 200 and r.json()["outcome"] == "after_refund", r.text
    assert balance(stripe_server, key) == 0
    with stripe_server.platform.store.read() as db:
        assert db.scalar(select(func.count()).select_from(WebhookEvent)) == 3


def test_a_signed_event_with_a_malformed_object_is_a_400_naming_the_field(stripe_server: LiveServer) -> None:
    """It was a plain 500; nothing of it is stored, so a corrected delivery still applies."""
    payload = event("charge.refunded", {"payment_intent": "pi_x", "amount": "799"})
    r = post_event(stripe_server, payload)
    assert (
        r.status_code == 400
        and "data.object.amount must be a whole non-negative amount" in r.json()["message"]
    )
    with stripe_server.platform.store.read() as db:
        assert db.scalar(select(func.count()).select_from(WebhookEvent)) == 0


@pytest.fixture
def stripe_live_server(psettings: Settings, standin) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """Stripe payments and workers running the scripted session runner."""
    from tests.platform.helpers import scripted_executor

    _, base = standin
    pay = PaymentSettings(
        provider="stripe",
        stripe_secret_key="sk_test_standin",
        stripe_webhook_secret=WHSEC,
        stripe_api_base=base,
    )
    settings = psettings.model_copy(update={"payments": pay, "host": "127.0.0.1"})
    live = start_server(
        settings, executor=scripted_executor(settings), monitor_interval_s=0.3, dead_after_s=5.0
    )
    yield live
    stop_server(live)


def test_a_full_refund_during_a_meeting_leaves_0_after_leaving(stripe_live_server: LiveServer) -> None:
    """Issue 14 item 5 end to end: 800 bought, a session holding credits, the whole 800 refunded.
    The refund used to take only what was not held, and leaving handed the rest back."""
    from tests.platform.helpers import wait_for
    from tests.platform.test_pika_contract import join, read

    live = stripe_live_server
    _, key = live.account("refund-live@x.io")
    t = open_topup(live, key)
    post_event(
        live, event("checkout.session.completed", completed(t, cs_id_of(live, t["topup_id"]), pi="pi_m"))
    )
    assert balance(live, key) == 800
    sid = read(join(live, key))["session_id"]

    def status() -> str:
        r = requests.get(f"{live.url}/proxy/realtime/session/{sid}", headers=auth(key), timeout=10)
        return str(read(r)["status"])

    wait_for(lambda: status() == "ready", timeout=30)
    charge = {"id": "ch_m", "payment_intent": "pi_m", "amount": 799, "amount_refunded": 799}
    assert post_event(live, event("charge.refunded", charge)).json()["outcome"] == "refunded"
    owing = requests.get(f"{live.url}/v1/balance", headers=auth(key), timeout=10).json()
    assert owing["balance"] == 0 and owing["owed"] > 0  # held credits are owed, never a negative balance
    requests.delete(f"{live.url}/proxy/realtime/session/{sid}", headers=auth(key), timeout=10)
    wait_for(lambda: status() == "closed", timeout=20)
    after = requests.get(f"{live.url}/v1/balance", headers=auth(key), timeout=10).json()
    assert (after["balance"], after["owed"], after["total"], after["held"]) == (0, 0.0, 0.0, 0.0), after
