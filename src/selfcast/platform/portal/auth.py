"""Sign up, sign in (email + password, or an OIDC provider), sign out, reset a password."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from selfcast.errors import BadInput, Conflict, NotFound, SelfcastError, Unauthorized
from selfcast.platform import accounts
from selfcast.platform.billing import ledger
from selfcast.platform.ids import utcnow
from selfcast.platform.portal import resets, websessions
from selfcast.platform.portal.web import OIDC_COOKIE, SESSION_COOKIE, Portal, safe_next
from selfcast.platform.store.models import Account, OidcIdentity

FAILED_SIGNIN_DELAY_S = 0.5  # every failure costs the guesser half a second more


def _client_addr(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def add_routes(router: APIRouter, portal: Portal) -> None:
    settings = portal.settings
    csrf = Depends(portal.check_csrf)

    def start_session(request: Request, account_id: str, target: str) -> Response:
        store = portal.platform(request).store
        with store.write() as db:
            token = websessions.create(
                db,
                account_id,
                days=settings.portal.session_days,
                user_agent=request.headers.get("user-agent", ""),
            )
        resp = portal.redirect(safe_next(target))
        portal.set_cookie(request, resp, SESSION_COOKIE, token, int(settings.portal.session_days * 86400))
        return resp

    # ---- sign in ---------------------------------------------------------------------------
    @router.get("/signin")
    def signin_page(request: Request, next: str = "") -> Response:
        if portal.viewer_or_none(request):
            return portal.redirect(safe_next(next))
        return portal.render(request, "signin.html", next=safe_next(next), email="")

    @router.post("/signin", dependencies=[csrf])
    async def signin(
        request: Request, email: str = Form(""), password: str = Form(""), next: str = Form("")
    ) -> Response:
        addr, who = [_client_addr(request)], [email.strip().lower()[:320]]
        wait = max(portal.throttle.retry_after(who), portal.addr_throttle.retry_after(addr))
        if wait > 0:
            resp = portal.render(
                request, "signin.html", status=429, next=safe_next(next), email=email,
                error=f"Too many failed sign-ins. Wait {int(wait) + 1} seconds, then try again "
                "(or ask your operator for a reset link).",
            )  # fmt: skip
            resp.headers["Retry-After"] = str(int(wait) + 1)
            return resp
        store = portal.platform(request).store

        def check() -> str:
            with store.write() as db:
                return accounts.login(db, email, password).id

        try:
            account_id = await run_in_threadpool(check)
        except Unauthorized as exc:
            portal.throttle.failed(who)
            portal.addr_throttle.failed(addr)
            await asyncio.sleep(FAILED_SIGNIN_DELAY_S)
            return portal.render(
                request, "signin.html", status=401, next=safe_next(next), email=email, error=exc.message
            )
        portal.throttle.succeeded(who[0])
        return await run_in_threadpool(start_session, request, account_id, next)

    # ---- sign up ---------------------------------------------------------------------------
    @router.get("/signup")
    def signup_page(request: Request) -> Response:
        if portal.viewer_or_none(request):
            return portal.redirect("/account/model-settings")
        return portal.render(request, "signup.html", email="")

    @router.post("/signup", dependencies=[csrf])
    def signup(
        request: Request, email: str = Form(""), password: str = Form(""), password2: str = Form("")
    ) -> Response:
        store = portal.platform(request).store

        def create() -> str:
            if password != password2:
                raise BadInput("the two passwords differ; type the same password twice")
            with store.write() as db:
                acct = accounts.sign_up(db, email, password, developer=True)
                if settings.pricing.starter_credits > 0:
                    ledger.credit(
                        db, acct.id, settings.pricing.starter_credits, kind="grant",
                        ref=f"starter:{acct.id}", note="starter credits",
                    )  # fmt: skip
                return acct.id

        try:
            account_id = create()
        except (BadInput, Conflict) as exc:
            return portal.render(
                request, "signup.html", status=exc.http_status, email=email, error=exc.message
            )
        return start_session(request, account_id, "/account/model-settings")

    # ---- sign out --------------------------------------------------------------------------
    @router.post("/signout", dependencies=[csrf])
    def signout(request: Request) -> Response:
        viewer = portal.viewer_or_none(request)
        if viewer is not None:
            with portal.platform(request).store.write() as db:
                websessions.destroy(db, viewer.token)
        resp = portal.redirect("/signin")
        portal.clear_cookie(request, resp, SESSION_COOKIE)
        portal.flash(request, resp, "You are signed out.")
        return resp

    # ---- password reset (operator-issued link) ----------------------------------------------
    @router.get("/reset/{token}")
    def reset_page(request: Request, token: str) -> Response:
        with portal.platform(request).store.read() as db:
            acct = resets.check(db, portal.signer, token)
        return portal.render(request, "reset.html", email=acct.email, token=token)

    @router.post("/reset/{token}", dependencies=[csrf])
    def reset(request: Request, token: str, password: str = Form(""), password2: str = Form("")) -> Response:
        store = portal.platform(request).store

        def change() -> str:
            with store.write() as db:
                acct = resets.check(db, portal.signer, token)
                if password != password2:
                    raise BadInput("the two passwords differ; type the same password twice")
                accounts.set_password(db, acct.id, password)
                websessions.destroy_all(db, acct.id)
                return acct.id

        try:
            account_id = change()
        except BadInput as exc:
            if exc.message == resets.INVALID:
                raise
            with store.read() as db:
                email = resets.check(db, portal.signer, token).email
            return portal.render(
                request, "reset.html", status=400, email=email, token=token, error=exc.message
            )
        return start_session(request, account_id, "/account/model-settings")

    # ---- OpenID Connect ---------------------------------------------------------------------
    def redirect_uri(request: Request) -> str:
        return f"{settings.base_url}/auth/oidc/callback"

    @router.get("/auth/oidc/start")
    def oidc_start(request: Request, next: str = "") -> Response:
        if portal.oidc is None:
            raise NotFound("sign-in with an identity provider is not configured on this server")
        url, flow = portal.oidc.start(redirect_uri(request))
        resp = portal.redirect(url)
        cookie = portal.signer.dumps("oidc", {**flow, "next": safe_next(next)}, 600)
        portal.set_cookie(request, resp, OIDC_COOKIE, cookie, 600)
        return resp

    @router.get("/auth/oidc/callback")
    def oidc_callback(
        request: Request, code: str = "", state: str = "", error: str = "", error_description: str = ""
    ) -> Response:
        if portal.oidc is None:
            raise NotFound("sign-in with an identity provider is not configured on this server")
        flow = portal.signer.loads("oidc", request.cookies.get(OIDC_COOKIE, "")) or {}
        try:
            if error:
                raise Unauthorized(f"{portal.oidc.label} did not sign you in: {error_description or error}")
            claims = portal.oidc.finish(code=code, state=state, flow=flow, redirect_uri=redirect_uri(request))
            account_id = _account_for(portal, request, claims)
        except SelfcastError as exc:
            resp = portal.render(
                request, "signin.html", status=exc.http_status, next="/account/model-settings", email="",
                error=exc.message,
            )  # fmt: skip
            portal.clear_cookie(request, resp, OIDC_COOKIE)
            return resp
        resp = start_session(request, account_id, flow.get("next", ""))
        portal.clear_cookie(request, resp, OIDC_COOKIE)
        return resp


def _account_for(portal: Portal, request: Request, claims) -> str:  # type: ignore[no-untyped-def]
    """The linked account, else the account with the same verified email, else a new one."""
    with portal.platform(request).store.write() as db:
        link = db.get(OidcIdentity, (claims.issuer, claims.subject))
        if link is not None:
            return link.account_id
        if not claims.email or not claims.email_verified:
            raise Unauthorized(
                f"{portal.oidc.label if portal.oidc else 'the provider'} did not share a verified email "
                "address; sign up with email and password instead"
            )
        acct = db.scalar(select(Account).where(Account.email == accounts.normalize_email(claims.email)))
        if acct is None:
            acct = accounts.sign_up(db, claims.email, None, developer=True)
            starter = portal.settings.pricing.starter_credits
            if starter > 0:
                ledger.credit(
                    db, acct.id, starter, kind="grant", ref=f"starter:{acct.id}", note="starter credits"
                )
        db.add(
            OidcIdentity(
                issuer=claims.issuer, subject=claims.subject, account_id=acct.id, email=claims.email,
                created_at=utcnow(),
            )
        )  # fmt: skip
        return acct.id
