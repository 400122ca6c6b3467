"""Hostile input to money and quotas: correctly signed but malformed Stripe events, operator grants
that would overflow the ledger, and free work past its per-account quota. Each gets a clear 4xx
(or CLI exit code) naming what is wrong, and nothing is half-written (no event row, no ledger
entry, no upload, avatar or voice). On ``91fcdfd`` an event with a list or string where an object
belongs, or a list id bound into SQL, was a 500, and the rest were applied as if well-formed (a
string amount refunded credits); the huge grant was accepted; nothing was rate-limited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from selfcast.cli.main import main
from selfcast.platform import accounts, keys
from selfcast.platform.app import create_app
from selfcast.platform.billing import ledger
from selfcast.platform.store import Store
from selfcast.platform.store.models import (
    Avatar,
    LedgerEntry,
    TopUp,
    Upload,
    UsageEvent,
    Voice,
    WebhookEvent,
)
from selfcast.settings import ActionQuota, PaymentSettings, QuotaSettings, Settings
from tests.platform.stripe_standin import sign

WHSEC = "whsec_hostile_" + "h" * 20


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    quotas = QuotaSettings(
        avatar_generate=ActionQuota(per_hour=5, per_day=5, unfunded_per_day=0),
        upload=ActionQuota(per_hour=1, per_day=10, unfunded_per_day=10),
        voice_clone=ActionQuota(per_hour=0, per_day=0, unfunded_per_day=0),
    )
    return settings.model_copy(
        update={"payments": PaymentSettings(stripe_webhook_secret=WHSEC), "quotas": quotas}
    )


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings)) as c:
        yield c


def _store(c: TestClient) -> Store:
    return c.app.state.platform.store  # type: ignore[attr-defined,no-any-return]


def _key(c: TestClient, email: str = "h@x.io", credits: int = 0) -> tuple[str, dict[str, str]]:
    with _store(c).write() as db:
        acct = accounts.sign_up(db, email, None)
        acct.developer = True
        key = keys.create(db, acct.id, "hostile")
        if credits:
            ledger.credit(db, acct.id, credits, kind="grant")
    return acct.id, {"Authorization": f"DevKey {key.secret}"}


def _count(c: TestClient, model: type) -> int:
    with _store(c).read() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


# ---- correctly signed, malformed Stripe events ---------------------------------------------------
def _ev(data: object, **top: object) -> bytes:
    return json.dumps({"id": "evt_hostile", "type": "charge.refunded", "data": data, **top}).encode()


# (case, signed body, words the 400 must contain)
EVENTS = [
    ("body-a-list", b"[1, 2]", "expected a JSON object"),
    ("data-a-list", _ev([{"object": {}}]), "data must be a JSON object"),
    ("object-a-string", _ev({"object": "ch_1"}), "data.object (it must be a JSON object)"),
    ("amount-a-string", _ev({"object": {"payment_intent": "pi_h", "amount": "799"}}), "data.object.amount"),
    ("amount-negative", _ev({"object": {"payment_intent": "pi_h", "amount": -5}}), "data.object.amount"),
    ("refunded-a-float", _ev({"object": {"payment_intent": "pi_h", "amount": 799, "amount_refunded": 1.5}}),
     "data.object.amount_refunded"),
    ("payment-intent-a-list", _ev({"object": {"payment_intent": ["pi_h"], "amount": 799}}),
     "data.object.payment_intent"),
    ("metadata-a-string", _ev({"object": {"metadata": "tu_1"}}, type="checkout.session.completed"),
     "data.object.metadata must be an object"),
    ("reference-a-number", _ev({"object": {"client_reference_id": 12}}, type="checkout.session.completed"),
     "data.object.client_reference_id"),
    ("dispute-amount-a-bool", _ev({"object": {"id": "dp_1", "payment_intent": "pi_h", "amount": True}},
                                  type="charge.dispute.created"), "data.object.amount"),
    ("event-id-too-long", json.dumps({"id": "evt_" + "x" * 300, "type": "charge.refunded",
                                      "data": {"object": {}}}).encode(), "id must be a string of 1–200"),
    ("type-missing", json.dumps({"id": "evt_1", "data": {"object": {}}}).encode(), "type must be a string"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "body", "words"), EVENTS, ids=[e[0] for e in EVENTS])
def test_a_signed_but_malformed_event_is_a_400_naming_the_field(client, case, body, words) -> None:  # type: ignore[no-untyped-def]
    acct, _ = _key(client)
    with _store(client).write() as db:  # a paid top-up the events could touch
        db.add(TopUp(id="tu_h", account_id=acct, product_id="pack_800", credits=800, amount_cents=799,
                     provider="stripe", status="paid", payment_ref="pi_h"))  # fmt: skip
        ledger.credit(db, acct, 800, kind="topup", ref="topup:tu_h")
    r = client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body, WHSEC)})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "bad_input" and words in r.json()["message"], r.json()
    assert _count(client, WebhookEvent) == 0  # nothing recorded: a fixed delivery is applied in full
    assert _count(client, LedgerEntry) == 1
    with _store(client).read() as db:
        assert db.get(TopUp, "tu_h").status == "paid"  # type: ignore[union-attr]


# ---- free work past its quota ----------------------------------------------------------------------
def test_an_upload_past_the_hourly_quota_is_429_with_retry_after_and_writes_nothing(client) -> None:  # type: ignore[no-untyped-def]
    _, h = _key(client)
    files = {"file": ("a.wav", b"not audio", "audio/wav")}
    assert client.post("/proxy/minimax/v1/files/upload", headers=h, files=files).status_code == 400  # counted
    r = client.post("/proxy/minimax/v1/files/upload", headers=h, files=files)
    assert r.status_code == 429 and 3500 <= int(r.headers["Retry-After"]) <= 3600
    body = r.json()
    assert (
        body["code"] == "rate_limited"
        and "1 per hour for each account (quotas.upload.per_hour)" in body["message"]
    )
    assert body["base_resp"]["status_code"] == 1002  # MiniMax's own rate-limit code
    assert _count(client, Upload) == 0 and _count(client, UsageEvent) == 1


def test_voice_cloning_turned_off_is_429_naming_the_setting_and_writes_nothing(client) -> None:  # type: ignore[no-untyped-def]
    _, h = _key(client, credits=500)
    r = client.post(
        "/v1/voices", headers=h, files={"audio": ("a.wav", b"x", "audio/wav")}, data={"name": "v"}
    )
    assert r.status_code == 429 and r.headers["Retry-After"] == "3600"
    assert (
        "voice clones are turned off on this server (quotas.voice_clone.per_hour = 0)" in r.json()["message"]
    )
    assert _count(client, Voice) == 0 and _count(client, UsageEvent) == 0


def test_avatar_generation_at_zero_credits_is_429_naming_the_unfunded_allowance(client) -> None:  # type: ignore[no-untyped-def]
    _, h = _key(client)
    r = client.post("/proxy/openai/v1/images/generations", headers=h, json={"prompt": "a face"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 86400
    assert "quotas.avatar_generate.unfunded_per_day = 0" in r.json()["message"]
    assert _count(client, Avatar) == 0
    assert not list((client.app.state.platform.settings.data_dir / "avatars").glob("**/*.png"))  # type: ignore[attr-defined]


# ---- operator grants from the CLI ------------------------------------------------------------------
@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("SELFCAST_CONFIG", raising=False)
    monkeypatch.delenv("SELFCAST_DATABASE_URL", raising=False)
    monkeypatch.setenv("SELFCAST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SELFCAST_PRICING__MAX_BALANCE_CREDITS", "2000000")
    return Settings()


# (case, amount, words the refusal must contain)
GRANTS = [
    (
        "overflowing-grant",
        "9200000000000000",
        "over the limit of 1,000,000 per grant (pricing.max_grant_credits)",
    ),
    ("over-one-grant", "1000001", "SELFCAST_PRICING__MAX_GRANT_CREDITS"),
    (
        "over-the-balance",
        "1000000",
        "over the maximum balance of 2,000,000 (pricing.max_balance_credits); grant at most 999,000",
    ),
]


@pytest.mark.parametrize(("case", "amount", "words"), GRANTS, ids=[g[0] for g in GRANTS])
def test_an_unbounded_grant_exits_2_naming_the_limit_and_writes_nothing(
    cli_env: Settings, capsys: pytest.CaptureFixture, case: str, amount: str, words: str
) -> None:
    assert main(["keys", "create", "--email", "g@x.io"]) == 0
    assert main(["credits", "grant", "1000000", "--email", "g@x.io"]) == 0
    assert main(["credits", "grant", "1000", "--email", "g@x.io"]) == 0
    capsys.readouterr()
    assert main(["credits", "grant", amount, "--email", "g@x.io"]) == 2
    assert words in capsys.readouterr().err
    store = Store.open(cli_env.db_url)
    with store.read() as db:
        assert db.scalar(select(func.count()).select_from(LedgerEntry)) == 2
        assert ledger.balance(db, accounts.by_email(db, "g@x.io").id).available == 1_001_000
    store.dispose()


def test_a_portal_upload_past_the_quota_is_429_with_retry_after_in_json_and_in_the_page(client) -> None:  # type: ignore[no-untyped-def]
    from tests.portal.helpers import csrf_of, sign_up

    sign_up(client, "studio@example.com", "studio studio studio")
    token = csrf_of(client.get("/account/media").text)
    png = {"image": ("a.png", b"not a png", "image/png")}
    first = client.post(
        "/account/avatars", files=png, data={"csrf_token": token}, headers={"Accept": "application/json"}
    )
    assert first.status_code == 400  # refused input still counts: the server decoded it
    r = client.post(
        "/account/avatars", files=png, data={"csrf_token": token}, headers={"Accept": "application/json"}
    )
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 3500
    assert "quotas.upload.per_hour" in r.json()["error"]["message"]
    page = client.post(
        "/account/avatars", files=png, data={"csrf_token": token}
    )  # no script: the page itself
    assert page.status_code == 429 and "Retry-After" in page.headers and "quotas.upload.per_hour" in page.text
    assert _count(client, Avatar) == 0
