"""Developer Account pages: Model Settings (keys, agent defaults), Usage (balance, chart,
sessions, transcripts and notes) and Top up (packs, checkout, the invoice's pending state)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, Response

from selfcast.errors import BadInput, NotFound, SelfcastError
from selfcast.platform import avatars, keys, voices
from selfcast.platform.billing import ledger
from selfcast.platform.billing.pricing import products
from selfcast.platform.payments import topups
from selfcast.platform.portal import defaults, media, usage, websessions
from selfcast.platform.portal.web import Portal


def add_routes(router: APIRouter, portal: Portal) -> None:
    settings = portal.settings
    csrf = Depends(portal.check_csrf)

    @router.get("/account")
    def account(request: Request) -> Response:
        portal.viewer(request)
        return portal.redirect("/account/model-settings")

    # ---- Model Settings ---------------------------------------------------------------------
    def model_settings(request: Request, status: int = 200, **extra: Any) -> Response:
        viewer = portal.viewer(request)
        store = portal.platform(request).store
        with store.read() as db:
            pending = websessions.has_reveal(db, viewer)
        revealed = None
        if pending:
            with store.write() as db:  # popping the reveal is a write; most views skip it
                revealed = websessions.pop_reveal(db, viewer)
        with store.read() as db:
            key_rows = keys.list_keys(db, viewer.account_id)
            agent = defaults.get(db, viewer.account_id)
            voice_rows = voices.list_voices(db, viewer.account_id)
            avatar_rows = avatars.list_avatars(db, viewer.account_id)
        new_id = request.query_params.get("new")
        new_key = next((k for k in key_rows if k.id == new_id), None) if revealed else None
        return portal.render(
            request, "model_settings.html", status=status, active="model-settings",
            keys=list(reversed(key_rows)), revealed=revealed, new_key=new_key, agent=extra.pop("agent", agent),
            voices=voice_rows, builtin_voices=media.builtin_voice_ids(settings), avatars=avatar_rows,
            languages=defaults.LANGUAGES, **extra,
        )  # fmt: skip

    @router.get("/account/model-settings")
    def model_settings_page(request: Request) -> Response:
        return model_settings(request)

    @router.post("/account/keys", dependencies=[csrf])
    def create_key(request: Request, name: str = Form("")) -> Response:
        viewer = portal.viewer(request)
        store = portal.platform(request).store

        def create() -> str:
            if not name.strip():
                raise BadInput("give the key a name, e.g. MeetBot-Production, so you can tell keys apart")
            with store.write() as db:
                new = keys.create(db, viewer.account_id, name)
                websessions.stash_reveal(db, viewer, new.secret)
                return new.id

        try:
            key_id = create()
        except BadInput as exc:
            return model_settings(request, status=400, key_error=exc.message, key_name=name)
        return portal.redirect(f"/account/model-settings?new={key_id}#new-key")

    @router.get("/account/keys/{key_id}/revoke")
    def revoke_confirm(request: Request, key_id: str) -> Response:
        viewer = portal.viewer(request)
        with portal.platform(request).store.read() as db:
            row = next((k for k in keys.list_keys(db, viewer.account_id) if k.id == key_id), None)
        if row is None:
            raise NotFound(f"no key {key_id} in this account")
        return portal.render(request, "key_revoke.html", active="model-settings", key=row)

    @router.post("/account/keys/{key_id}/revoke", dependencies=[csrf])
    def revoke(request: Request, key_id: str) -> Response:
        viewer = portal.viewer(request)
        with portal.platform(request).store.write() as db:
            row = keys.revoke(db, viewer.account_id, key_id)
            label = row.name or row.prefix
        resp = portal.redirect("/account/model-settings#keys")
        portal.flash(request, resp, f"Key “{label}” is revoked. Requests with it are now refused.")
        return resp

    @router.post("/account/defaults", dependencies=[csrf])
    def save_defaults(
        request: Request,
        voice_id: str = Form(""),
        avatar_id: str = Form(""),
        bot_name: str = Form(""),
        language: str = Form("en"),
        max_duration_min: str = Form(""),
        alone_timeout_min: str = Form(""),
    ) -> Response:
        viewer = portal.viewer(request)
        try:
            with portal.platform(request).store.write() as db:
                defaults.update(
                    db, viewer.account_id, voice_id=voice_id, avatar_id=avatar_id, bot_name=bot_name,
                    language=language, max_duration_min=max_duration_min, alone_timeout_min=alone_timeout_min,
                    builtin_voices=media.builtin_voice_ids(settings),
                )  # fmt: skip
        except (BadInput, NotFound) as exc:
            typed = defaults.Defaults(
                voice_id=voice_id, avatar_id=avatar_id, bot_name=bot_name, language=language,
            )  # fmt: skip
            return model_settings(request, status=400, defaults_error=exc.message, agent=typed)
        resp = portal.redirect("/account/model-settings#defaults")
        portal.flash(request, resp, "Agent defaults saved.")
        return resp

    # ---- Usage ------------------------------------------------------------------------------
    @router.get("/account/usage")
    def usage_page(request: Request) -> Response:
        viewer = portal.viewer(request)
        with portal.platform(request).store.read() as db:
            bal = ledger.balance(db, viewer.account_id)
            days = usage.daily_use(db, viewer.account_id)
            lines = usage.sessions(db, viewer.account_id)
        return portal.render(
            request, "usage.html", active="usage", balance=bal, days=days, chart=usage.chart_svg(days),
            sessions=lines, pricing=settings.pricing, total_used=sum(d.credits for d in days),
        )  # fmt: skip

    @router.get("/account/sessions/{session_id}")
    def session_page(request: Request, session_id: str) -> Response:
        viewer = portal.viewer(request)
        registry = portal.platform(request).registry
        with portal.platform(request).store.read() as db:
            row = registry.get(db, viewer.account_id, session_id)  # another account's: 404
            segments = registry.transcript(db, viewer.account_id, session_id)
            notes = registry.notes(db, viewer.account_id, session_id)
            cost = usage.session_cost(db, session_id)
        return portal.render(
            request, "session.html", active="usage", s=usage.line(row, cost), row=row, segments=segments,
            notes=notes,
        )  # fmt: skip

    # ---- Top up -----------------------------------------------------------------------------
    def topup(request: Request, status: int = 200, **extra: Any) -> Response:
        viewer = portal.viewer(request)
        with portal.platform(request).store.read() as db:
            bal = ledger.balance(db, viewer.account_id)
            recent = topups.list_topups(db, viewer.account_id, limit=10)
        return portal.render(
            request, "topup.html", status=status, active="topup", balance=bal,
            packs=products(settings.pricing), recent=recent, pricing=settings.pricing,
            provider=portal.platform(request).payments.name, **extra,
        )  # fmt: skip

    @router.get("/account/topup")
    def topup_page(request: Request) -> Response:
        return topup(request)

    @router.post("/account/topup", dependencies=[csrf])
    def start_topup(request: Request, product_id: str = Form("")) -> Response:
        viewer = portal.viewer(request)
        platform = portal.platform(request)
        try:
            row = topups.start(
                platform.store, platform.payments, settings.pricing, viewer.account_id, product_id or None
            )  # fmt: skip
        except SelfcastError as exc:
            return topup(request, status=exc.http_status, error=exc.message)
        if platform.payments.name == "invoice":
            return portal.redirect(f"/account/topup/{row.id}")
        return portal.redirect(row.checkout_url)

    def topup_state(request: Request, topup_id: str) -> dict[str, Any]:
        viewer = portal.viewer(request)
        with portal.platform(request).store.read() as db:
            row = topups.get(db, viewer.account_id, topup_id)
            bal = ledger.balance(db, viewer.account_id)
            return {
                "id": row.id, "status": row.status, "credits": row.credits, "amount_cents": row.amount_cents,
                "provider": row.provider, "created_at": row.created_at, "paid_at": row.paid_at,
                "checkout_url": row.checkout_url, "balance": bal.available,
            }  # fmt: skip

    @router.get("/account/topup/{topup_id}")
    def topup_status_page(request: Request, topup_id: str) -> Response:
        state = topup_state(request, topup_id)
        return portal.render(request, "topup_status.html", active="topup", t=state)

    @router.get("/account/topup/{topup_id}/status.json")
    def topup_status(request: Request, topup_id: str) -> Response:
        state = topup_state(request, topup_id)
        body = {k: state[k] for k in ("id", "status", "credits", "balance")}
        return JSONResponse(body, headers={"Cache-Control": "no-store"})
