"""Send the demo avatar into a fresh built-in room through the running server's own API.

Everything goes the way a user's request would: the portrait is uploaded, the workspace is
condensed into a reference card, a session is created with a developer key, and the worker
process joins the room. Returns the link a person opens to meet the avatar.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import httpx

from selfcast.errors import SelfcastError, Timeout
from selfcast.settings import Settings

BOT_NAME = "Ada (AI)"


@dataclass(frozen=True)
class DemoRoom:
    room_id: str
    guest_url: str
    bot_url: str
    session_id: str


def demo_assets() -> Path:
    return Path(str(resources.files("selfcast.live.demo")))


def demo_card(subject: str = "Ada") -> str:
    """The reference card of the shipped demo workspace (copied out, so no enclosing git repo leaks in)."""
    from selfcast.brain.workspace import build_card

    with tempfile.TemporaryDirectory(prefix="selfcast-demo-ws-") as tmp:
        ws = Path(tmp) / "lighthouse"
        shutil.copytree(demo_assets() / "workspace", ws)
        return build_card(ws, subject=subject).text


def send_avatar(settings: Settings, dev_key: str, *, bot_name: str = BOT_NAME, image: Path | None = None,
                system_prompt: str | None = None, voice_id: str | None = None, wait_ready_s: float = 0.0) -> DemoRoom:
    from selfcast.meeting.room import RoomRegistry

    rooms = RoomRegistry.from_settings(settings)
    room = rooms.create_room("selfcast demo")
    base = settings.base_url
    bot_url = rooms.invite_url(base, room.id, rooms.mint_token(room.id, name=bot_name, role="host"))
    guest_url = rooms.invite_url(base, room.id, rooms.mint_token(room.id, role="guest"))
    image = image or (demo_assets() / "avatar.jpg")
    prompt = system_prompt if system_prompt is not None else demo_card(bot_name.split("(")[0].strip())
    with httpx.Client(base_url=base, headers={"Authorization": f"DevKey {dev_key}"}, timeout=60) as http:
        r = http.post("/v1/avatars", files={"image": (image.name, image.read_bytes(), "image/jpeg")})
        _check(r)
        body = {"meet_url": bot_url, "bot_name": bot_name, "avatar_id": r.json()["id"], "system_prompt": prompt,
                "platform": "room"}
        if voice_id:
            body["voice_id"] = voice_id
        r = http.post("/v1/sessions", json=body)
        _check(r)
        sid = r.json()["session_id"]
        deadline = time.monotonic() + wait_ready_s
        while wait_ready_s and time.monotonic() < deadline:
            s = http.get(f"/v1/sessions/{sid}").json()
            if s["status"] == "ready":
                break
            if s["status"] in ("closed", "error"):
                raise SelfcastError(f"the demo avatar could not join: {s.get('error_code')}: {s.get('error_message')}")
            time.sleep(0.5)
        else:
            if wait_ready_s:
                raise Timeout(f"the demo avatar was not ready in the room after {wait_ready_s:.0f} s")
    return DemoRoom(room.id, guest_url, bot_url, sid)


def _check(r: httpx.Response) -> None:
    if r.status_code >= 400:
        try:
            msg = r.json()["error"]["message"]
        except Exception:
            msg = r.text[:300]
        raise SelfcastError(f"{r.request.method} {r.request.url.path} failed ({r.status_code}): {msg}")
