"""Ledger invariants, alone and under concurrent top-ups, joins and minute ticks (SQLite and PG)."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from selfcast.errors import BadInput, InsufficientCredits
from selfcast.platform import accounts
from selfcast.platform.billing import ledger
from selfcast.platform.billing.pricing import MILLI, product, products
from selfcast.platform.store import Store
from selfcast.platform.store.models import Hold, LedgerEntry
from selfcast.settings import PricingSettings

MINUTE = 27_500  # 27.5 credits in millicredits


def _account(store: Store, email: str = "l@x.io") -> str:
    with store.write() as db:
        return accounts.sign_up(db, email, None).id


def test_seed_products_and_prices() -> None:
    ps = products(PricingSettings())
    assert [(p.credits, p.price) for p in ps] == [
        (800, "$7.99"),
        (2000, "$19.99"),
        (4000, "$39.99"),
        (8000, "$79.99"),
        (15000, "$149.99"),
    ]
    assert product(PricingSettings(), "pack_2000").credits == 2000


def test_credit_with_same_ref_counts_once_and_negative_grant_is_refused(store: Store) -> None:
    acct = _account(store)
    with store.write() as db:
        assert ledger.credit(db, acct, 800, kind="topup", ref="topup:1") is not None
        assert ledger.credit(db, acct, 800, kind="topup", ref="topup:1") is None
    for bad in (-5, 0, 2.5):
        with pytest.raises(BadInput, match="positive whole number"), store.write() as db:
            ledger.credit(db, acct, bad, kind="grant")  # type: ignore[arg-type]
    with store.read() as db:
        assert ledger.balance(db, acct).available == 800
        assert db.scalar(select(func.count()).select_from(LedgerEntry)) == 1


def test_hold_capture_release_arithmetic(store: Store) -> None:
    acct = _account(store)
    with store.write() as db:
        ledger.credit(db, acct, 300, kind="grant")
        ledger.reserve(db, acct, "s1", 100 * MILLI, min_available_milli=100 * MILLI)
        assert ledger.balance(db, acct).available == 200  # 100 held
    with store.write() as db:
        c0 = ledger.capture(db, "s1", 0, MINUTE)
        again = ledger.capture(db, "s1", 0, MINUTE)
        assert c0.charged and not again.charged
        bal = ledger.balance(db, acct)
        assert bal.total_milli == 300 * MILLI - MINUTE and bal.held_milli == 100 * MILLI - MINUTE
        assert bal.available == 200  # charging inside the hold does not move available
        for m in (1, 2, 3):
            ledger.capture(db, "s1", m, MINUTE)  # 4 minutes = 110 > 100 held: 10 from available
        bal = ledger.balance(db, acct)
        assert bal.held_milli == 0 and bal.available_milli == 300 * MILLI - 4 * MINUTE
        ledger.release(db, "s1")
        assert ledger.balance(db, acct).available_milli == 300 * MILLI - 4 * MINUTE


def test_join_needs_minimum_balance_and_release_returns_the_unused_hold(store: Store) -> None:
    acct = _account(store)
    with store.write() as db:
        ledger.credit(db, acct, 99, kind="grant")
    with pytest.raises(InsufficientCredits, match="below the 100"), store.write() as db:
        ledger.reserve(db, acct, "s", 100 * MILLI, min_available_milli=100 * MILLI)
    with store.read() as db:
        assert db.scalar(select(func.count()).select_from(Hold)) == 0  # nothing half-written
    with store.write() as db:
        ledger.credit(db, acct, 1, kind="grant")
        ledger.reserve(db, acct, "s", 100 * MILLI, min_available_milli=100 * MILLI)
        ledger.capture(db, "s", 0, MINUTE)
        ledger.release(db, "s")
        assert ledger.balance(db, acct).available_milli == 100 * MILLI - MINUTE


def test_minute_that_cannot_be_paid_is_refused_not_overdrawn(store: Store) -> None:
    acct = _account(store)
    with store.write() as db:
        ledger.credit(db, acct, 100, kind="grant")
        ledger.reserve(db, acct, "s", 100 * MILLI, min_available_milli=100 * MILLI)
        for m in range(3):
            ledger.capture(db, "s", m, MINUTE)  # 82.5 spent, 17.5 left
    with pytest.raises(InsufficientCredits, match="out of credits"), store.write() as db:
        ledger.capture(db, "s", 3, MINUTE)
    with store.read() as db:
        bal = ledger.balance(db, acct)
        assert bal.total_milli == 100 * MILLI - 3 * MINUTE and bal.available_milli == 0  # rest still held


def test_refund_reversal_never_drives_available_negative(store: Store) -> None:
    acct = _account(store)
    with store.write() as db:
        ledger.credit(db, acct, 800, kind="topup", ref="topup:a")
        ledger.reserve(db, acct, "s", 100 * MILLI, min_available_milli=100 * MILLI)
        for m in range(20):
            ledger.capture(db, "s", m, MINUTE)  # 550 spent
        ledger.release(db, "s")
        assert ledger.reverse(db, acct, 800, ref="refund:a", note="refund") == 250
        assert ledger.reverse(db, acct, 800, ref="refund:a") == 0  # same refund again: nothing
        assert ledger.balance(db, acct).available_milli == 0


@pytest.mark.slow
def test_invariants_hold_under_concurrent_topups_joins_and_ticks(store: Store) -> None:
    acct = _account(store)
    other = _account(store, "other@x.io")
    n_events, n_sessions = 24, 8
    errors: list[BaseException] = []
    lock = threading.Lock()
    joined: list[str] = []

    def topup(i: int) -> None:
        # every event delivered twice, as a replaying webhook would
        with store.write() as db:
            ledger.credit(db, acct, 50, kind="topup", ref=f"evt_{i}")

    def join_and_tick(i: int) -> None:
        sid = f"sess_{i}"
        try:
            with store.write() as db:
                ledger.reserve(db, acct, sid, 100 * MILLI, min_available_milli=100 * MILLI)
        except InsufficientCredits:
            return
        with lock:
            joined.append(sid)
        for m in range(6):
            for _ in range(2):  # each tick reported twice (worker heartbeat and server settlement)
                try:
                    with store.write() as db:
                        ledger.capture(db, sid, m, MINUTE)
                except InsufficientCredits:
                    break
            with store.read() as db:
                if ledger.balance(db, acct).available_milli < 0:
                    errors.append(AssertionError("available went negative"))
        with store.write() as db:
            ledger.release(db, sid)

    jobs = [(topup, i) for i in range(n_events)] * 2 + [(join_and_tick, i) for i in range(n_sessions)]
    random.Random(7).shuffle(jobs)
    with ThreadPoolExecutor(max_workers=8) as pool:
        futs = [pool.submit(fn, i) for fn, i in jobs]
        for f in futs:
            f.result()
    assert not errors

    with store.read() as db:
        rows = list(db.scalars(select(LedgerEntry).where(LedgerEntry.account_id == acct)))
        topups = [r for r in rows if r.kind == "topup"]
        captures = [r for r in rows if r.kind == "capture"]
        assert len(topups) == n_events  # each event credited exactly once
        assert len({(r.session_id, r.minute) for r in captures}) == len(captures)  # each minute once
        holds = list(db.scalars(select(Hold).where(Hold.account_id == acct)))
        assert {h.session_id for h in holds} == set(joined)
        assert all(h.status == "released" for h in holds)
        for h in holds:  # hold bookkeeping equals the ledger's captures for that session
            assert h.captured_milli == -sum(r.amount_milli for r in captures if r.session_id == h.session_id)
        bal = ledger.balance(db, acct)
        assert bal.held_milli == 0
        assert bal.total_milli == n_events * 50 * MILLI - len(captures) * MINUTE
        assert bal.available_milli >= 0
        assert ledger.balance(db, other).total_milli == 0
