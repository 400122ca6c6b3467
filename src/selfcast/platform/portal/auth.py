"""Sign up, sign in (email + password, or an OIDC provider), sign out, reset a password."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from selfcast.errors import BadInput, Conflict, NotFound, SelfcastError, Unauthorized
from selfcast.platform import accounts
from selfcast.platform import mailer as accounts_mail
from selfcast.platform.billing import ledger
from selfcast.platform.ids import utcnow
from selfcast.platform.portal import resets, verify, websessions
from selfcast.platform.portal.oidc import Claims
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
        addr = _client_addr(request)
        who = email.strip().lower()[:320]
        pair = f"{addr}\0{who}"  # this source guessing this email: one stranger never locks the owner
        wait = max(
            portal.throttle.retry_after([pair]),
            portal.addr_throttle.retry_after([addr]),
            portal.account_spread.retry_after(who),  # many sources at once on one email
        )
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
            portal.throttle.failed([pair])
            portal.addr_throttle.failed([addr])
            portal.account_spread.failed(who, addr)
            await asyncio.sleep(FAILED_SIGNIN_DELAY_S)
            return portal.render(
                request, "signin.html", status=401, next=safe_next(next), email=email, error=exc.message
            )
        portal.throttle.succeeded(pair)
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
        """The same page whether or not the email is registered (the owner gets an email instead).

        Both paths hash a password and send one message, so neither the answer nor its timing
        says which emails have accounts; nobody is signed in here (a session cookie would tell)."""
        store = portal.platform(request).store

        def create() -> accounts_mail.Message:
            if password != password2:
                raise BadInput("the two passwords differ; type the same password twice")
            with store.write() as db:
                existing = db.scalar(select(Account).where(Account.email == accounts.normalize_email(email)))
                if existing is not None:
                    accounts.check_password_rules(password)
                    accounts.equalise_timing(password)
                    return verify.already_registered(settings, existing.email)
                acct = accounts.sign_up(db, email, password, developer=True)
                if settings.pricing.starter_credits > 0:
                    ledger.credit(
                        db, acct.id, settings.pricing.starter_credits, kind="grant",
                        ref=f"starter:{acct.id}", note="starter credits",
                    )  # fmt: skip
                return verify.welcome(portal.signer, settings, acct)

        try:
            message = create()
        except (BadInput, Conflict) as exc:
            return portal.render(
                request, "signup.html", status=exc.http_status, email=email, error=exc.message
            )
        portal.mailer.send(message)
        return portal.render(request, "signup_sent.html", email=message.to)

    # ---- email verification -----------------------------------------------------------------
    @router.get("/verify/{token}")
    def verify_email(request: Request, token: str) -> Response:
        with portal.platform(request).store.write() as db:
            verify.mark_verified(verify.check(db, portal.signer, token), "link")
        target = "/account/model-settings" if portal.viewer_or_none(request) else "/signin"
        resp = portal.redirect(target)
        portal.flash(request, resp, "Your email address is verified.")
        return resp

    @router.post("/account/verify", dependencies=[csrf])
    def resend_verification(request: Request) -> Response:
        viewer = portal.viewer(request)
        with portal.platform(request).store.read() as db:
            acct = accounts.get(db, viewer.account_id)
            message = None if acct.email_verified_at else verify.welcome(portal.signer, settings, acct)
        if message is not None:
            portal.mailer.send(message)
        resp = portal.redirect("/account/model-settings")
        portal.flash(
            request,
            resp,
            f"We sent a new verification link to {viewer.email}."
            if message
            else "Your email address is already verified.",
        )
        return resp

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
        return begin(request, {"next": safe_next(next)})

    @router.post("/account/oidc/link", dependencies=[csrf])
    def oidc_link(request: Request) -> Response:
        """The explicit link step: only a signed-in account can add a provider identity to itself."""
        viewer = portal.viewer(request)
        if portal.oidc is None:
            raise NotFound("sign-in with an identity provider is not configured on this server")
        return begin(request, {"next": "/account/model-settings", "link": viewer.account_id})

    def begin(request: Request, extra: dict[str, str]) -> Response:
        assert portal.oidc is not None
        url, flow = portal.oidc.start(redirect_uri(request))
        resp = portal.redirect(url)
        cookie = portal.signer.dumps("oidc", {**flow, **extra}, 600)
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
            linking = str(flow.get("link") or "")
            if linking:
                viewer = portal.viewer_or_none(request)
                if viewer is None or viewer.account_id != linking:
                    raise Unauthorized("sign in to the account you are linking first, then link again")
            account_id = _account_for(portal, request, claims, linking)
        except SelfcastError as exc:
            resp = portal.render(
                request, "signin.html", status=exc.http_status, next="/account/model-settings", email="",
                error=exc.message,
            )  # fmt: skip
            portal.clear_cookie(request, resp, OIDC_COOKIE)
            return resp
        if flow.get("link"):
            resp = portal.redirect("/account/model-settings")
            portal.flash(
                request, resp, f"{portal.oidc.label} is linked: you can sign in with it from now on."
            )
        else:
            resp = start_session(request, account_id, str(flow.get("next", "")))
        portal.clear_cookie(request, resp, OIDC_COOKIE)
        return resp


def _account_for(portal: Portal, request: Request, claims: Claims, linking: str) -> str:
    """The linked account; else, on an explicit link step, the signed-in account; else a new one.

    An identity is never attached to an existing account just because the emails match: whoever
    typed that email at sign-up may not own it (account pre-hijack). The owner signs in to the
    existing account and links from there."""
    label = portal.oidc.label if portal.oidc else "the provider"
    with portal.platform(request).store.write() as db:
        link = db.get(OidcIdentity, (claims.issuer, claims.subject))
        if link is not None:
            if linking and link.account_id != linking:
                raise Conflict(f"this {label} identity is already linked to another account")
            return link.account_id
        if linking:
            acct = accounts.get(db, linking)
        else:
            if not claims.email or not claims.email_verified:
                raise Unauthorized(
                    f"{label} did not share a verified email address; sign up with email and password instead"
                )
            email = accounts.normalize_email(claims.email)
            if db.scalar(select(Account.id).where(Account.email == email)) is not None:
                raise Conflict(
                    f"an account for {email} already exists here: sign in with its password, then use "
                    f"“Link {label}” on Model Settings (this keeps anyone who typed your email from sharing it)"
                )
            acct = accounts.sign_up(db, email, None, developer=True)
            starter = portal.settings.pricing.starter_credits
            if starter > 0:
                ledger.credit(
                    db, acct.id, starter, kind="grant", ref=f"starter:{acct.id}", note="starter credits"
                )
        if claims.email_verified and claims.email and accounts.normalize_email(claims.email) == acct.email:
            verify.mark_verified(acct, "oidc")
        db.add(
            OidcIdentity(
                issuer=claims.issuer, subject=claims.subject, account_id=acct.id, email=claims.email,
                created_at=utcnow(),
            )
        )  # fmt: skip
        return acct.id
