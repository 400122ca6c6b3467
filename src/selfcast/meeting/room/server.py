"""The built-in room's server: the page, its assets, and WebSocket signalling for a WebRTC mesh.

Media never passes through here (peers connect directly); the server only introduces peers,
relays offers/answers/ICE, fans out chat, and enforces invitations and the mesh limit.
Live state (who is connected) is per router instance; rooms and tokens live in the registry.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from dataclasses import dataclass, field
from importlib import resources

from fastapi import APIRouter, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse, Response

from selfcast.errors import SelfcastError
from selfcast.meeting.room.frames import MAX_FRAME, Frame, FrameError, parse_frame
from selfcast.meeting.room.logredact import install_token_redactor
from selfcast.meeting.room.page import page_headers, script_json
from selfcast.meeting.room.registry import Invite, RoomRegistry
from selfcast.settings import Settings

MAX_PEERS = 6
MAX_CHAT = 2000
_STATIC = {"room.js": "application/javascript", "room.css": "text/css"}


@dataclass
class Peer:
    id: str
    name: str
    role: str
    ws: WebSocket


@dataclass
class LiveRoom:
    peers: dict[str, Peer] = field(default_factory=dict)
    chat: list[dict] = field(default_factory=list)


class SignalHub:
    """Who is in which room right now, and the relaying between them."""

    def __init__(self, registry: RoomRegistry, max_peers: int = MAX_PEERS) -> None:
        self.registry = registry
        self.max_peers = max_peers
        self.rooms: dict[str, LiveRoom] = {}

    async def _send(self, peer: Peer, msg: dict) -> None:
        with contextlib.suppress(Exception):
            await peer.ws.send_text(json.dumps(msg))

    async def broadcast(self, room: LiveRoom, msg: dict, *, skip: str | None = None) -> None:
        await asyncio.gather(*(self._send(p, msg) for p in list(room.peers.values()) if p.id != skip))

    async def serve(self, ws: WebSocket, room_id: str, token: str) -> None:
        await ws.accept()
        try:
            info = self.registry.get(room_id)  # an unknown room is "not found", whatever the token
            invite = self.registry.verify(room_id, token)
        except SelfcastError as exc:
            code = {"not_found": "not_found"}.get(exc.code, "denied")
            await ws.send_text(json.dumps({"type": "error", "code": code, "message": exc.message}))
            await ws.close(4403 if code == "denied" else 4404)
            return
        if info.ended_at is not None:
            await ws.send_text(json.dumps({"type": "ended", "message": "This meeting has ended."}))
            await ws.close(4410)
            return
        peer: Peer | None = None
        room = self.rooms.setdefault(room_id, LiveRoom())
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                try:
                    frame = parse_frame(message)
                    if frame.kind == "join" and peer is None:
                        peer = await self._join(ws, room_id, room, invite, frame)
                        if peer is None:
                            return
                    elif peer is None or frame.kind == "join":
                        continue  # nothing but a join counts before joining; a second join is a no-op
                    elif not await self._act(room_id, room, peer, frame):
                        break
                except FrameError as exc:
                    await self._refuse(ws, "bad_input", exc.message, exc.close_code)
                    break
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            if peer is not None and room.peers.get(peer.id) is peer:
                await self._drop(room_id, room, peer)
            elif not room.peers and self.rooms.get(room_id) is room:
                self.rooms.pop(room_id, None)

    async def _act(self, room_id: str, room: LiveRoom, peer: Peer, frame: Frame) -> bool:
        """One joined peer's message; False when the peer is gone (left, or ended the meeting)."""
        kind = frame.kind
        if kind == "signal":
            target = room.peers.get(frame.text("to", limit=40))
            data = frame.obj("data")
            if target is not None and target is not peer:
                await self._send(target, {"type": "signal", "from": peer.id, "data": data})
        elif kind == "chat":
            text = frame.text("text", limit=MAX_FRAME)[:MAX_CHAT].strip()
            if text:
                item = {"type": "chat", "id": secrets.token_hex(6), "from": peer.id, "name": peer.name,
                        "text": text, "ts": time.time()}
                room.chat = [*room.chat[-49:], item]
                await self.broadcast(room, item)
        elif kind == "leave":
            return False
        elif kind in ("kick", "end") and peer.role == "host":
            if kind == "end":
                await self.end(room_id)
                return False
            victim = room.peers.get(frame.text("peer", limit=40))
            if victim is not None:
                await self._send(victim, {"type": "removed", "message": "You've been removed from the meeting."})
                await self._drop(room_id, room, victim)
                with contextlib.suppress(Exception):
                    await victim.ws.close(4409)
        return True

    async def _refuse(self, ws: WebSocket, code: str, message: str, close_code: int) -> None:
        with contextlib.suppress(Exception):
            await ws.send_text(json.dumps({"type": "error", "code": code, "message": message}))
        with contextlib.suppress(Exception):
            await ws.close(close_code)

    async def _join(self, ws: WebSocket, room_id: str, room: LiveRoom, invite: Invite, frame: Frame) -> Peer | None:
        name = (invite.name or frame.text("name", limit=MAX_FRAME).strip())[:80]
        if not name:
            await self._refuse(ws, "bad_input", "a name is required", 4400)
            return None
        # A peer id is the server's to give: a client may only keep one by presenting the key the
        # server issued with it. Anything else (a bare id, a forged or expired key) is a new peer,
        # so nobody can take over another participant's place or signalling.
        key = frame.text("key", limit=1024)
        pid = (self.registry.peer_key_holder(room_id, key) if key else None) or secrets.token_hex(6)
        rejoin = pid in room.peers
        if not rejoin and len(room.peers) >= self.max_peers:
            await self._refuse(ws, "full", f"This room is full ({self.max_peers} people).", 4429)
            return None
        if rejoin:  # the same browser reconnecting before we noticed its old socket close
            with contextlib.suppress(Exception):
                await room.peers[pid].ws.close(4000)
        peer = Peer(id=pid, name=name, role=invite.role, ws=ws)
        others = [{"id": p.id, "name": p.name} for p in room.peers.values() if p.id != pid]
        room.peers[pid] = peer
        key = self.registry.mint_peer_key(room_id, pid, ttl_s=invite.expires_at - time.time())
        await self._send(peer, {"type": "welcome", "you": pid, "key": key, "name": name, "role": invite.role,
                                "peers": others, "chat": room.chat})
        await self.broadcast(room, {"type": "peer-joined", "id": pid, "name": name}, skip=pid)
        return peer

    async def _drop(self, room_id: str, room: LiveRoom, peer: Peer) -> None:
        room.peers.pop(peer.id, None)
        await self.broadcast(room, {"type": "peer-left", "id": peer.id, "name": peer.name})
        if not room.peers:
            self.rooms.pop(room_id, None)

    async def end(self, room_id: str) -> None:
        self.registry.end(room_id)
        room = self.rooms.pop(room_id, None)
        if room is None:
            return
        await self.broadcast(room, {"type": "ended", "message": "This meeting has ended."})
        for p in list(room.peers.values()):
            with contextlib.suppress(Exception):
                await p.ws.close(4410)


def build_room_router(settings: Settings, registry: RoomRegistry | None = None) -> APIRouter:
    """Routes under ``/room``: the page, its assets, signalling and a JSON room status."""
    registry = registry or RoomRegistry.from_settings(settings)
    install_token_redactor()  # room links carry tokens in their query; uvicorn logs paths
    hub = SignalHub(registry)
    router = APIRouter()
    ice = [{"urls": u} for u in settings.meeting.ice_servers]

    @router.get("/room/_static/{name}")
    def static(name: str) -> Response:
        if name not in _STATIC:
            return JSONResponse({"code": "not_found", "message": f"no asset {name!r}"}, status_code=404)
        text = resources.files("selfcast.meeting.room").joinpath("static", name).read_text()
        return Response(text, media_type=_STATIC[name],
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    @router.get("/room/{room_id}", response_class=HTMLResponse)
    def page(room_id: str, request: Request) -> HTMLResponse:
        html = resources.files("selfcast.meeting.room").joinpath("static", "room.html").read_text()
        cfg = {"roomId": room_id, "ice": ice, "maxPeers": MAX_PEERS, "startKbps": 1500}
        try:
            cfg["title"] = registry.get(room_id).title
        except SelfcastError:
            cfg["title"] = ""
        body = html.replace("/*ROOM_CONFIG*/{}", script_json(cfg))
        return HTMLResponse(body, headers=page_headers(request.url.netloc))

    @router.get("/room/{room_id}/page", response_class=HTMLResponse)
    def output_page(room_id: str, request: Request) -> HTMLResponse:
        """The output view a meeting bot vendor loads as its camera and microphone (``page_url``).
        The link is checked here, before any page is served: a bad one gets a page saying why."""
        headers = page_headers(request.url.netloc)
        try:
            info = registry.get(room_id)
            invite = registry.verify(room_id, request.query_params.get("t", ""))
        except SelfcastError as exc:
            status = 404 if exc.code == "not_found" else 403
            why = {404: "This avatar page does not exist.", 403: _page_refusal(exc.message)}[status]
            return HTMLResponse(_refusal_html(why), status_code=status, headers=headers)
        if info.ended_at is not None:
            return HTMLResponse(_refusal_html("This meeting has ended; the avatar has left."), status_code=410,
                                headers=headers)
        html = resources.files("selfcast.meeting.room").joinpath("static", "room.html").read_text()
        cfg = {"roomId": room_id, "ice": ice, "maxPeers": MAX_PEERS, "startKbps": 1500, "title": info.title,
               "view": "output", "name": invite.name}
        body = html.replace("/*ROOM_CONFIG*/{}", script_json(cfg)).replace('data-state="lobby"',
                                                                              'data-state="lobby" data-view="output"')
        return HTMLResponse(body, headers=headers)

    @router.get("/room/{room_id}/status")
    def status(room_id: str) -> JSONResponse:
        info = registry.get(room_id)
        live = hub.rooms.get(room_id)
        return JSONResponse({"id": info.id, "title": info.title, "ended": info.ended_at is not None,
                             "participants": [p.name for p in live.peers.values()] if live else []})

    @router.websocket("/room/{room_id}/ws")
    async def signalling(ws: WebSocket, room_id: str) -> None:
        await hub.serve(ws, room_id, ws.query_params.get("t", ""))

    router.registry = registry  # type: ignore[attr-defined]
    router.hub = hub  # type: ignore[attr-defined]
    return router


def _page_refusal(message: str) -> str:
    """The registry's reason, worded for a page link (the holder asks the API, not a host)."""
    if "expired" in message:
        return "This avatar page link has expired. Start a new session to get a new page_url."
    return "This avatar page link is not valid (it was changed or cut short). Use the page_url exactly as the API returned it."


def _refusal_html(text: str) -> str:
    import html

    return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>selfcast avatar page</title>'
            '<link rel="stylesheet" href="/room/_static/room.css"></head><body data-state="denied">'
            f'<main><section class="card" role="alert"><h1>Cannot open this page</h1><p id="reason">{html.escape(text)}'
            '</p></section></main></body></html>')


def create_room_app(settings: Settings, registry: RoomRegistry | None = None) -> FastAPI:
    """The room on its own (tests, `selfcast room serve`); the platform app includes the router."""
    app = FastAPI(title="selfcast room")
    router = build_room_router(settings, registry)
    app.include_router(router)
    app.state.room_registry = router.registry  # type: ignore[attr-defined]
    app.state.room_hub = router.hub  # type: ignore[attr-defined]

    @app.exception_handler(SelfcastError)
    async def _err(_: Request, exc: SelfcastError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.http_status)

    return app
