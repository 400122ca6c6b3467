"""A worker started by ``LocalExecutor`` sees none of the server's secrets: not in its
environment, not in the settings it is handed (issue 14, item 7)."""

from __future__ import annotations

import json
import os

import pytest

from selfcast.platform import accounts
from selfcast.platform.billing import ledger
from selfcast.platform.sessions.executor import LocalExecutor, worker_env
from selfcast.platform.sessions.registry import SessionRegistry, SessionRequest
from selfcast.platform.store import Store
from selfcast.settings import Settings
from tests.platform.helpers import REPO, wait_for

SERVER_ENV_SECRETS = {  # what an operator's server environment typically holds
    "SELFCAST_PAYMENTS__STRIPE_SECRET_KEY": "sk_live_envStripeSecret0123456789",
    "SELFCAST_PAYMENTS__STRIPE_WEBHOOK_SECRET": "whsec_envWebhookSecret0123456789",
    "SELFCAST_PORTAL__OIDC_CLIENT_SECRET": "env-oidc-client-secret-5521",
    "SELFCAST_SECRET_KEY": "env-server-signing-key-99120",
    "AWS_SECRET_ACCESS_KEY": "env-aws-secret-access-key-7781",
    "GITHUB_TOKEN": "ghp_envGithubToken012345678901234567",
    "DATABASE_PASSWORD": "env-database-password-4410",
}
SETTINGS_SECRETS = {
    "stripe": "sk_live_setStripeSecret0123456789",
    "webhook": "whsec_setWebhookSecret0123456789",
    "oidc": "set-oidc-client-secret-1187",
    "signing": "set-server-signing-key-30021",
}


def _settings(settings: Settings) -> Settings:
    return settings.model_copy(update={
        "secret_key": SETTINGS_SECRETS["signing"],
        "payments": settings.payments.model_copy(update={
            "provider": "stripe", "stripe_secret_key": SETTINGS_SECRETS["stripe"],
            "stripe_webhook_secret": SETTINGS_SECRETS["webhook"]}),
        "portal": settings.portal.model_copy(update={
            "oidc_issuer": "https://id.example.com", "oidc_client_id": "selfcast",
            "oidc_client_secret": SETTINGS_SECRETS["oidc"]}),
        "brain": settings.brain.model_copy(update={"provider": "openai", "key": "brain-key-the-worker-needs"}),
    })


def test_a_worker_sees_no_server_secret_in_its_environment_or_settings(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in SERVER_ENV_SECRETS.items():
        monkeypatch.setenv(k, v)
    settings = _settings(settings)
    settings.ensure_dirs()
    store = Store.open(settings.db_url)
    try:
        registry = SessionRegistry(store, settings)
        with store.write() as db:
            acct = accounts.sign_up(db, "env@x.io", None)
            ledger.credit(db, acct.id, 1000, kind="grant")
        sid = "sess_env"
        registry.create(acct.id, sid, SessionRequest(meet_url="https://meet.google.com/abc-defg-hij",
                                                     platform="google_meet", bot_name="Ada",
                                                     voice_id="English_radiant_girl"))
        executor = LocalExecutor(settings, runner="tests.platform.env_runner:run", extra_env={"PYTHONPATH": str(REPO)})
        executor.start(sid)
        report_path = settings.data_dir / "worker-env.json"
        wait_for(report_path.exists, timeout=60)
        executor.shutdown(grace_s=10)
    finally:
        store.dispose()
    text = report_path.read_text()
    report = json.loads(text)
    leaked = [v for v in [*SERVER_ENV_SECRETS.values(), *SETTINGS_SECRETS.values()] if v in text]
    assert leaked == []
    assert not any(k.startswith("SELFCAST_") and k != "SELFCAST_WORKER_SETTINGS" for k in report["environ"])
    # what it does need still arrives: how to run, where home is, its database and its engines' keys
    assert {"PATH", "HOME"} <= set(report["environ"])
    assert report["db_url"] == settings.db_url
    assert report["settings"]["brain"]["key"] == "brain-key-the-worker-needs"


def test_the_worker_environment_is_an_allow_list() -> None:
    env = worker_env({"PATH": "/bin", "HOME": "/root", "LC_ALL": "C", "STRIPE_API_KEY": "x", "OPENAI_API_KEY": "y",
                      "SELFCAST_SECRET_KEY": "z", "HF_TOKEN": "t"}, {"SELFCAST_WORKER_SETTINGS": "{}"})
    assert env == {"PATH": "/bin", "HOME": "/root", "LC_ALL": "C", "SELFCAST_WORKER_SETTINGS": "{}"}
    assert "HF_TOKEN" not in env and os.environ is not env
