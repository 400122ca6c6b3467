"""Money holes from issue 14, on SQLite and PostgreSQL: a refund or dispute takes held credits too
(owed until the session ends, never a negative balance); operator grants are bounded; a payment
event after a refund is acknowledged, not refused; disputes take credits and give them back when
won; per-account quotas on free work are exact under concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from selfcast.errors import BadInput, InsufficientCredits, RateLimited
from selfcast.platform import accounts, quotas
from selfcast.platform.billing import ledger
from selfcast.platform.billing.pricing import MILLI
from selfcast.platform.ids import utcnow
from selfcast.platform.payments import topups, webhooks
from selfcast.platform.payments.invoice import InvoiceProvider
from selfcast.platform.payments.stripe_events import parse_event
from selfcast.platform.store import Store
from selfcast.platform.store.models import LedgerEntry, TopUp, UsageEvent, WebhookEvent
from selfcast.settings import ActionQuota, PricingSettings, QuotaSettings, Settings
from tests.platform.stripe_standin import event

MINUTE = 27_500


def _account(store: Store, email: str = "m@x.io") -> str:
    with store.write() as db:
        return accounts.sign_up(db, email, None).id


def _paid_topup(store: Store, acct: str, pi: str = "pi_1") -> TopUp:
    """An 800-credit top-up, paid through Stripe with payment intent ``pi``."""
    row = topups.start(store, InvoiceProvider(Settings()), PricingSettings(), acct, "pack_800")
    with store.write() as db:
        topups.mark_paid(db, row.id, payment_ref=pi)
        return db.get(TopUp, row.id)  # type: ignore[return-value]


def _apply(store: Store, etype: str, obj: dict) -> str:
    return webhooks.apply(store, parse_event(event(etype, obj))).outcome


def _balance(store: Store, acct: str) -> ledger.Balance:
    with store.read() as db:
        return ledger.balance(db, acct)


# ---- refunds and held credits ----------------------------------------------------------------
def test_full_refund_of_800_with_100_held_leaves_0_after_leaving(store: Store) -> None:
    acct = _account(store)
    t = _paid_topup(store, acct)
    with store.write() as db:
        ledger.reserve(db, acct, "s1", 100 * MILLI, min_available_milli=100 * MILLI)
    assert (
        _apply(store, "charge.refunded", {"payment_intent": "pi_1", "amount": 799, "amount_refunded": 799})
        == "refunded"
    )
    bal = _balance(store, acct)
    assert bal.total_milli == 0  # the whole 800 came back, not 700
    assert bal.available == 0 and bal.available_milli == 0  # never shown below zero
    assert bal.owed == 100 and bal.held == 100
    with pytest.raises(InsufficientCredits), store.write() as db:
        ledger.capture(db, "s1", 0, MINUTE)  # refunded credits cannot pay for the meeting
    with store.write() as db:
        ledger.release(db, "s1")
    bal = _balance(store, acct)
    assert (bal.available_milli, bal.owed_milli, bal.total_milli) == (0, 0, 0)
    with store.read() as db:
        (entry,) = db.scalars(select(LedgerEntry).where(LedgerEntry.kind == "refund"))
        assert entry.amount_milli == -800 * MILLI and "100 held by open sessions" in entry.note
        assert db.get(TopUp, t.id).status == "refunded"  # type: ignore[union-attr]


def test_refund_after_a_minute_was_spent_takes_the_rest_and_the_hold_pays_what_is_owed(store: Store) -> None:
    acct = _account(store)
    _paid_topup(store, acct)
    with store.write() as db:
        ledger.reserve(db, acct, "s1", 100 * MILLI, min_available_milli=100 * MILLI)
        ledger.capture(db, "s1", 0, MINUTE)
        assert ledger.reverse(db, acct, 800, ref="refund:x:1") == 772  # 27.5 spent is beyond reach
        bal = ledger.balance(db, acct)
        assert bal.available_milli == 0 and bal.owed_milli == 100 * MILLI - MINUTE
        ledger.release(db, "s1")
        bal = ledger.balance(db, acct)
        assert (bal.total_milli, bal.available_milli, bal.owed_milli) == (0, 0, 0)


def test_refund_with_two_sessions_holding_is_collected_as_each_ends(store: Store) -> None:
    acct = _account(store)
    with store.write() as db:
        ledger.credit(db, acct, 300, kind="topup", ref="topup:two")
        ledger.reserve(db, acct, "a", 100 * MILLI, min_available_milli=100 * MILLI)
        ledger.reserve(db, acct, "b", 100 * MILLI, min_available_milli=100 * MILLI)
        ledger.reverse(db, acct, 250, ref="refund:two:1")  # 100 free + 150 of the holds
        assert ledger.balance(db, acct).owed_milli == 150 * MILLI
        ledger.release(db, "a")
        bal = ledger.balance(db, acct)
        assert bal.available_milli == 0 and bal.owed_milli == 50 * MILLI
        ledger.release(db, "b")
        assert ledger.balance(db, acct).available_milli == 50 * MILLI  # 300 - 250


# ---- operator grants ---------------------------------------------------------------------------
def test_grants_are_bounded_per_grant_and_per_balance_and_the_ledger_has_a_ceiling(store: Store) -> None:
    acct = _account(store)
    limits = ledger.GrantLimits(max_grant=1000, max_balance=1500)
    per_grant = r"over the limit of 1,000 per grant \(pricing.max_grant_credits\)"
    with pytest.raises(BadInput, match=per_grant), store.write() as db:
        ledger.grant(db, acct, 1001, limits)
    with store.write() as db:
        ledger.grant(db, acct, 1000, limits)
    per_balance = r"maximum balance of 1,500 \(pricing.max_balance_credits\); grant at most 500"
    with pytest.raises(BadInput, match=per_balance), store.write() as db:
        ledger.grant(db, acct, 501, limits)
    with pytest.raises(BadInput, match="ceiling of 1,000,000,000,000 credits"), store.write() as db:
        ledger.credit(db, acct, 9_200_000_000_000_000, kind="grant")  # the 9.2e15 that broke later credits
    with store.write() as db:
        ledger.credit(db, acct, 800, kind="topup", ref="topup:after")  # later credits still work
    assert _balance(store, acct).available == 1800
    with store.read() as db:
        assert db.scalar(select(func.count()).select_from(LedgerEntry)) == 2


# ---- webhooks after a refund, disputes --------------------------------------------------------
def test_a_paid_event_after_the_refund_is_acknowledged_and_recorded_not_credited(store: Store) -> None:
    acct = _account(store)
    t = _paid_topup(store, acct)
    _apply(store, "charge.refunded", {"payment_intent": "pi_1", "amount": 799, "amount_refunded": 799})
    late = {"id": "cs_late", "client_reference_id": t.id, "payment_status": "paid", "payment_intent": "pi_1"}
    assert _apply(store, "checkout.session.async_payment_succeeded", late) == "after_refund"
    assert _balance(store, acct).total_milli == 0
    with store.read() as db:
        assert db.scalar(select(func.count()).select_from(WebhookEvent)) == 2  # both recorded


def test_dispute_takes_the_credits_held_ones_too_and_a_won_dispute_returns_them(store: Store) -> None:
    acct = _account(store)
    t = _paid_topup(store, acct, pi="pi_d")
    with store.write() as db:
        ledger.reserve(db, acct, "s1", 100 * MILLI, min_available_milli=100 * MILLI)
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "payment_intent": "pi_d",
        "amount": 799,
        "status": "needs_response",
    }
    assert _apply(store, "charge.dispute.created", dispute) == "disputed"
    bal = _balance(store, acct)
    assert (bal.total_milli, bal.available_milli, bal.owed_milli) == (0, 0, 100 * MILLI)
    assert _apply(store, "charge.dispute.created", dispute) == "disputed"  # a second delivery takes nothing
    assert _balance(store, acct).total_milli == 0
    with store.read() as db:
        assert db.get(TopUp, t.id).status == "disputed"  # type: ignore[union-attr]
    with store.write() as db:
        ledger.release(db, "s1")
    assert _apply(store, "charge.dispute.closed", {**dispute, "status": "won"}) == "dispute_won"
    assert _apply(store, "charge.dispute.closed", {**dispute, "status": "won"}) == "dispute_won"
    bal = _balance(store, acct)
    assert bal.available == 800 and bal.owed_milli == 0
    with store.read() as db:
        assert db.get(TopUp, t.id).status == "paid"  # type: ignore[union-attr]


def test_a_lost_dispute_keeps_the_credits_taken_and_the_top_up_is_never_paid_again(store: Store) -> None:
    acct = _account(store)
    t = _paid_topup(store, acct, pi="pi_l")
    half = {"id": "dp_2", "payment_intent": "pi_l", "amount": 400, "status": "needs_response"}
    _apply(store, "charge.dispute.created", half)
    assert _balance(store, acct).available == 400  # the disputed share, 800 × 400/799 → 400
    assert _apply(store, "charge.dispute.closed", {**half, "status": "lost"}) == "dispute_lost"
    assert _balance(store, acct).available == 400
    again = {"id": "cs_x", "client_reference_id": t.id, "payment_status": "paid", "payment_intent": "pi_l"}
    assert _apply(store, "checkout.session.completed", again) == "after_refund"
    with store.read() as db:
        assert db.get(TopUp, t.id).status == "charged_back"  # type: ignore[union-attr]
    assert _balance(store, acct).available == 400


# ---- quotas ------------------------------------------------------------------------------------
Q = QuotaSettings(
    avatar_generate=ActionQuota(per_hour=3, per_day=5, unfunded_per_day=1),
    upload=ActionQuota(per_hour=2, per_day=2, unfunded_per_day=2),
    voice_clone=ActionQuota(per_hour=0, per_day=0, unfunded_per_day=0),
)


def test_quota_counts_per_hour_and_per_day_and_says_when_to_retry(store: Store) -> None:
    acct = _account(store)
    with store.write() as db:
        ledger.credit(db, acct, 100, kind="grant")
    t0 = utcnow()
    for i in range(3):
        quotas.take(store, Q, acct, "avatar_generate", now=t0 + timedelta(minutes=i))
    with pytest.raises(
        RateLimited, match=r"3 per hour for each account \(quotas.avatar_generate.per_hour\)"
    ) as e:
        quotas.take(store, Q, acct, "avatar_generate", now=t0 + timedelta(minutes=10))
    assert e.value.detail["retry_after_s"] == 50 * 60  # the first attempt leaves the hour at t0 + 60 min
    quotas.take(store, Q, acct, "avatar_generate", now=t0 + timedelta(minutes=61))
    quotas.take(store, Q, acct, "avatar_generate", now=t0 + timedelta(minutes=62))
    with pytest.raises(RateLimited, match=r"5 per day .*quotas.avatar_generate.per_day"):
        quotas.take(store, Q, acct, "avatar_generate", now=t0 + timedelta(minutes=200))
    quotas.take(store, Q, acct, "avatar_generate", now=t0 + timedelta(hours=24, minutes=1))  # the day rolled


def test_an_account_without_credits_gets_the_smaller_daily_allowance_and_zero_turns_it_off(
    store: Store,
) -> None:
    acct = _account(store)
    quotas.take(store, Q, acct, "avatar_generate")
    with pytest.raises(RateLimited, match=r"no credits .*unfunded_per_day.*top up credits or try again"):
        quotas.take(store, Q, acct, "avatar_generate")
    with pytest.raises(
        RateLimited, match=r"voice clones are turned off .*\(quotas.voice_clone.per_hour = 0\)"
    ):
        quotas.take(store, Q, acct, "voice_clone")
    with store.write() as db:
        ledger.credit(db, acct, 100, kind="grant")
    quotas.take(store, Q, acct, "avatar_generate")  # funded: the full daily cap applies


def test_concurrent_attempts_never_pass_the_quota(store: Store) -> None:
    acct = _account(store)
    other = _account(store, "o@x.io")
    ok: list[str] = []
    refused: list[str] = []

    def one(who: str) -> None:
        try:
            quotas.take(store, Q, who, "upload")
            ok.append(who)
        except RateLimited:
            refused.append(who)

    threads = [threading.Thread(target=one, args=(a,)) for a in [acct] * 8 + [other] * 2]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(ok) == sorted([acct, acct, other, other]) and len(refused) == 6
    with store.read() as db:
        assert db.scalar(select(func.count()).select_from(UsageEvent)) == 4
