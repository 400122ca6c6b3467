"""Plumbing every portal page shares: the per-app ``Portal`` (templates, signer, throttle, OIDC
client), who is signed in, CSRF tokens, flash messages, secure cookies, and a route class that
turns expected errors into HTML pages (or JSON for scripted calls) instead of the API's JSON."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from selfcast.errors import SelfcastError
from selfcast.platform.context import Platform
from selfcast.platform.mailer import Mailer
from selfcast.platform.mailer import from_settings as mailer_from
from selfcast.platform.portal import websessions
from selfcast.platform.portal.oidc import OidcClient
from selfcast.platform.portal.throttle import SignInThrottle, SourceSpread
from selfcast.platform.portal.websessions import Viewer
from selfcast.settings import Settings
from selfcast.signing import TokenSigner, load_secret

SESSION_COOKIE = "sc_session"
ANON_COOKIE = "sc_csrf"
FLASH_COOKIE = "sc_flash"
OIDC_COOKIE = "sc_oidc"
HERE = Path(__file__).parent

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
NAV = (
    ("model-settings", "/account/model-settings", "Model Settings"),
    ("usage", "/account/usage", "Usage"),
    ("topup", "/account/topup", "Top up"),
    ("media", "/account/media", "Voices & avatars"),
    ("memory", "/account/memory", "Memory"),
    ("webhooks", "/account/webhooks", "Webhooks & consent"),
)


class SignInNeeded(Exception):
    """Raised by ``Portal.viewer`` on a page that needs an account."""


class CsrfRefused(Exception):
    """A state-changing request without a valid CSRF token."""


class Forbidden(SelfcastError):
    code, http_status, exit_code = "forbidden", 403, 1


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def _number(value: float | int, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


class Portal:
    """Everything the portal's routes share, built once per app (no module-level state)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.signer = TokenSigner(load_secret(settings))
        cfg = settings.portal
        # per (client address, email): the configured limit; per client address: four times that,
        # so one person's typos do not lock out an office behind one NAT address, but a spray
        # across emails slows. Never per email alone: that would let a stranger lock its owner
        # out; an email is slowed only when many distinct addresses fail on it (see throttle.py)
        self.throttle = SignInThrottle(cfg.signin_max_failures, cfg.signin_window_s)
        self.addr_throttle = SignInThrottle(cfg.signin_max_failures * 4, cfg.signin_window_s)
        self.account_spread = SourceSpread(cfg.signin_account_sources, cfg.signin_window_s)
        self.oidc = OidcClient(cfg) if cfg.oidc_issuer and cfg.oidc_client_id else None
        self.mailer: Mailer = mailer_from(settings)
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html", "svg"], default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["when"] = _when
        self.env.filters["number"] = _number

    # ---- who is asking --------------------------------------------------------------------
    @staticmethod
    def platform(request: Request) -> Platform:
        return request.app.state.platform  # type: ignore[no-any-return]

    def viewer_or_none(self, request: Request) -> Viewer | None:
        if hasattr(request.state, "viewer"):
            return request.state.viewer  # type: ignore[no-any-return]
        store = self.platform(request).store
        with store.read() as db:
            viewer, stale = websessions.resolve(db, request.cookies.get(SESSION_COOKIE))
        if viewer is not None and stale:
            with store.write() as db:
                websessions.touch(db, viewer.token)
        request.state.viewer = viewer
        return viewer

    def viewer(self, request: Request) -> Viewer:
        viewer = self.viewer_or_none(request)
        if viewer is None:
            raise SignInNeeded
        return viewer

    # ---- CSRF -----------------------------------------------------------------------------
    def _binding(self, request: Request) -> str | None:
        viewer = self.viewer_or_none(request)
        if viewer is not None:
            return "s:" + viewer.session_id
        anon = getattr(request.state, "anon", None) or request.cookies.get(ANON_COOKIE)
        return "a:" + anon if anon else None

    def csrf_token(self, request: Request) -> str:
        binding = self._binding(request)
        if binding is None:  # first visit: the response sets the anonymous cookie
            request.state.anon = secrets.token_urlsafe(24)
            binding = "a:" + request.state.anon
        return self.signer.mac("csrf", binding)

    async def check_csrf(self, request: Request) -> None:
        """Every POST carries ``csrf_token`` (form field or ``X-CSRF-Token`` header)."""
        sent = request.headers.get("x-csrf-token")
        if not sent:
            form = await request.form()
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
        binding = await run_in_threadpool(self._binding, request)  # may read the session row
        if not sent or binding is None or not self.signer.verify_mac("csrf", binding, sent):
            raise CsrfRefused
        origin = (request.headers.get("origin") or "").rstrip("/")
        same_site = (str(request.base_url).rstrip("/"), self.settings.base_url)
        if origin and origin != "null" and origin not in same_site:
            raise CsrfRefused

    # ---- cookies --------------------------------------------------------------------------
    def secure_cookies(self, request: Request) -> bool:
        mode = self.settings.portal.cookie_secure
        if mode == "always":
            return True
        if mode == "never":
            return False
        return request.url.scheme == "https" or self.settings.base_url.startswith("https://")

    def set_cookie(
        self, request: Request, resp: Response, name: str, value: str, max_age: int | None
    ) -> None:
        resp.set_cookie(
            name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
            secure=self.secure_cookies(request),
        )  # fmt: skip

    def clear_cookie(self, request: Request, resp: Response, name: str) -> None:
        resp.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=self.secure_cookies(request))

    def flash(self, request: Request, resp: Response, message: str) -> None:
        self.set_cookie(request, resp, FLASH_COOKIE, self.signer.dumps("flash", {"m": message}, 60), 60)

    # ---- responses ------------------------------------------------------------------------
    def render(self, request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        viewer = self.viewer_or_none(request)
        flash = None
        raw_flash = request.cookies.get(FLASH_COOKIE)
        if raw_flash:
            flash = (self.signer.loads("flash", raw_flash) or {}).get("m")
        ctx.setdefault("error", None)
        html = self.env.get_template(template).render(
            viewer=viewer,
            csrf_token=self.csrf_token(request),
            flash=flash,
            nav=NAV if viewer else (),
            oidc_label=self.oidc.label if self.oidc else None,
            **ctx,
        )
        resp = HTMLResponse(html, status_code=status, headers=self.headers())
        anon = getattr(request.state, "anon", None)
        if anon:
            self.set_cookie(request, resp, ANON_COOKIE, anon, None)
        if raw_flash:
            self.clear_cookie(request, resp, FLASH_COOKIE)
        return resp

    @staticmethod
    def headers() -> dict[str, str]:
        return {
            "Cache-Control": "no-store",
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
        }

    @staticmethod
    def redirect(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})

    def error_page(self, request: Request, exc: SelfcastError) -> Response:
        if wants_json(request):
            return JSONResponse(
                {"error": {"code": exc.code, "message": exc.message}}, status_code=exc.http_status
            )
        title = {404: "Not found", 401: "Not allowed", 402: "Not enough credits"}.get(
            exc.http_status, "Something went wrong"
        )
        return self.render(request, "error.html", status=exc.http_status, title=title, message=exc.message)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "") or request.url.path.endswith(".json")


def route_class_for(portal: Portal) -> type[APIRoute]:
    """An ``APIRoute`` whose handler maps portal exceptions to pages, bound to ``portal``."""

    class PortalRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            original = super().get_route_handler()

            async def handler(request: Request) -> Response:
                try:
                    return await original(request)
                except SignInNeeded:
                    if wants_json(request):
                        return JSONResponse(
                            {"error": {"code": "unauthorized", "message": "sign in first"}}, status_code=401
                        )
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return portal.redirect(f"/signin?next={quote(target, safe='')}")
                except CsrfRefused:
                    return portal.error_page(
                        request,
                        Forbidden(
                            "This form has expired or did not come from this site. "
                            "Reload the page and try again."
                        ),
                    )
                except SelfcastError as exc:
                    return portal.error_page(request, exc)

            return handler

    return PortalRoute


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/account/model-settings"
    return target
