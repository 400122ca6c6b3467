"""Webhooks and the consent default outside the API: ``selfcast webhooks add|list|remove`` and the
portal's Webhooks & consent page (secret shown once, CSRF-checked forms, another account's
endpoint a 404), on a real server with SQLite."""

from __future__ import annotations

import httpx
from standardwebhooks import Webhook

from selfcast.platform import accounts, consent
from selfcast.platform.webhooks import endpoints
from selfcast.platform.webhooks.secretbox import SecretBox
from tests.portal.helpers import Portal, csrf_of, sign_up

PASSWORD = "a long enough password"
PUBLIC = "https://93.184.215.14/selfcast/hooks"  # a public address: nothing is sent in these tests


def test_cli_adds_lists_and_removes_webhooks(portal: Portal) -> None:
    with portal.store.write() as db:
        accounts.get_or_create(db, "hook-cli@example.com")
    r = portal.cli("webhooks", "add", PUBLIC, "--email", "hook-cli@example.com", "--event", "notes.ready")
    assert r.returncode == 0, r.stderr
    hook_id, url, events = r.stdout.splitlines()[0].split()
    secret = r.stdout.splitlines()[1].removeprefix("secret: ")
    assert (url, events) == (PUBLIC, "notes.ready") and secret.startswith("whsec_") and "not shown again" in r.stderr
    Webhook(secret)  # a valid Standard Webhooks secret
    r = portal.cli("webhooks", "list", "--email", "hook-cli@example.com")
    assert r.returncode == 0 and hook_id in r.stdout and "no deliveries" in r.stdout and secret not in r.stdout
    r = portal.cli("webhooks", "add", "ftp://example.com/x", "--email", "hook-cli@example.com")
    assert r.returncode == 2 and "scheme 'ftp' is not allowed" in r.stderr
    r = portal.cli("webhooks", "remove", hook_id, "--email", "hook-cli@example.com")
    assert r.returncode == 0 and f"removed {hook_id}" in r.stdout
    r = portal.cli("webhooks", "remove", hook_id, "--email", "hook-cli@example.com")
    assert r.returncode == 3 and f"no webhook {hook_id} in this account" in r.stderr


def test_portal_page_adds_reveals_once_deletes_and_saves_the_announcement(portal: Portal) -> None:
    c = httpx.Client(base_url=portal.url, timeout=30)
    sign_up(c, "hook-page@example.com", PASSWORD)
    page = c.get("/account/webhooks")
    assert page.status_code == 200 and 'href="/account/webhooks" aria-current="page"' in page.text
    token = csrf_of(page.text)
    assert c.post("/account/webhooks", data={"url": PUBLIC}).status_code == 403  # no CSRF token
    bad = c.post("/account/webhooks", data={"csrf_token": token, "url": "https://10.0.0.7/h"})
    assert bad.status_code == 400 and "a private address" in bad.text
    r = c.post("/account/webhooks", data={"csrf_token": token, "url": PUBLIC, "events": ["session.state"]},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/account/webhooks?new=whk_")
    shown = c.get(r.headers["location"])
    secret = shown.text.split('id="new-webhook-secret" class="mono" readonly value="')[1].split('"')[0]
    assert secret.startswith("whsec_") and PUBLIC in shown.text
    assert secret not in c.get("/account/webhooks").text  # once only
    with portal.store.read() as db:
        acct = accounts.by_email(db, "hook-page@example.com")
        (hook,) = endpoints.list_for(db, acct.id)
    assert hook.events == "session.state" and secret not in hook.secret  # sealed at rest
    assert SecretBox.for_settings(portal.settings).open(hook.secret) == secret

    other = httpx.Client(base_url=portal.url, timeout=30)
    sign_up(other, "hook-page-other@example.com", PASSWORD)
    r = other.post(f"/account/webhooks/{hook.id}/delete", data={"csrf_token": csrf_of(other.get("/account/webhooks").text)},
                   follow_redirects=False)
    assert r.status_code == 404

    r = c.post("/account/consent", data={"csrf_token": token, "announce": "on", "text": "{name} listens for {boss}"})
    assert r.status_code == 400 and "uses {boss}" in r.text
    r = c.post("/account/consent", data={"csrf_token": token, "announce": "on", "text": "{name} transcribes, for {owner}."},
               follow_redirects=False)
    assert r.status_code == 303
    with portal.store.read() as db:
        assert consent.get(db, acct.id) == consent.AccountConsent(True, "{name} transcribes, for {owner}.")
        assert consent.resolve(db, acct.id, announce=None, text=None, bot_name="Ada (AI)") == (
            "Ada transcribes, for Hook Page.")
    r = c.post(f"/account/webhooks/{hook.id}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    after = c.get("/account/webhooks")
    assert "deleted" in after.text and "No webhooks yet." in after.text
