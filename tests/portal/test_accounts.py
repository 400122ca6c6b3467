"""Accounts against a running portal: sign-up does not reveal which emails are registered, email
verification by a signed expiring link (through the log mailer), and a sign-in throttle keyed by
source so a stranger cannot lock a known email out."""

from __future__ import annotations

import re
import statistics
import time

import httpx

from selfcast.platform import accounts
from selfcast.platform.portal import verify
from selfcast.platform.portal.throttle import SourceSpread
from selfcast.signing import TokenSigner, load_secret
from tests.portal.helpers import csrf_of, sign_up

PASSWORD = "a long enough password"


def _signup(c: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    t = csrf_of(c.get("/signup").text)
    return c.post("/signup", data={"email": email, "password": password, "password2": password, "csrf_token": t})


def _signin(c: httpx.Client, email: str, password: str, source: str) -> httpx.Response:
    t = csrf_of(c.get("/signin").text)
    return c.post("/signin", data={"email": email, "password": password, "csrf_token": t},
                  headers={"X-Forwarded-For": source})  # fmt: skip


def _page(r: httpx.Response) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", r.text).replace("taken@example.com", "EMAIL")


def test_sign_up_answers_the_same_for_a_registered_email_and_mails_its_owner(portal) -> None:  # type: ignore[no-untyped-def]
    c = httpx.Client(base_url=portal.url, timeout=30)
    first = _signup(c, "taken@example.com")
    again = _signup(c, "taken@example.com", "the attacker's password")
    assert first.status_code == again.status_code == 200
    assert _page(first) == _page(again) and "Check your email" in again.text
    assert "sc_session" not in first.headers.get("set-cookie", "") + again.headers.get("set-cookie", "")
    mail = portal.mail_to("taken@example.com")
    assert len(mail) == 2 and "/verify/" in mail[0] and "already has one" in mail[1] and "/verify/" not in mail[1]
    # the second sign-up changed nothing: the first password still works, the attacker's does not
    assert _signin(httpx.Client(base_url=portal.url), "taken@example.com", PASSWORD, "192.0.2.1").status_code == 303
    r = _signin(httpx.Client(base_url=portal.url), "taken@example.com", "the attacker's password", "192.0.2.2")
    assert r.status_code == 401


def test_sign_up_takes_as_long_for_a_registered_email(portal) -> None:  # type: ignore[no-untyped-def]
    """Both paths hash a password: the registered one must not answer measurably faster."""
    c = httpx.Client(base_url=portal.url, timeout=30)
    _signup(c, "timing@example.com")

    def timed(email: str) -> float:
        t = csrf_of(c.get("/signup").text)
        started = time.perf_counter()
        c.post("/signup", data={"email": email, "password": PASSWORD, "password2": PASSWORD, "csrf_token": t})
        return time.perf_counter() - started

    new = [timed(f"timing-{i}@example.com") for i in range(5)]
    taken = [timed("timing@example.com") for _ in range(5)]
    assert statistics.median(taken) >= 0.5 * statistics.median(new), (new, taken)


def test_email_verification_link_verifies_and_forged_or_expired_links_do_not(portal) -> None:  # type: ignore[no-untyped-def]
    c = httpx.Client(base_url=portal.url, timeout=30)
    sign_up(c, "verify-me@example.com", PASSWORD)
    assert 'id="verify-email"' in c.get("/account/model-settings").text  # unverified: the portal says so
    r = c.post("/account/verify", data={"csrf_token": csrf_of(c.get("/account/model-settings").text)})
    assert r.status_code == 303
    mails = portal.mail_to("verify-me@example.com")
    assert len(mails) == 2  # the welcome and the one asked for again
    link = re.search(r"http://\S+/verify/(\S+)", mails[-1])
    assert link
    token = link.group(1)
    signer = TokenSigner(load_secret(portal.settings))
    with portal.store.read() as db:
        acct = accounts.by_email(db, "verify-me@example.com")
    forged = (
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # a damaged signature
        signer.dumps("reset", {"a": acct.id, "e": acct.email}, 600),  # minted for another job
        signer.dumps(verify.PURPOSE, {"a": acct.id, "e": acct.email}, -1),  # expired
        signer.dumps(verify.PURPOSE, {"a": acct.id, "e": "other@example.com"}, 600),  # another address
    )
    for bad in forged:
        r = c.get(f"/verify/{bad}", follow_redirects=False)
        assert r.status_code == 400 and "invalid or expired" in r.text, bad
    with portal.store.read() as db:
        assert accounts.by_email(db, "verify-me@example.com").email_verified_at is None
    r = c.get(f"/verify/{token}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/model-settings"
    assert 'id="verify-email"' not in c.get("/account/model-settings").text
    with portal.store.read() as db:
        assert accounts.by_email(db, "verify-me@example.com").email_verified_by == "link"


def test_a_stranger_failing_on_a_known_email_does_not_lock_its_owner_out(portal) -> None:  # type: ignore[no-untyped-def]
    sign_up(httpx.Client(base_url=portal.url, timeout=30), "locked@example.com", PASSWORD)
    stranger = httpx.Client(base_url=portal.url, timeout=30)
    limit = portal.settings.portal.signin_max_failures
    codes = [_signin(stranger, "locked@example.com", f"guess-{i}", "203.0.113.9").status_code for i in range(limit + 2)]
    assert codes[:limit] == [401] * limit and codes[limit:] == [429, 429]  # the stranger is slowed
    r = _signin(stranger, "locked@example.com", PASSWORD, "203.0.113.9")
    assert r.status_code == 429  # even guessing right, from that source
    owner = httpx.Client(base_url=portal.url, timeout=30)
    r = _signin(owner, "locked@example.com", PASSWORD, "198.51.100.7")
    assert r.status_code == 303 and "sc_session=" in r.headers["set-cookie"]  # the owner is not locked out


def test_an_email_is_slowed_only_when_many_sources_fail_on_it() -> None:
    now = [0.0]
    spread = SourceSpread(max_sources=3, window_s=60, clock=lambda: now[0])
    for _ in range(50):
        spread.failed("a@example.com", "203.0.113.9")  # one source, many failures: counts once
    assert spread.retry_after("a@example.com") == 0
    spread.failed("a@example.com", "203.0.113.10")
    spread.failed("a@example.com", "203.0.113.11")
    assert spread.retry_after("a@example.com") == 60 and spread.retry_after("b@example.com") == 0
    now[0] = 61
    assert spread.retry_after("a@example.com") == 0  # the window slid past them
    assert SourceSpread(max_sources=0, window_s=60).retry_after("a@example.com") == 0  # off
