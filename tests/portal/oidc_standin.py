"""A small OpenID Connect provider for tests, served on 127.0.0.1: discovery, JWKS, an
authorization endpoint with a consent page, and a token endpoint that checks the client secret
and the PKCE verifier and returns an RS256-signed ID token. It stands in for Google; nothing in
the tests talks to a real identity provider."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

CLIENT_ID = "selfcast-test-client"
CLIENT_SECRET = "s3cret-for-tests-only"


@dataclass
class StandIn:
    issuer: str = ""
    subject: str = "108234567890123456789"
    email: str = "grace@gmail.example"
    email_verified: bool = True
    key: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    kid: str = "test-key-1"
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)

    def id_token(self, *, nonce: str, audience: str = CLIENT_ID, key: Any = None, **extra: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer, "aud": audience, "sub": self.subject, "email": self.email,
            "email_verified": self.email_verified, "name": "Grace Hopper", "nonce": nonce,
            "iat": now, "exp": now + 300, **extra,
        }  # fmt: skip
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})


def build_app(standin: StandIn) -> FastAPI:
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        i = standin.issuer
        return {
            "issuer": i,
            "authorization_endpoint": f"{i}/authorize",
            "token_endpoint": f"{i}/token",
            "jwks_uri": f"{i}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    @app.get("/jwks")
    def jwks() -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(standin.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": standin.kid, "use": "sig", "alg": "RS256"}]}

    @app.get("/authorize", response_class=HTMLResponse)
    def authorize(request: Request) -> HTMLResponse:
        q = dict(request.query_params)
        standin.log.append({"authorize": q})
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
            raise HTTPException(400, "unknown client or response type")
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge") or not q.get("nonce"):
            raise HTTPException(400, "PKCE S256 and a nonce are required")
        code = secrets.token_urlsafe(16)
        standin.codes[code] = q
        back = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q.get("state", "")})
        return HTMLResponse(
            "<!doctype html><title>Choose an account</title><main><h1>Choose an account</h1>"
            f'<p>to continue to selfcast</p><a href="{escape(back)}">Continue as {escape(standin.email)}</a></main>'
        )

    @app.post("/token")
    def token(
        request: Request,
        grant_type: str = Form(...),
        code: str = Form(...),
        redirect_uri: str = Form(...),
        code_verifier: str = Form(...),
    ) -> JSONResponse:
        auth = request.headers.get("authorization", "")
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if auth != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        q = standin.codes.pop(code, None)
        if grant_type != "authorization_code" or q is None or q["redirect_uri"] != redirect_uri:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).decode().rstrip("=")
        )
        if challenge != q["code_challenge"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, status_code=400)
        standin.log.append({"token": "issued", "pkce": "ok"})
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 3600,
                "id_token": standin.id_token(nonce=q["nonce"]),
            }
        )

    @app.get("/consent-denied")
    def denied(redirect_uri: str, state: str) -> RedirectResponse:
        return RedirectResponse(redirect_uri + "?" + urlencode({"error": "access_denied", "state": state}))

    return app
