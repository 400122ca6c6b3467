"""The versioned REST API under ``/v1`` (OpenAPI at ``/docs``). Every route is scoped to the
caller's account: another account's key, top-up, voice, avatar or session is a 404."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from selfcast.platform import avatars, keys, voices
from selfcast.platform.billing import ledger
from selfcast.platform.billing.pricing import products
from selfcast.platform.deps import CallerDep, PlatformDep
from selfcast.platform.payments import topups
from selfcast.platform.routes.common import read_upload, session_view
from selfcast.platform.sessions.launch import launch

router = APIRouter(prefix="/v1")


# ---- models ---------------------------------------------------------------------------------
class KeyOut(BaseModel):
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class NewKeyOut(KeyOut):
    key: str = Field(description="The key itself. Shown this once; store it now.")


class KeyIn(BaseModel):
    name: str = ""


class BalanceOut(BaseModel):
    balance: int = Field(description="Whole credits available to spend (total minus held)")
    held: float
    total: float
    min_to_join: int
    credits_per_minute: float


class LedgerOut(BaseModel):
    id: int
    amount: float
    kind: str
    note: str
    session_id: str | None
    created_at: datetime


class ProductOut(BaseModel):
    id: str
    name: str
    credits: int
    price_cents: int
    price: str
    currency: str


class TopUpIn(BaseModel):
    product_id: str


class TopUpOut(BaseModel):
    id: str
    product_id: str
    credits: int
    amount_cents: int
    status: str
    provider: str
    checkout_url: str
    created_at: datetime
    paid_at: datetime | None = None


class VoiceOut(BaseModel):
    voice_id: str
    name: str
    source_name: str
    created_at: datetime


class AvatarOut(BaseModel):
    id: str
    source: str
    prompt: str
    style: str
    width: int
    height: int
    created_at: datetime
    image_url: str


class AvatarGenerateIn(BaseModel):
    prompt: str | None = None
    style: str = "cinematic"
    seed: int | None = None


class SessionIn(BaseModel):
    """Fields left out come from the account's agent defaults (Model Settings)."""

    meet_url: str
    bot_name: str | None = None
    avatar_id: str | None = None
    platform: str | None = None
    voice_id: str | None = None
    system_prompt: str | None = None
    meeting_password: str | None = None
    max_duration_s: float | None = None


class SessionOut(BaseModel):
    session_id: str
    status: str
    platform: str
    meet_url: str
    bot_name: str
    voice_id: str
    video_connected: bool
    meeting_bot_connected: bool
    error_code: str | None
    error_message: str
    minutes_charged: int
    low_balance: bool
    created_at: str | None
    ready_at: str | None
    ended_at: str | None


class SegmentOut(BaseModel):
    speaker: str
    text: str
    start_s: float
    end_s: float


class NotesOut(BaseModel):
    session_id: str
    status: str
    ready: bool
    data: dict[str, Any] = {}
    markdown: str = ""


def _key(row: Any) -> KeyOut:
    return KeyOut(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _topup(row: Any) -> TopUpOut:
    return TopUpOut(
        id=row.id, product_id=row.product_id, credits=row.credits, amount_cents=row.amount_cents, status=row.status,
        provider=row.provider, checkout_url=row.checkout_url, created_at=row.created_at, paid_at=row.paid_at,
    )  # fmt: skip


def _avatar(row: Any) -> AvatarOut:
    return AvatarOut(
        id=row.id, source=row.source, prompt=row.prompt, style=row.style, width=row.width, height=row.height,
        created_at=row.created_at, image_url=f"/v1/avatars/{row.id}/image",
    )  # fmt: skip


def _voice(row: Any) -> VoiceOut:
    return VoiceOut(
        voice_id=row.voice_id, name=row.name, source_name=row.source_name, created_at=row.created_at
    )


# ---- keys -----------------------------------------------------------------------------------
@router.get("/keys", response_model=list[KeyOut], tags=["keys"])
def list_keys(platform: PlatformDep, caller: CallerDep) -> list[KeyOut]:
    with platform.store.read() as db:
        return [_key(k) for k in keys.list_keys(db, caller.account_id)]


@router.post("/keys", response_model=NewKeyOut, status_code=201, tags=["keys"])
def create_key(platform: PlatformDep, caller: CallerDep, body: KeyIn) -> NewKeyOut:
    with platform.store.write() as db:
        new = keys.create(db, caller.account_id, body.name)
    return NewKeyOut(id=new.id, name=new.name, prefix=new.prefix, created_at=new.created_at, key=new.secret)


@router.delete("/keys/{key_id}", response_model=KeyOut, tags=["keys"])
def revoke_key(key_id: str, platform: PlatformDep, caller: CallerDep) -> KeyOut:
    with platform.store.write() as db:
        return _key(keys.revoke(db, caller.account_id, key_id))


# ---- credits --------------------------------------------------------------------------------
@router.get("/balance", response_model=BalanceOut, tags=["credits"])
def get_balance(platform: PlatformDep, caller: CallerDep) -> BalanceOut:
    p = platform.settings.pricing
    with platform.store.read() as db:
        b = ledger.balance(db, caller.account_id)
    return BalanceOut(
        balance=b.available,
        held=b.held,
        total=b.total,
        min_to_join=p.min_credits_to_join,
        credits_per_minute=p.credits_per_minute,
    )


@router.get("/ledger", response_model=list[LedgerOut], tags=["credits"])
def get_ledger(platform: PlatformDep, caller: CallerDep, limit: int = 100) -> list[LedgerOut]:
    with platform.store.read() as db:
        rows = ledger.entries(db, caller.account_id, limit=max(1, min(limit, 500)))
    return [
        LedgerOut(
            id=r.id,
            amount=r.amount_milli / 1000,
            kind=r.kind,
            note=r.note,
            session_id=r.session_id,
            created_at=r.created_at,
        )
        for r in rows
    ]


@router.get("/products", response_model=list[ProductOut], tags=["credits"])
def list_products(platform: PlatformDep, caller: CallerDep) -> list[ProductOut]:
    return [
        ProductOut(
            id=p.id,
            name=p.name,
            credits=p.credits,
            price_cents=p.price_cents,
            price=p.price,
            currency=p.currency,
        )
        for p in products(platform.settings.pricing)
    ]


@router.post("/topups", response_model=TopUpOut, status_code=201, tags=["credits"])
def create_topup(platform: PlatformDep, caller: CallerDep, body: TopUpIn) -> TopUpOut:
    return _topup(
        topups.start(
            platform.store, platform.payments, platform.settings.pricing, caller.account_id, body.product_id
        )
    )


@router.get("/topups", response_model=list[TopUpOut], tags=["credits"])
def list_topups(platform: PlatformDep, caller: CallerDep) -> list[TopUpOut]:
    with platform.store.read() as db:
        return [_topup(t) for t in topups.list_topups(db, caller.account_id)]


@router.get("/topups/{topup_id}", response_model=TopUpOut, tags=["credits"])
def get_topup(topup_id: str, platform: PlatformDep, caller: CallerDep) -> TopUpOut:
    with platform.store.read() as db:
        return _topup(topups.get(db, caller.account_id, topup_id))


# ---- voices ---------------------------------------------------------------------------------
@router.get("/voices", response_model=list[VoiceOut], tags=["voices"])
def list_voices(platform: PlatformDep, caller: CallerDep) -> list[VoiceOut]:
    with platform.store.read() as db:
        return [_voice(v) for v in voices.list_voices(db, caller.account_id)]


@router.post("/voices", response_model=VoiceOut, status_code=201, tags=["voices"])
def clone_voice(
    platform: PlatformDep,
    caller: CallerDep,
    audio: UploadFile = File(
        ..., description="10 s – 5 min of clear speech (mp3, m4a, wav, ogg, flac, webm …)"
    ),
    name: str = Form(...),
    voice_id: str | None = Form(None),
    noise_reduction: bool = Form(False),
    sample_rate: int | None = Form(None),
) -> VoiceOut:
    from selfcast.platform.ids import new_id

    data = read_upload(audio)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / (Path(audio.filename or "audio").name or "audio")
        src.write_bytes(data)
        voices.audio_duration(src, field="audio")
        row = voices.clone(
            platform.store, platform.settings, caller.account_id, audio_path=src, name=name,
            voice_id=voice_id or new_id("voice"), noise_reduction=noise_reduction, sample_rate=sample_rate,
            source_name=audio.filename or "",
        )  # fmt: skip
    return _voice(row)


@router.get("/voices/{voice_id}", response_model=VoiceOut, tags=["voices"])
def get_voice(voice_id: str, platform: PlatformDep, caller: CallerDep) -> VoiceOut:
    with platform.store.read() as db:
        return _voice(voices.get(db, caller.account_id, voice_id))


# ---- avatars --------------------------------------------------------------------------------
@router.get("/avatars", response_model=list[AvatarOut], tags=["avatars"])
def list_avatars(platform: PlatformDep, caller: CallerDep) -> list[AvatarOut]:
    with platform.store.read() as db:
        return [_avatar(a) for a in avatars.list_avatars(db, caller.account_id)]


@router.post("/avatars", response_model=AvatarOut, status_code=201, tags=["avatars"])
def upload_avatar(platform: PlatformDep, caller: CallerDep, image: UploadFile = File(...)) -> AvatarOut:
    data = read_upload(image)
    return _avatar(
        avatars.record(platform.store, platform.settings, caller.account_id, data, source="uploaded")
    )


@router.post("/avatars/generate", response_model=AvatarOut, status_code=201, tags=["avatars"])
def generate_avatar(platform: PlatformDep, caller: CallerDep, body: AvatarGenerateIn) -> AvatarOut:
    png = avatars.generate_png(platform.settings, prompt=body.prompt, style=body.style, seed=body.seed)
    return _avatar(
        avatars.record(
            platform.store,
            platform.settings,
            caller.account_id,
            png,
            source="generated",
            prompt=body.prompt or "",
            style=body.style,
        )
    )


@router.get("/avatars/{avatar_id}", response_model=AvatarOut, tags=["avatars"])
def get_avatar(avatar_id: str, platform: PlatformDep, caller: CallerDep) -> AvatarOut:
    with platform.store.read() as db:
        return _avatar(avatars.get(db, caller.account_id, avatar_id))


@router.get("/avatars/{avatar_id}/image", response_class=FileResponse, tags=["avatars"])
def avatar_image(avatar_id: str, platform: PlatformDep, caller: CallerDep) -> FileResponse:
    with platform.store.read() as db:
        row = avatars.get(db, caller.account_id, avatar_id)
    return FileResponse(row.path, media_type="image/png")


# ---- sessions -------------------------------------------------------------------------------
@router.post("/sessions", response_model=SessionOut, status_code=201, tags=["sessions"])
def create_session(platform: PlatformDep, caller: CallerDep, body: SessionIn) -> dict[str, Any]:
    avatar_path = None
    if body.avatar_id:
        with platform.store.read() as db:
            avatar_path = Path(avatars.get(db, caller.account_id, body.avatar_id).path)
    row = launch(
        platform.registry, platform.executor, caller.account_id, meet_url=body.meet_url, platform=body.platform,
        bot_name=body.bot_name, voice_id=body.voice_id, avatar_path=avatar_path, system_prompt=body.system_prompt,
        meeting_password=body.meeting_password, max_duration_s=body.max_duration_s,
        server_base_url=platform.settings.base_url,
    )  # fmt: skip
    return session_view(row)


@router.get("/sessions", response_model=list[SessionOut], tags=["sessions"])
def list_sessions(
    platform: PlatformDep, caller: CallerDep, active: bool = False, limit: int = 50
) -> list[dict[str, Any]]:
    with platform.store.read() as db:
        return [
            session_view(r)
            for r in platform.registry.list(db, caller.account_id, limit=limit, active_only=active)
        ]


@router.get("/sessions/{session_id}", response_model=SessionOut, tags=["sessions"])
def get_session(session_id: str, platform: PlatformDep, caller: CallerDep) -> dict[str, Any]:
    with platform.store.read() as db:
        return session_view(platform.registry.get(db, caller.account_id, session_id))


@router.post("/sessions/{session_id}/leave", response_model=SessionOut, tags=["sessions"])
def leave_session(session_id: str, platform: PlatformDep, caller: CallerDep) -> dict[str, Any]:
    row, tell = platform.registry.request_leave(caller.account_id, session_id)
    if tell:
        platform.executor.cancel(session_id)
    return session_view(row)


@router.get("/sessions/{session_id}/transcript", response_model=list[SegmentOut], tags=["sessions"])
def session_transcript(session_id: str, platform: PlatformDep, caller: CallerDep) -> list[SegmentOut]:
    with platform.store.read() as db:
        rows = platform.registry.transcript(db, caller.account_id, session_id)
    return [SegmentOut(speaker=r.speaker, text=r.text, start_s=r.start_s, end_s=r.end_s) for r in rows]


@router.get("/sessions/{session_id}/notes", response_model=NotesOut, tags=["sessions"])
def session_notes(session_id: str, platform: PlatformDep, caller: CallerDep) -> NotesOut:
    with platform.store.read() as db:
        row = platform.registry.get(db, caller.account_id, session_id)
        notes = platform.registry.notes(db, caller.account_id, session_id)
    if notes is None:
        return NotesOut(session_id=session_id, status=row.state, ready=False)
    return NotesOut(
        session_id=session_id, status=row.state, ready=True, data=notes.data, markdown=notes.markdown
    )


@router.get("/sessions/{session_id}/events", tags=["sessions"])
def session_events(session_id: str, platform: PlatformDep, caller: CallerDep) -> list[dict[str, Any]]:
    with platform.store.read() as db:
        platform.registry.get(db, caller.account_id, session_id)
        return [
            {"kind": e.kind, "data": e.data, "at": e.created_at.isoformat()}
            for e in platform.registry.events(db, session_id)
        ]
