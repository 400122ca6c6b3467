"""Security properties of the portal over real HTTP against a running server: CSRF on every
form, account scoping (another account's session is a 404), sign-in throttling, HTML escaping,
cookie flags, keys shown once and never stored in clear, reset links used once."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from selfcast.platform import accounts, keys
from selfcast.platform.ids import new_id, utcnow
from selfcast.platform.portal.throttle import SignInThrottle
from selfcast.platform.store.models import ApiKey, MeetingSession, WebSession
from selfcast.settings import Settings
from tests.portal.helpers import csrf_of, sign_up

PASSWORD = "a long enough password"


def signed_up(portal, email: str) -> httpx.Client:  # type: ignore[no-untyped-def]
    c = httpx.Client(base_url=portal.url, timeout=30)
    sign_up(c, email, PASSWORD)
    return c


def account_id(portal, email: str) -> str:  # type: ignore[no-untyped-def]
    with portal.store.read() as db:
        return accounts.by_email(db, email).id


def key_count(portal, email: str) -> int:  # type: ignore[no-untyped-def]
    with portal.store.read() as db:
        return len(keys.list_keys(db, account_id(portal, email)))


def test_a_form_posted_without_its_csrf_token_is_refused(portal) -> None:  # type: ignore[no-untyped-def]
    c = signed_up(portal, "csrf@example.com")
    r = c.post("/account/keys", data={"name": "sneaky"})
    assert r.status_code == 403 and "expired or did not come from this site" in r.text
    other = signed_up(portal, "csrf-other@example.com")
    foreign = csrf_of(other.get("/account/model-settings").text)  # a valid token, of another session
    assert c.post("/account/keys", data={"name": "sneaky", "csrf_token": foreign}).status_code == 403
    good = csrf_of(c.get("/account/model-settings").text)
    r = c.post(
        "/account/keys", data={"name": "x", "csrf_token": good}, headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 403  # a right token from a foreign origin
    assert key_count(portal, "csrf@example.com") == 0
    for path in ("/signout", "/account/topup", "/account/defaults", "/account/voices", "/account/avatars"):
        assert c.post(path, data={"product_id": "pack_800"}).status_code == 403, path
    assert c.get("/account/model-settings").status_code == 200  # still signed in: sign-out was refused
    anon = httpx.Client(base_url=portal.url, timeout=30)
    assert anon.post("/signin", data={"email": "csrf@example.com", "password": PASSWORD}).status_code == 403
    r = c.post("/account/keys", data={"name": "fine", "csrf_token": good})
    assert r.status_code == 303 and key_count(portal, "csrf@example.com") == 1


def test_another_accounts_session_page_is_404(portal) -> None:  # type: ignore[no-untyped-def]
    owner = signed_up(portal, "owner@example.com")
    intruder = signed_up(portal, "intruder@example.com")
    sid = new_id("sess")
    with portal.store.write() as db:
        db.add(
            MeetingSession(
                id=sid, account_id=account_id(portal, "owner@example.com"), state="closed", platform="room",
                meet_url="http://127.0.0.1/room/secret-standup", bot_name="Owner's bot", voice_id="v",
            )
        )  # fmt: skip
    assert owner.get(f"/account/sessions/{sid}").status_code == 200
    r = intruder.get(f"/account/sessions/{sid}")
    assert r.status_code == 404 and "secret-standup" not in r.text and "Owner's bot" not in r.text
    assert intruder.get("/account/sessions/sess_doesnotexist").status_code == 404
    # the owner's keys cannot be revoked from the other account either
    token = csrf_of(owner.get("/account/model-settings").text)
    owner.post("/account/keys", data={"name": "owners", "csrf_token": token})
    with portal.store.read() as db:
        kid = keys.list_keys(db, account_id(portal, "owner@example.com"))[0].id
    itoken = csrf_of(intruder.get("/account/model-settings").text)
    assert intruder.post(f"/account/keys/{kid}/revoke", data={"csrf_token": itoken}).status_code == 404
    assert intruder.get(f"/account/keys/{kid}/revoke").status_code == 404
    with portal.store.read() as db:
        assert db.get(ApiKey, kid).revoked_at is None


@pytest.mark.slow
def test_ten_failed_signins_in_a_minute_are_slowed_down(portal) -> None:  # type: ignore[no-untyped-def]
    signed_up(portal, "target@example.com").close()
    c = httpx.Client(base_url=portal.url, timeout=30)
    token = csrf_of(c.get("/signin").text)
    codes, started = [], time.monotonic()
    for i in range(10):
        r = c.post(
            "/signin", data={"email": "target@example.com", "password": f"guess-{i}", "csrf_token": token}
        )
        codes.append(r.status_code)
    elapsed = time.monotonic() - started
    limit = portal.settings.portal.signin_max_failures
    assert codes[:limit] == [401] * limit
    assert codes[limit:] == [429] * (10 - limit)
    assert elapsed >= limit * 0.5  # every failure also costs the guesser half a second
    assert int(r.headers["Retry-After"]) > 0 and "Too many failed sign-ins" in r.text
    # while throttled even the right password waits; a session is not created
    r = c.post("/signin", data={"email": "target@example.com", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and "sc_session" not in r.headers.get("set-cookie", "")


def test_throttle_counts_a_sliding_window_per_key() -> None:
    now = [0.0]
    t = SignInThrottle(max_failures=3, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        assert t.retry_after(["ip:1", "email:a"]) == 0
        t.failed(["ip:1", "email:a"])
        now[0] += 1
    assert t.retry_after(["email:a"]) == pytest.approx(57)
    assert t.retry_after(["ip:2", "email:b"]) == 0  # others are not affected
    now[0] = 60.5
    assert t.retry_after(["email:a"]) == 0  # the oldest failure aged out
    t.succeeded("email:a")
    assert t.retry_after(["email:a"]) == 0


def test_html_in_names_is_escaped(portal) -> None:  # type: ignore[no-untyped-def]
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    c = signed_up(portal, "html@example.com")
    token = csrf_of(c.get("/account/model-settings").text)
    c.post("/account/keys", data={"name": evil, "csrf_token": token})
    c.post("/account/defaults", data={"bot_name": evil, "language": "en", "csrf_token": token})
    with portal.store.write() as db:
        sid = new_id("sess")
        db.add(
            MeetingSession(
                id=sid, account_id=account_id(portal, "html@example.com"), state="error", platform="room",
                meet_url=evil, bot_name=evil, voice_id="v", error_code="bad", error_message=evil,
            )
        )  # fmt: skip
    for path in ("/account/model-settings", "/account/usage", f"/account/sessions/{sid}"):
        html = c.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html, path
    r = c.get(f"/account/keys/{keys_of(portal, 'html@example.com')[0]}/revoke")
    assert "<script>alert" not in r.text and "&lt;script&gt;" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]


def keys_of(portal, email: str) -> list[str]:  # type: ignore[no-untyped-def]
    with portal.store.read() as db:
        return [k.id for k in keys.list_keys(db, account_id(portal, email))]


def test_a_new_key_is_shown_once_and_never_stored_in_clear(portal) -> None:  # type: ignore[no-untyped-def]
    c = signed_up(portal, "once@example.com")
    token = csrf_of(c.get("/account/model-settings").text)
    r = c.post("/account/keys", data={"name": "ci", "csrf_token": token}, follow_redirects=True)
    secret = re.search(r"dk_[A-Za-z0-9_-]{40,}", r.text).group(0)
    assert r.text.count(secret) == 1 and r.headers["cache-control"] == "no-store"
    assert secret not in c.get(r.url).text  # the same URL again: gone
    assert portal.api("GET", "/v1/balance", secret).status_code == 200
    with portal.store.read() as db:
        mine = db.query(WebSession).filter_by(account_id=account_id(portal, "once@example.com")).all()
        assert mine and all(row.pending_reveal is None for row in mine)
    db_file = portal.settings.data_dir / "selfcast.db"
    blobs = b"".join(p.read_bytes() for p in db_file.parent.glob("selfcast.db*"))
    assert secret.encode() not in blobs


@pytest.mark.slow
def test_reset_link_lets_the_owner_choose_a_new_password_once(portal) -> None:  # type: ignore[no-untyped-def]
    other_browser = signed_up(portal, "forgot@example.com")
    out = portal.cli("accounts", "reset-link", "forgot@example.com")
    assert out.returncode == 0, out.stderr
    link = out.stdout.strip()
    assert link.startswith(portal.url + "/reset/")
    c = httpx.Client(timeout=30)
    page = c.get(link)
    assert page.status_code == 200 and "forgot@example.com" in page.text
    r = c.post(link, data={"password": "brand new password", "password2": "brand new password",
                           "csrf_token": csrf_of(page.text)})  # fmt: skip
    assert r.status_code == 303 and "sc_session=" in r.headers["set-cookie"]
    assert other_browser.get("/account/model-settings").status_code == 303  # signed out everywhere
    again = httpx.get(link, timeout=30)
    assert again.status_code == 400 and "already used" in again.text
    login = httpx.Client(base_url=portal.url, timeout=30)
    t = csrf_of(login.get("/signin").text)
    assert (
        login.post(
            "/signin", data={"email": "forgot@example.com", "password": PASSWORD, "csrf_token": t}
        ).status_code
        == 401
    )
    ok = login.post(
        "/signin", data={"email": "forgot@example.com", "password": "brand new password", "csrf_token": t}
    )
    assert ok.status_code == 303
    assert httpx.get(portal.url + "/reset/not-a-token", timeout=30).status_code == 400


def test_signin_never_redirects_off_site(portal) -> None:  # type: ignore[no-untyped-def]
    signed_up(portal, "next@example.com").close()
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        c = httpx.Client(base_url=portal.url, timeout=30)
        t = csrf_of(c.get("/signin").text)
        r = c.post(
            "/signin",
            data={"email": "next@example.com", "password": PASSWORD, "next": target, "csrf_token": t},
        )
        assert r.status_code == 303 and r.headers["location"] == "/account/model-settings", target
    r = c.get("/account/usage?x=1", follow_redirects=False)
    assert r.status_code == 200


def test_agent_defaults_are_validated_and_kept_per_account(portal) -> None:  # type: ignore[no-untyped-def]
    c = signed_up(portal, "defaults@example.com")
    t = csrf_of(c.get("/account/model-settings").text)
    good = {"bot_name": "Ada's AI self", "language": "pt-BR", "max_duration_min": "45", "alone_timeout_min": "2.5",
            "voice_id": portal.settings.voice.default_voice_id, "csrf_token": t}  # fmt: skip
    assert c.post("/account/defaults", data=good).status_code == 303
    html = c.get("/account/model-settings").text
    assert 'value="45"' in html and 'value="2.5"' in html and "Ada&#39;s AI self" in html
    for bad, message in (
        ({"max_duration_min": "-3"}, "between 0 and"),
        ({"language": "english!"}, "not a language code"),
        ({"voice_id": "voice_of_someone_else"}, "no voice"),
        ({"avatar_id": "av_nope"}, "no avatar"),
    ):
        r = c.post("/account/defaults", data={**good, **bad})
        assert r.status_code in (400, 404) and message in r.text, bad
    html = c.get("/account/model-settings").text
    assert 'value="45"' in html  # the bad posts changed nothing
    other = signed_up(portal, "defaults-other@example.com")
    assert "Ada&#39;s AI self" not in other.get("/account/model-settings").text


def test_cookies_are_secure_when_served_over_https(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from selfcast.platform.app import create_app

    settings = Settings(data_dir=tmp_path / "data", public_url="https://portal.example")
    with TestClient(create_app(settings), base_url="https://portal.example") as c:
        r = c.get("/signup")
        cookie = r.headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        r = c.post("/signup", data={"email": "s@example.com", "password": PASSWORD, "password2": PASSWORD,
                                    "csrf_token": csrf_of(r.text)}, follow_redirects=False)  # fmt: skip
        assert "sc_session" not in r.headers.get("set-cookie", "")  # sign-up never signs in (it would tell)
        r = c.post("/signin", data={"email": "s@example.com", "password": PASSWORD,
                                    "csrf_token": csrf_of(c.get("/signin").text)}, follow_redirects=False)  # fmt: skip
        session_cookie = r.headers["set-cookie"]
        assert session_cookie.startswith("sc_session=") and "Secure" in session_cookie
        assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie
    _expired_sessions_are_refused(settings)


def _expired_sessions_are_refused(settings: Settings) -> None:
    from selfcast.platform.portal import websessions
    from selfcast.platform.store import Store

    store = Store.open(settings.db_url)
    with store.write() as db:
        acct = accounts.by_email(db, "s@example.com")
        token = websessions.create(db, acct.id, days=1)
        db.get(WebSession, websessions.token_hash(token)).expires_at = utcnow() - timedelta(seconds=1)
    with store.read() as db:
        assert websessions.resolve(db, token)[0] is None
    store.dispose()
