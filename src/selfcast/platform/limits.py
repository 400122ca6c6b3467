"""Request-body limits enforced before a route reads the body.

A declared ``Content-Length`` over the limit is answered 413 at once, without reading a byte of
the body; a chunked body is counted as it streams and cut off the moment it passes the limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MB = 1024 * 1024
IMAGE_MAX = 10 * MB
AUDIO_MAX = 20 * MB
DEFAULT_MAX = 1 * MB

# Routes that take uploads; every other route gets DEFAULT_MAX.
UPLOAD_LIMITS: dict[str, int] = {
    "/proxy/realtime/meeting-session": IMAGE_MAX,
    "/proxy/minimax/v1/files/upload": AUDIO_MAX,
    "/v1/avatars": IMAGE_MAX,
    "/v1/voices": AUDIO_MAX,
    "/account/voices": AUDIO_MAX,  # the portal's upload forms
    "/account/avatars": IMAGE_MAX,
}


def limit_for(path: str) -> int:
    return UPLOAD_LIMITS.get(path.rstrip("/"), DEFAULT_MAX)


def too_large_message(limit: int) -> str:
    return f"request body too large: the limit for this route is {limit // MB} MB; send a smaller file"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: Callable[[str], int] = limit_for) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope.get("path", ""))
        declared = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
                break
        if declared is not None and declared > limit:
            body = json.dumps(
                {
                    "error": {"code": "too_large", "message": too_large_message(limit)},
                    "code": "too_large",
                    "message": too_large_message(limit),
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise HTTPException(status_code=413, detail=too_large_message(limit))
            return msg

        await self.app(scope, counted, send)
