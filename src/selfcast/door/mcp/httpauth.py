"""The MCP HTTP transport's front door: every request must carry the server's developer key.

Over stdio the agent that starts ``selfcast mcp`` is the only client. Over HTTP anyone who can
reach the port could drive the meetings of the account whose key the server holds, so each request
must present that same key (``Authorization: Bearer dk_…``, compared in constant time). The key is
one the caller already needs to use the API directly, so requiring it grants nothing new.
"""

from __future__ import annotations

import json
import secrets

from starlette.types import ASGIApp, Receive, Scope, Send

from selfcast.errors import Unauthorized
from selfcast.platform import keys


class RequireDevKey:
    """ASGI middleware: 401 with a JSON error unless the request carries ``dev_key``."""

    def __init__(self, app: ASGIApp, dev_key: str) -> None:
        if not dev_key.startswith(keys.PREFIX):
            raise Unauthorized("the MCP HTTP transport needs a developer key (dk_…) in $SELFCAST_DEV_KEY")
        self.app = app
        self._key = dev_key.encode()

    def check(self, authorization: str | None) -> None:
        secret = keys.parse_authorization(authorization)
        if not secrets.compare_digest(secret.encode(), self._key):
            raise Unauthorized("this developer key is not the one this MCP server acts with")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan events carry no request
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            self.check(headers.get("authorization"))
        except Unauthorized as exc:
            body = json.dumps({"error": exc.to_dict()}).encode()
            await send({
                "type": "http.response.start", "status": 401,
                "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")],
            })  # fmt: skip
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
