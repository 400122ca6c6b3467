"""Hostile input to accounts, sign-in and keys: minting keys without the scope, unknown scopes,
forged verification links, sign-up tricks, linking a provider without a session, keys at the MCP
HTTP door and the operator CLI. Each is a clear 4xx (or exit code) naming what is wrong and what to
do, and nothing is half-written (no key row, no account, no verification, no link)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from selfcast.platform import accounts, keys
from selfcast.platform.portal import verify
from selfcast.platform.store.models import Account, ApiKey, OidcIdentity
from selfcast.settings import Settings
from selfcast.signing import TokenSigner, load_secret
from tests.portal.helpers import csrf_of

PASSWORD = "a long enough password"


@dataclass
class World:
    client: TestClient
    settings: Settings
    plain: str  # an everyday key (sessions)
    minter: str  # sessions + keys:mint
    mint_only: str  # keys:mint alone
    account_id: str

    def counts(self) -> tuple[int, int, int, int]:
        """Keys, accounts, verified accounts, provider links: what a refused request must not change."""
        with self.client.app.state.platform.store.read() as db:  # type: ignore[attr-defined]
            return (
                db.scalar(select(func.count()).select_from(ApiKey)) or 0,
                db.scalar(select(func.count()).select_from(Account)) or 0,
                db.scalar(select(func.count()).select_from(Account).where(Account.email_verified_at.isnot(None))) or 0,
                db.scalar(select(func.count()).select_from(OidcIdentity)) or 0,
            )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from selfcast.platform.app import create_app

    settings = Settings(data_dir=tmp_path_factory.mktemp("hostile-accounts"))
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8787") as c:
        with app.state.platform.store.write() as db:
            acct = accounts.sign_up(db, "hostile@example.com", PASSWORD)
            plain = keys.create(db, acct.id, "plain").secret
            minter = keys.create(db, acct.id, "minter", ["sessions", "keys:mint"]).secret
            mint_only = keys.create(db, acct.id, "mint-only", ["keys:mint"]).secret
        yield World(c, settings, plain, minter, mint_only, acct.id)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def signed_in(w: World) -> TestClient:
    c = w.client
    c.cookies.clear()
    t = csrf_of(c.get("/signin").text)
    r = c.post("/signin", data={"email": "hostile@example.com", "password": PASSWORD, "csrf_token": t},
               follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    return c


def signup(w: World, email: str, password: str, password2: str | None = None):  # type: ignore[no-untyped-def]
    c = w.client
    c.cookies.clear()
    t = csrf_of(c.get("/signup").text)
    data = {"email": email, "password": password, "password2": password if password2 is None else password2,
            "csrf_token": t}  # fmt: skip
    return c.post("/signup", data=data, follow_redirects=False)


def token(w: World, purpose: str, email: str = "hostile@example.com", ttl: float = 600) -> str:
    return TokenSigner(load_secret(w.settings)).dumps(purpose, {"a": w.account_id, "e": email}, ttl)


def api_json(r) -> str:  # type: ignore[no-untyped-def]
    return r.json()["error"]["message"]


# (case, request, status, words the answer must contain)
CASES: list[tuple[str, Callable[[World], object], int, str]] = [
    ("mint-with-everyday-key",
     lambda w: w.client.post("/v1/keys", json={"name": "stolen"}, headers=bearer(w.plain)),
     403, "lacks the keys:mint scope"),
    ("mint-unknown-scope",
     lambda w: w.client.post("/v1/keys", json={"name": "x", "scopes": ["admin"]}, headers=bearer(w.minter)),
     400, "unknown key scope admin"),
    ("mint-wider-than-held",
     lambda w: w.client.post("/v1/keys", json={"name": "x", "scopes": ["sessions"]}, headers=bearer(w.mint_only)),
     403, "cannot grant scopes it does not hold"),
    ("mint-scopes-not-a-list",
     lambda w: w.client.post("/v1/keys", json={"name": "x", "scopes": 5}, headers=bearer(w.minter)),
     400, "scopes"),
    ("mint-with-a-non-dk-bearer",
     lambda w: w.client.post("/v1/keys", json={"name": "x"}, headers=bearer("sk_live_abc")),
     401, "start with dk_"),
    ("verify-garbage-token",
     lambda w: w.client.get("/verify/not-a-token", follow_redirects=False), 400, "invalid or expired"),
    ("verify-token-minted-for-resets",
     lambda w: w.client.get(f"/verify/{token(w, 'reset')}", follow_redirects=False), 400, "invalid or expired"),
    ("verify-expired-token",
     lambda w: w.client.get(f"/verify/{token(w, verify.PURPOSE, ttl=-5)}", follow_redirects=False),
     400, "invalid or expired"),
    ("verify-token-for-another-address",
     lambda w: w.client.get(f"/verify/{token(w, verify.PURPOSE, 'x@example.com')}", follow_redirects=False),
     400, "invalid or expired"),
    ("verify-10kb-token",
     lambda w: w.client.get("/verify/" + "A" * 10_000, follow_redirects=False), 400, "invalid or expired"),
    ("signup-passwords-differ",
     lambda w: signup(w, "new-a@example.com", PASSWORD, PASSWORD + "x"), 400, "the two passwords differ"),
    ("signup-short-password-new-email",
     lambda w: signup(w, "new-b@example.com", "short"), 400, "password too short"),
    ("signup-short-password-registered-email",  # the same answer as for a new email: nothing told
     lambda w: signup(w, "hostile@example.com", "short"), 400, "password too short"),
    ("signup-not-an-email",
     lambda w: signup(w, "hostile.example.com", PASSWORD), 400, "is not an email address"),
    ("link-provider-without-csrf",
     lambda w: w.client.post("/account/oidc/link", follow_redirects=False), 403, "did not come from this site"),
    ("link-provider-when-none-configured",
     lambda w: (c := signed_in(w)).post(
         "/account/oidc/link", data={"csrf_token": csrf_of(c.get("/account/model-settings").text)},
         follow_redirects=False),
     404, "not configured"),
    ("resend-verification-signed-out",
     lambda w: (w.client.cookies.clear(), w.client.post(
         "/account/verify", headers={"Accept": "application/json",
                                     "X-CSRF-Token": csrf_of(w.client.get("/signin").text)}))[1],
     401, "sign in first"),
    ("signin-100kb-email",
     lambda w: (w.client.cookies.clear(), w.client.post(
         "/signin", data={"email": "a" * 100_000 + "@x.io", "password": "x",
                          "csrf_token": csrf_of(w.client.get("/signin").text)}))[1],
     401, "email or password is wrong"),
]


@pytest.mark.parametrize(("case", "send", "status", "words"), CASES, ids=[c[0] for c in CASES])
def test_hostile_account_input_is_refused_cleanly(world: World, case, send, status, words) -> None:  # type: ignore[no-untyped-def]
    before = world.counts()
    r = send(world)
    assert r.status_code == status, (case, r.status_code, r.text[:300])
    text = api_json(r) if r.headers.get("content-type", "").startswith("application/json") else r.text
    assert words in text, (case, text[:300])
    assert world.counts() == before, case  # no key, account, verification or link was written


def test_signup_short_password_answers_alike_for_new_and_registered_emails(world: World) -> None:
    a = signup(world, "someone-new@example.com", "short")
    b = signup(world, "hostile@example.com", "short")
    assert a.status_code == b.status_code == 400
    assert a.text.replace("someone-new@example.com", "E") == b.text.replace("hostile@example.com", "E").replace(
        csrf_of(b.text), csrf_of(a.text)
    )


CLI_CASES = [
    ("cli-unknown-scope", ["create", "--email", "cli@example.com", "--scope", "root"], 2, "unknown key scope root"),
    ("cli-scope-typo", ["create", "--email", "cli@example.com", "--scope", "keys-mint"], 2, "use sessions and/or keys:mint"),
]


@pytest.mark.parametrize(("case", "args", "code", "words"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_hostile_key_cli_input_exits_with_a_code_and_writes_nothing(tmp_path, case, args, code, words) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "SELFCAST_DATA_DIR": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "selfcast.cli.main", "keys", *args], env=env,
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == code and words in r.stderr, (case, r.returncode, r.stderr)
    assert "dk_" not in r.stdout
    listed = subprocess.run([sys.executable, "-m", "selfcast.cli.main", "keys", "list", "--email", "cli@example.com"],
                            env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert listed.returncode == 3 and "no account for cli@example.com" in listed.stderr  # nothing was written
