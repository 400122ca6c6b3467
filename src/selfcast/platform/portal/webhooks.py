"""The Webhooks & consent page: the account's webhook endpoints (add, with the signing secret
shown once; delete; recent deliveries) and its default consent announcement. Every form is
CSRF-checked like the rest of the portal; the secret is revealed once, sealed like a new key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from selfcast.errors import BadInput
from selfcast.platform import consent
from selfcast.platform.portal import websessions
from selfcast.platform.portal.web import Portal
from selfcast.platform.webhooks import endpoints
from selfcast.platform.webhooks.events import EVENT_TYPES

RECENT = 10  # deliveries shown per endpoint


def add_routes(router: APIRouter, portal: Portal) -> None:
    csrf = Depends(portal.check_csrf)

    def page(request: Request, status: int = 200, **extra: Any) -> Response:
        viewer = portal.viewer(request)
        store = portal.platform(request).store
        revealed = None
        with store.read() as db:
            pending = websessions.has_reveal(db, viewer)
        if pending:
            with store.write() as db:
                revealed = websessions.pop_reveal(db, viewer)
        with store.read() as db:
            hooks = [(h, endpoints.deliveries(db, viewer.account_id, h.id, limit=RECENT))
                     for h in endpoints.list_for(db, viewer.account_id)]
            announce = consent.get(db, viewer.account_id)
        new_id = request.query_params.get("new")
        new_hook = next((h for h, _ in hooks if h.id == new_id), None) if revealed else None
        return portal.render(
            request, "webhooks.html", status=status, active="webhooks", hooks=hooks, revealed=revealed,
            new_hook=new_hook, event_types=EVENT_TYPES, consent=extra.pop("consent", announce),
            default_text=consent.DEFAULT_TEXT, **extra,
        )  # fmt: skip

    @router.get("/account/webhooks")
    def webhooks_page(request: Request) -> Response:
        return page(request)

    @router.post("/account/webhooks", dependencies=[csrf])
    async def add_webhook(request: Request, url: str = Form("")) -> Response:
        viewer = portal.viewer(request)
        chosen = [str(v) for v in (await request.form()).getlist("events")]
        store = portal.platform(request).store
        try:
            with store.write() as db:
                new = endpoints.create(db, viewer.account_id, url, chosen, box=portal.platform(request).webhooks.box,
                                       allow_loopback=portal.settings.webhooks.allow_loopback)
                websessions.stash_reveal(db, viewer, new.secret)
                hook_id = new.row.id
        except BadInput as exc:
            return page(request, status=400, hook_error=exc.message, hook_url=url)
        return portal.redirect(f"/account/webhooks?new={hook_id}#new-webhook")

    @router.post("/account/webhooks/{hook_id}/delete", dependencies=[csrf])
    def delete_webhook(request: Request, hook_id: str) -> Response:
        viewer = portal.viewer(request)
        with portal.platform(request).store.write() as db:
            url = endpoints.get(db, viewer.account_id, hook_id).url
            endpoints.remove(db, viewer.account_id, hook_id)
        resp = portal.redirect("/account/webhooks")
        portal.flash(request, resp, f"Webhook to {url[:80]} deleted; its pending deliveries will not be sent.")
        return resp

    @router.post("/account/consent", dependencies=[csrf])
    def save_consent(request: Request, announce: str = Form(""), text: str = Form("")) -> Response:
        viewer = portal.viewer(request)
        try:
            with portal.platform(request).store.write() as db:
                consent.update(db, viewer.account_id, announce=announce == "on", text=text)
        except BadInput as exc:
            return page(request, status=400, consent_error=exc.message,
                        consent=consent.AccountConsent(announce == "on", text))
        resp = portal.redirect("/account/webhooks#consent")
        portal.flash(request, resp, "Announcement saved." if announce == "on" else "Announcement off by default.")
        return resp
