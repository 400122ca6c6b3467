"""Sign-in through an OpenID Connect provider (Google or any other): the authorization-code flow
with ``state``, ``nonce`` and PKCE (S256), configured from the provider's discovery document.

The browser carries the flow state in a short-lived signed cookie, so nothing is kept in memory
between the redirect and the callback. The ID token is verified with PyJWT against the
provider's JWKS: signature, issuer, audience, expiry and nonce.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from selfcast.errors import BadInput, Unauthorized, Unavailable
from selfcast.platform.portal.crypto import b64
from selfcast.settings import PortalSettings

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
FLOW_TTL_S = 600
DISCOVERY_TTL_S = 3600


@dataclass(frozen=True)
class Claims:
    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str


class OidcClient:
    """One configured provider. Holds its discovery document and keys for an hour."""

    def __init__(self, cfg: PortalSettings, *, timeout_s: float = 10.0) -> None:
        if not (cfg.oidc_issuer and cfg.oidc_client_id):
            raise BadInput(
                "OIDC sign-in needs SELFCAST_PORTAL__OIDC_ISSUER and SELFCAST_PORTAL__OIDC_CLIENT_ID"
            )
        self.cfg = cfg
        self.issuer = cfg.oidc_issuer.rstrip("/")
        self.timeout_s = timeout_s
        self._doc: tuple[float, dict[str, Any]] | None = None
        self._jwks: tuple[float, dict[str, Any]] | None = None

    @property
    def label(self) -> str:
        return self.cfg.oidc_label or "your identity provider"

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            r = httpx.get(url, timeout=self.timeout_s, follow_redirects=False)
            r.raise_for_status()
            data = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Unavailable(f"cannot read the {what} of {self.label} at {url}: {exc}") from exc
        if not isinstance(data, dict):
            raise Unavailable(f"the {what} at {url} is not a JSON object")
        return data

    def discovery(self) -> dict[str, Any]:
        if self._doc and time.monotonic() - self._doc[0] < DISCOVERY_TTL_S:
            return self._doc[1]
        doc = self._get_json(f"{self.issuer}/.well-known/openid-configuration", "discovery document")
        if doc.get("issuer", "").rstrip("/") != self.issuer:
            raise Unavailable(
                f"discovery document names issuer {doc.get('issuer')!r}, expected {self.issuer!r}"
            )
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not doc.get(field):
                raise Unavailable(f"the discovery document of {self.issuer} has no {field}")
        self._doc = (time.monotonic(), doc)
        return doc

    def start(self, redirect_uri: str) -> tuple[str, dict[str, str]]:
        """The provider URL to send the browser to, and the flow state to keep in a signed cookie."""
        doc = self.discovery()
        state, nonce, verifier = (
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(48),
        )
        challenge = b64(hashlib.sha256(verifier.encode()).digest())
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.cfg.oidc_client_id,
                "redirect_uri": redirect_uri,
                "scope": self.cfg.oidc_scopes,
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        sep = "&" if "?" in doc["authorization_endpoint"] else "?"
        return f"{doc['authorization_endpoint']}{sep}{query}", {"s": state, "n": nonce, "v": verifier}

    def finish(self, *, code: str, state: str, flow: dict[str, Any], redirect_uri: str) -> Claims:
        """Check ``state``, redeem the code (with the PKCE verifier) and verify the ID token."""
        if not flow or not secrets.compare_digest(str(flow.get("s", "")), state or ""):
            raise Unauthorized("sign-in state does not match (expired or opened in another tab); try again")
        if not code:
            raise BadInput("the provider sent no authorization code; try signing in again")
        doc = self.discovery()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": flow["v"],
            "client_id": self.cfg.oidc_client_id,
        }
        auth = None
        methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        if self.cfg.oidc_client_secret:
            if "client_secret_basic" in methods:
                auth = (self.cfg.oidc_client_id, self.cfg.oidc_client_secret)
            else:
                form["client_secret"] = self.cfg.oidc_client_secret
        try:
            r = httpx.post(doc["token_endpoint"], data=form, auth=auth, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise Unavailable(f"cannot reach the token endpoint of {self.label}: {exc}") from exc
        if r.status_code != 200:
            raise Unauthorized(f"{self.label} refused the sign-in code (HTTP {r.status_code}); try again")
        try:
            id_token = r.json().get("id_token")
        except ValueError:
            id_token = None
        if not id_token:
            raise Unauthorized(f"{self.label} returned no ID token; is the 'openid' scope allowed?")
        return self.verify(id_token, nonce=flow["n"])

    def _key_for(self, id_token: str) -> Any:
        try:
            kid = jwt.get_unverified_header(id_token).get("kid")
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the ID token is malformed: {exc}") from exc
        for attempt in (0, 1):  # refetch once when the provider rotated its keys
            if attempt or not self._jwks or time.monotonic() - self._jwks[0] > DISCOVERY_TTL_S:
                self._jwks = (time.monotonic(), self._get_json(self.discovery()["jwks_uri"], "signing keys"))
            try:
                keyset = jwt.PyJWKSet.from_dict(self._jwks[1])
            except jwt.PyJWTError as exc:
                raise Unavailable(f"the signing keys of {self.label} are unusable: {exc}") from exc
            for key in keyset.keys:
                if kid is None or key.key_id == kid:
                    return key
        raise Unauthorized("the ID token is signed with a key the provider does not publish")

    def verify(self, id_token: str, *, nonce: str) -> Claims:
        key = self._key_for(id_token)
        try:
            claims = jwt.decode(
                id_token,
                key=key,
                algorithms=ALGORITHMS,
                audience=self.cfg.oidc_client_id,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the ID token from {self.label} did not verify: {exc}") from exc
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise Unauthorized("the ID token's nonce does not match this sign-in; try again")
        return Claims(
            issuer=self.issuer,
            subject=str(claims["sub"]),
            email=str(claims.get("email") or ""),
            email_verified=claims.get("email_verified") in (True, "true"),
            name=str(claims.get("name") or ""),
        )
