"""“Sign in with Google” through a configurable OpenID Connect provider, tested against a local
stand-in (tests/portal/oidc_standin.py) on 127.0.0.1: authorization code + state + nonce + PKCE,
ID token verified against the provider's JWKS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from selfcast.errors import Unauthorized
from selfcast.platform import accounts
from selfcast.platform.portal.oidc import OidcClient
from selfcast.platform.store.models import Account, OidcIdentity
from selfcast.settings import PortalSettings
from tests.portal import oidc_standin
from tests.portal.helpers import Portal, ThreadServer, csrf_of, free_port, screenshot, sign_up, start_portal


@pytest.fixture(scope="module")
def standin() -> Iterator[oidc_standin.StandIn]:
    s = oidc_standin.StandIn()
    port = free_port()
    s.issuer = f"http://127.0.0.1:{port}"
    server = ThreadServer(oidc_standin.build_app(s), port).start()
    yield s
    server.stop()


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, shots_dir: Path, standin) -> Iterator[Portal]:  # type: ignore[no-untyped-def]
    cfg = PortalSettings(
        oidc_issuer=standin.issuer, oidc_client_id=oidc_standin.CLIENT_ID,
        oidc_client_secret=oidc_standin.CLIENT_SECRET, oidc_label="Google",
    )  # fmt: skip
    p = start_portal(tmp_path_factory.mktemp("portal-oidc"), shots_dir, portal=cfg)
    yield p
    p.server.stop()


@pytest.mark.slow
def test_sign_in_with_google_creates_an_account_then_signs_into_the_same_one(
    portal, browser, standin
) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.goto(portal.url + "/signin")
    screenshot(page, portal.shots, "signin-oidc")
    page.get_by_role("link", name="Sign in with Google").click()
    page.wait_for_url(standin.issuer + "/authorize**")
    auth = standin.log[-1]["authorize"]
    assert auth["code_challenge_method"] == "S256" and auth["nonce"] and auth["state"]
    assert auth["redirect_uri"] == portal.url + "/auth/oidc/callback"
    page.get_by_role("link", name=f"Continue as {standin.email}").click()
    page.wait_for_url("**/account/model-settings")
    assert standin.log[-1] == {"token": "issued", "pkce": "ok"}
    assert page.locator(".who").inner_text() == standin.email
    assert not any(c["name"] == "sc_oidc" for c in ctx.cookies())  # flow state is cleared
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in with Google").click()
    page.get_by_role("link", name=f"Continue as {standin.email}").click()
    page.wait_for_url("**/account/model-settings")
    with portal.store.read() as db:
        assert db.query(Account).filter_by(email=standin.email).count() == 1
        link = db.get(OidcIdentity, (standin.issuer, standin.subject))
        assert link is not None and link.account_id == accounts.by_email(db, standin.email).id
    ctx.close()


def _through_provider(b: httpx.Client, start: httpx.Response) -> httpx.Response:
    """Follow the provider's consent page back to our callback; the callback's answer."""
    assert start.status_code == 303, start.text
    authorize = httpx.get(start.headers["location"], timeout=30)
    callback = authorize.text.split('href="')[1].split('"')[0].replace("&amp;", "&")
    return b.get(callback)


def test_oidc_never_joins_an_existing_account_by_email_alone(portal, standin) -> None:  # type: ignore[no-untyped-def]
    """Account pre-hijack: someone signs up as the victim's email first (never verifying it); when the
    victim later signs in with the provider, they must not land in (and share) that account."""
    squatter = httpx.Client(base_url=portal.url, timeout=30)
    sign_up(squatter, "victim@example.com", "attacker-knows-this")
    standin.subject, standin.email = "sub-victim", "victim@example.com"
    try:
        b = httpx.Client(base_url=portal.url, timeout=30, follow_redirects=False)
        done = _through_provider(b, b.get("/auth/oidc/start"))
        assert done.status_code == 409 and "sign in with its password, then use" in done.text
        assert "sc_session" not in done.headers.get("set-cookie", "")
        with portal.store.read() as db:
            assert db.get(OidcIdentity, (standin.issuer, "sub-victim")) is None
            assert accounts.by_email(db, "victim@example.com").email_verified_at is None
    finally:
        standin.subject, standin.email = "108234567890123456789", "grace@gmail.example"


def test_oidc_links_to_an_existing_account_only_from_a_signed_in_link_step(portal, standin) -> None:  # type: ignore[no-untyped-def]
    c = httpx.Client(base_url=portal.url, timeout=30, follow_redirects=False)
    sign_up(c, "linus@example.com", "pw-long-enough")
    standin.subject, standin.email = "sub-linus", "linus@example.com"
    try:
        anon = httpx.Client(base_url=portal.url, timeout=30, follow_redirects=False)
        assert anon.post("/account/oidc/link").status_code == 403  # no CSRF token, no session
        t = csrf_of(c.get("/account/model-settings").text)
        done = _through_provider(c, c.post("/account/oidc/link", data={"csrf_token": t}))
        assert done.status_code == 303 and done.headers["location"] == "/account/model-settings"
        with portal.store.read() as db:
            acct = accounts.by_email(db, "linus@example.com")
            assert db.get(OidcIdentity, (standin.issuer, "sub-linus")).account_id == acct.id
            assert acct.email_verified_by == "oidc"  # the provider proved the same address
        # from now on the provider signs in to that account, from any browser
        b = httpx.Client(base_url=portal.url, timeout=30, follow_redirects=False)
        done = _through_provider(b, b.get("/auth/oidc/start"))
        assert done.status_code == 303 and "sc_session=" in done.headers["set-cookie"]
        assert "linus@example.com" in b.get("/account/model-settings").text
    finally:
        standin.subject, standin.email = "108234567890123456789", "grace@gmail.example"


def test_oidc_refuses_a_wrong_state_an_unverified_email_and_forged_tokens(portal, standin) -> None:  # type: ignore[no-untyped-def]
    b = httpx.Client(base_url=portal.url, timeout=30, follow_redirects=False)
    r = b.get("/auth/oidc/start")
    authorize = httpx.get(r.headers["location"], timeout=30)
    callback = authorize.text.split('href="')[1].split('"')[0].replace("&amp;", "&")
    forged = callback.split("state=")[0] + "state=somebody-elses-state"
    r = b.get(forged)
    assert r.status_code == 401 and "state does not match" in r.text and "sc_session" not in str(b.cookies)

    standin.email_verified = False
    standin.subject, standin.email = "sub-unverified", "mallory@example.com"
    try:
        r = b.get("/auth/oidc/start")
        cb = (
            httpx.get(r.headers["location"], timeout=30)
            .text.split('href="')[1]
            .split('"')[0]
            .replace("&amp;", "&")
        )
        r = b.get(cb)
        assert r.status_code == 401 and "verified email" in r.text
    finally:
        standin.email_verified = True
        standin.subject, standin.email = "108234567890123456789", "grace@gmail.example"

    client = OidcClient(portal.settings.portal)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(Unauthorized, match="did not verify"):
        client.verify(standin.id_token(nonce="n1", key=other_key), nonce="n1")
    with pytest.raises(Unauthorized, match="nonce"):
        client.verify(standin.id_token(nonce="n1"), nonce="n2")
    with pytest.raises(Unauthorized, match="did not verify"):
        client.verify(standin.id_token(nonce="n1", audience="someone-else"), nonce="n1")
    with pytest.raises(Unauthorized, match="did not verify"):
        client.verify(standin.id_token(nonce="n1", iss="https://evil.example"), nonce="n1")
    assert client.verify(standin.id_token(nonce="n1"), nonce="n1").email == standin.email


def test_provider_errors_are_shown_not_crashed(portal) -> None:  # type: ignore[no-untyped-def]
    r = httpx.get(
        portal.url + "/auth/oidc/callback?error=access_denied&error_description=You+said+no", timeout=30
    )
    assert r.status_code == 401 and "You said no" in r.text
