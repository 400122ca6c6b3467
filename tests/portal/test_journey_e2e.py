"""A new developer's whole path through the portal in real Chromium: sign up → create a key
(revealed once) → balance → top up through the invoice flow → operator approves with the real
CLI → balance updates by itself → the key works against the API → revoke → the API refuses it.
Screenshots of every page at desktop and phone width land in the pytest tmp dir."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from selfcast.platform.billing import ledger
from selfcast.platform.ids import new_id, utcnow
from selfcast.platform.store.models import MeetingSession, NotesRow, TranscriptRow
from tests.portal.helpers import screenshot

pytestmark = [pytest.mark.e2e]

EMAIL = "ada@example.com"
PASSWORD = "correct horse battery"


def tab(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("navigation", name="Developer Account").get_by_role("link", name=name).click()


def seed_finished_session(portal, account_id: str) -> str:  # type: ignore[no-untyped-def]
    """A closed three-minute session charged through the real ledger, with transcript and notes."""
    sid = new_id("sess")
    start = utcnow() - timedelta(minutes=5)
    cost = round(portal.settings.pricing.credits_per_minute * 1000)
    with portal.store.write() as db:
        db.add(
            MeetingSession(
                id=sid, account_id=account_id, state="closed", platform="room",
                meet_url=f"{portal.url}/room/standup", bot_name="Ada's AI self", voice_id="English_radiant_girl",
                created_at=start, updated_at=start, ready_at=start + timedelta(seconds=20),
                ended_at=start + timedelta(seconds=20 + 170), minutes_charged=3,
            )
        )  # fmt: skip
        db.flush()
        ledger.reserve(db, account_id, sid, 3 * cost, min_available_milli=100_000)
        for minute in range(3):
            ledger.capture(db, sid, minute, cost)
        ledger.release(db, sid)
        for i, (who, text) in enumerate(
            [
                ("Grace", "Morning! Where are we with the billing migration?"),
                (
                    "Ada's AI self",
                    "The ledger moved to millicredits on Friday; the backfill finished last night.",
                ),
                ("Grace", "Great. Any risk for the <release>?"),
            ]
        ):
            db.add(TranscriptRow(session_id=sid, speaker=who, text=text, start_s=i * 6.0, end_s=i * 6.0 + 5))
        db.add(
            NotesRow(
                session_id=sid,
                data={
                    "summary": "Billing migration is done; release can go ahead.",
                    "decisions": ["Ship the release on Thursday"],
                    "action_items": [{"text": "Grace: announce the release"}],
                },
                markdown="# Notes",
                created_at=utcnow(),
            )
        )
    return sid


def test_new_developer_signs_up_buys_credits_and_uses_then_revokes_a_key(portal, browser) -> None:  # type: ignore[no-untyped-def]
    shots = portal.shots
    ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    page = ctx.new_page()
    page.set_default_timeout(15_000)

    # ---- sign up ----------------------------------------------------------------------------
    page.goto(portal.url + "/")
    assert page.url.endswith("/signin")
    screenshot(page, shots, "signin")
    page.get_by_role("link", name="Create an account").click()
    screenshot(page, shots, "signup")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=False).first.fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.locator("#signup-sent").wait_for()  # no session yet: sign-up never tells whether an email is taken
    screenshot(page, shots, "signup-sent")
    link = next(line for line in portal.mail_to(EMAIL)[-1].splitlines() if "/verify/" in line)
    page.goto(link.strip())
    page.wait_for_url("**/signin")
    assert "Your email address is verified." in page.content()
    page.get_by_label("Email").fill(EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account/model-settings")
    assert page.get_by_role("heading", name="Model Settings").is_visible()
    assert page.locator("#verify-email").count() == 0  # verified: no banner
    cookie = next(c for c in ctx.cookies() if c["name"] == "sc_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    # ---- create a key: revealed once ----------------------------------------------------------
    page.get_by_label("Key name").fill("MeetBot-Production")
    page.get_by_role("button", name="+ New API Key").click()
    reveal = page.locator("#new-key")
    reveal.wait_for()
    assert "you will not see this key again" in reveal.inner_text()
    key = page.locator("#new-key-value").input_value()
    assert re.fullmatch(r"dk_[A-Za-z0-9_-]{40,}", key)
    assert page.content().count(key) == 1  # rendered exactly once on the page
    page.get_by_role("button", name="Copy").click()
    page.get_by_text("Copied to the clipboard.").wait_for()
    screenshot(page, shots, "key-revealed")
    page.reload()
    assert page.locator("#new-key").count() == 0
    assert key not in page.content()
    row = page.locator("table.keys tbody tr", has_text="MeetBot-Production")
    assert key[:11] + "…" in row.inner_text()
    assert "never" in row.inner_text()  # not used yet

    # ---- the balance, before and after a top-up through the invoice flow ------------------------
    tab(page, "Usage")
    assert page.locator("#balance").inner_text() == "0"
    r = portal.api("GET", "/v1/balance", key)
    assert r.status_code == 200 and r.json()["balance"] == 0
    tab(page, "Top up")
    screenshot(page, shots, "topup")
    page.get_by_label("800 tokens for $7.99", exact=False).check()
    page.get_by_role("button", name="Request invoice").click()
    page.wait_for_url(re.compile(r"/account/topup/tu_[a-z0-9]+$"))
    topup_id = page.url.rsplit("/", 1)[1]
    assert page.locator("#topup-status").inner_text() == "pending"
    assert f"selfcast credits approve {topup_id}" in page.locator("pre").inner_text()
    screenshot(page, shots, "topup-pending")

    done = portal.cli("credits", "approve", topup_id)  # the operator, on the server
    assert done.returncode == 0, done.stderr
    page.locator("#topup-status", has_text="paid").wait_for(timeout=30_000)  # polled, no reload
    assert page.locator("#balance").inner_text() == "800"
    assert page.get_by_text("Paid: 800 credits were added.").is_visible()
    screenshot(page, shots, "topup-paid")

    # ---- the key works against the API -----------------------------------------------------------
    r = portal.api("GET", "/v1/balance", key)
    assert r.status_code == 200 and r.json()["balance"] == 800
    tab(page, "Model Settings")
    row = page.locator("table.keys tbody tr", has_text="MeetBot-Production")
    assert "never" not in row.inner_text()  # last-used time is shown now
    screenshot(page, shots, "model-settings")

    # ---- usage with a finished session, its transcript and notes --------------------------------------
    with portal.store.read() as db:
        from selfcast.platform import accounts

        account_id = accounts.by_email(db, EMAIL).id
    sid = seed_finished_session(portal, account_id)
    tab(page, "Usage")
    assert page.locator("#balance").inner_text() == "717"  # 800 - 3 × 27.5 = 717.5, floored to whole credits
    assert page.locator("svg.chart rect.bar").count() == 30
    assert "82.5" in page.locator("table.sessions").inner_text()
    screenshot(page, shots, "usage")
    page.locator("table.sessions a").first.click()
    page.wait_for_url(f"**/account/sessions/{sid}")
    assert "Ship the release on Thursday" in page.content()
    assert "Any risk for the &lt;release&gt;?" in page.content()
    assert page.locator("ol.transcript li").count() == 3
    screenshot(page, shots, "session")

    # ---- revoke, with confirmation; the API refuses the key -------------------------------------------
    tab(page, "Model Settings")
    page.get_by_role("link", name="Revoke key MeetBot-Production").click()
    assert "cannot be undone" in page.content()
    screenshot(page, shots, "key-revoke")
    page.get_by_role("button", name="Revoke key").click()
    page.get_by_text("is revoked").wait_for()
    r = portal.api("GET", "/v1/balance", key)
    assert r.status_code == 401 and "revoked" in r.json()["error"]["message"]

    # ---- keyboard: the skip link and the tabs are reachable without a mouse -------------------------------
    page.goto(portal.url + "/account/usage")
    focused = []
    for _ in range(7):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert focused == [
        "Skip to content",
        "selfcast",
        "Sign out",
        "Model Settings",
        "Usage",
        "Top up",
        "Voices & avatars",
    ]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # follow "Top up" from the keyboard
    page.wait_for_url("**/account/topup")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signin")
    page.goto(portal.url + "/account/usage")
    assert "/signin?next=" in page.url
    ctx.close()
