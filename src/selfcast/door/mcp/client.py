"""A small typed client of the platform API for the MCP door (httpx, dev key)."""

from __future__ import annotations

import asyncio
import mimetypes
import time
from pathlib import Path
from typing import Any

import httpx

from selfcast.errors import (
    BadInput,
    Conflict,
    InsufficientCredits,
    NotFound,
    SelfcastError,
    Timeout,
    Unauthorized,
)

_BY_STATUS = {400: BadInput, 401: Unauthorized, 402: InsufficientCredits, 404: NotFound, 409: Conflict,
              413: BadInput, 504: Timeout}
TERMINAL = ("closed", "error")


class PlatformClient:
    def __init__(self, base_url: str, dev_key: str, *, timeout_s: float = 30.0) -> None:
        if not dev_key:
            raise Unauthorized("no developer key: set SELFCAST_DEV_KEY (or PIKA_DEV_KEY); `selfcast keys create` makes one")
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout_s,
                                       headers={"Authorization": f"DevKey {dev_key}"})

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        try:
            r = await self._http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise SelfcastError(f"cannot reach the selfcast server at {self.base_url}: {exc}; is `selfcast serve` running?") from exc
        if r.status_code >= 400:
            try:
                err = r.json().get("error", {})
            except ValueError:
                err = {}
            cls = _BY_STATUS.get(r.status_code, SelfcastError)
            raise cls(err.get("message") or f"{method} {path} failed with HTTP {r.status_code}")
        return r.json() if r.content else None

    # ---- sessions ----------------------------------------------------------------------------
    async def upload_avatar(self, image: Path) -> str:
        image = Path(image).expanduser()
        if not image.is_file():
            raise BadInput(f"avatar image {image} does not exist; pass a PNG or JPEG portrait")
        mime = mimetypes.guess_type(image.name)[0] or "image/png"
        out = await self._call("POST", "/v1/avatars", files={"image": (image.name, image.read_bytes(), mime)})
        return str(out["id"])

    async def create_session(self, **fields: Any) -> dict:
        return await self._call("POST", "/v1/sessions", json={k: v for k, v in fields.items() if v is not None})

    async def session(self, session_id: str) -> dict:
        return await self._call("GET", f"/v1/sessions/{session_id}")

    async def wait_state(self, session_id: str, states: tuple[str, ...], timeout_s: float) -> dict:
        deadline = time.monotonic() + timeout_s
        while True:
            s = await self.session(session_id)
            if s["status"] in states or s["status"] in TERMINAL:
                return s
            if time.monotonic() > deadline:
                return s
            await asyncio.sleep(0.5)

    async def leave(self, session_id: str) -> dict:
        return await self._call("POST", f"/v1/sessions/{session_id}/leave")

    async def transcript(self, session_id: str) -> list[dict]:
        return await self._call("GET", f"/v1/sessions/{session_id}/transcript")

    async def notes(self, session_id: str) -> dict:
        return await self._call("GET", f"/v1/sessions/{session_id}/notes")

    async def events(self, session_id: str) -> list[dict]:
        return await self._call("GET", f"/v1/sessions/{session_id}/events")

    async def command(self, session_id: str, type_: str, text: str) -> dict:
        return await self._call("POST", f"/v1/sessions/{session_id}/commands", json={"type": type_, "text": text})

    async def command_result(self, session_id: str, command_id: str) -> dict:
        return await self._call("GET", f"/v1/sessions/{session_id}/commands/{command_id}")
