"""Rooms and their invitations, in a small SQLite file so they survive a server restart.

Invitations are signed tokens (:mod:`selfcast.signing`, over room, role, name and expiry): only
someone holding a link minted here gets in, and a restarted server still honours the links it issued.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from selfcast.errors import BadInput, NotFound, Unauthorized
from selfcast.settings import Settings
from selfcast.signing import TokenRejected, TokenSigner, load_secret

ROLES = ("guest", "host")


@dataclass(frozen=True, slots=True)
class RoomInfo:
    id: str
    title: str
    created_at: float
    ended_at: float | None = None


@dataclass(frozen=True, slots=True)
class Invite:
    room_id: str
    role: str
    name: str
    expires_at: float


INVITE = "room-invite"  # the signing purpose: no other token opens a room
PEER_KEY = "room-peer"  # the purpose of a peer key: proves "I am peer <id> of room <r>" on a rejoin


class RoomRegistry:
    """Create rooms, mint and check invitations. One instance per app; no module state."""

    def __init__(self, db_path: Path, secret: bytes) -> None:
        if len(secret) < 16:
            raise BadInput("room secret must be at least 16 bytes")
        self.db_path = Path(db_path)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._signer = TokenSigner(secret)
        with self._db() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS rooms (id TEXT PRIMARY KEY, title TEXT NOT NULL,"
                " created_at REAL NOT NULL, ended_at REAL)"
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> RoomRegistry:
        return cls(settings.ensure_dirs() / "rooms.db", load_secret(settings))

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, timeout=5, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    # ------------------------------------------------------------------ rooms
    def create_room(self, title: str = "") -> RoomInfo:
        if len(title) > 200:
            raise BadInput("room title is longer than 200 characters; shorten it")
        room = RoomInfo(id=secrets.token_urlsafe(9).replace("-", "x").replace("_", "y"), title=title,
                        created_at=time.time())
        with self._db() as db:
            db.execute("INSERT INTO rooms (id, title, created_at) VALUES (?, ?, ?)",
                       (room.id, room.title, room.created_at))
        return room

    def get(self, room_id: str) -> RoomInfo:
        with self._db() as db:
            row = db.execute("SELECT id, title, created_at, ended_at FROM rooms WHERE id = ?", (room_id,)).fetchone()
        if row is None:
            raise NotFound(f"room {room_id!r} does not exist; create one with `selfcast room create`")
        return RoomInfo(*row)

    def end(self, room_id: str) -> RoomInfo:
        self.get(room_id)
        with self._db() as db:
            db.execute("UPDATE rooms SET ended_at = ? WHERE id = ? AND ended_at IS NULL", (time.time(), room_id))
        return self.get(room_id)

    # ------------------------------------------------------------------ invitations
    def mint_token(self, room_id: str, *, name: str = "", role: str = "guest", ttl_s: float = 7 * 86400,
                   expires_at: float | None = None) -> str:
        """An invitation; ``expires_at`` (epoch s) instead of ``ttl_s`` mints the same token every time."""
        if role not in ROLES:
            raise BadInput(f"role must be one of {ROLES}, got {role!r}")
        if len(name) > 80:
            raise BadInput("participant name is longer than 80 characters")
        if expires_at is None and ttl_s <= 0:
            raise BadInput("token lifetime must be positive")
        self.get(room_id)
        claim: dict[str, str | int | float | bool | None] = {"room": room_id, "role": role, "name": name}
        if expires_at is not None:
            return self._signer.dumps_until(INVITE, claim, expires_at)
        return self._signer.dumps(INVITE, claim, ttl_s)

    def verify(self, room_id: str, token: str) -> Invite:
        if not token:
            raise Unauthorized("this link has no valid invitation token; ask the host for a new link")
        try:
            claim = self._signer.check(INVITE, token)
        except TokenRejected as exc:
            if exc.reason == "expired":
                raise Unauthorized("this invitation has expired; ask the host for a new link") from None
            raise Unauthorized("this invitation token is not valid; ask the host for a new link") from None
        if claim.get("room") != room_id:
            raise Unauthorized("this invitation is for a different room")
        self.get(room_id)
        return Invite(room_id=room_id, role=str(claim["role"]), name=str(claim["name"]),
                      expires_at=float(claim["exp"] or 0))

    # ------------------------------------------------------------------ peer identity
    def mint_peer_key(self, room_id: str, peer_id: str, *, ttl_s: float) -> str:
        """The secret handed to a peer at its first join: a rejoin must present it to keep its id.
        Signed (not stored), so it still holds after a server restart drops the live state."""
        return self._signer.dumps(PEER_KEY, {"room": room_id, "peer": peer_id}, max(ttl_s, 60.0))

    def peer_key_holder(self, room_id: str, key: str) -> str | None:
        """The peer id ``key`` was issued to in ``room_id``; None for a forged, expired or foreign key."""
        try:
            claim = self._signer.check(PEER_KEY, key)
        except TokenRejected:
            return None
        if claim.get("room") != room_id or not isinstance(claim.get("peer"), str):
            return None
        return str(claim["peer"])

    def invite_url(self, base_url: str, room_id: str, token: str) -> str:
        return f"{base_url.rstrip('/')}/room/{room_id}?t={token}"

    def page_url(self, base_url: str, room_id: str, token: str) -> str:
        """The room's output view (the avatar alone, full-frame, joined on load) for the holder of ``token``."""
        return f"{base_url.rstrip('/')}/room/{room_id}/page?t={token}"
