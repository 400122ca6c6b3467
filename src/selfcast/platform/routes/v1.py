"""The versioned REST API under ``/v1`` (OpenAPI at ``/docs``). Every route is scoped to the
caller's account: another account's key, top-up, voice, avatar or session is a 404."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, computed_field

from selfcast.platform import avatars, keys, quotas, voices
from selfcast.platform.billing import ledger
from selfcast.platform.billing.pricing import products
from selfcast.platform.deps import CallerDep, PlatformDep
from selfcast.platform.payments import topups
from selfcast.platform.routes.common import read_upload
from selfcast.platform.sessions.launch import launch
from selfcast.platform.sessions.page import is_page, page_url_of
from selfcast.platform.sessions.view import SessionView
from selfcast.platform.store.models import MeetingSession
from selfcast.settings import Settings
from selfcast.transcript import TranscriptLine

router = APIRouter(prefix="/v1")


# ---- models ---------------------------------------------------------------------------------
class RowView(BaseModel):
    """An API view read straight from a store row (``Model.model_validate(row)``)."""

    model_config = ConfigDict(from_attributes=True)


class KeyOut(RowView):
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    scopes: str = Field(default="sessions", description="Space-separated: sessions, keys:mint")


class NewKeyOut(KeyOut):
    key: str = Field(description="The key itself. Shown this once; store it now.")


class KeyIn(BaseModel):
    name: str = ""
    scopes: list[str] = Field(
        default_factory=list, description="Default: sessions. Only a key holding keys:mint may create keys."
    )


class BalanceOut(BaseModel):
    balance: int = Field(description="Whole credits available to spend (total minus held, never below 0)")
    held: float
    owed: float = Field(0.0, description="Refunded credits still held by open sessions, taken as they end")
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


class TopUpOut(RowView):
    id: str
    product_id: str
    credits: int
    amount_cents: int
    status: str
    provider: str
    checkout_url: str
    created_at: datetime
    paid_at: datetime | None = None


class VoiceOut(RowView):
    voice_id: str
    name: str
    source_name: str
    created_at: datetime


class AvatarOut(RowView):
    id: str
    source: str
    prompt: str
    style: str
    width: int
    height: int
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def image_url(self) -> str:
        return f"/v1/avatars/{self.id}/image"


class AvatarGenerateIn(BaseModel):
    prompt: str | None = None
    style: str = "cinematic"
    seed: int | None = None


class SessionIn(BaseModel):
    """Fields left out come from the account's agent defaults (Model Settings)."""

    meet_url: str | None = Field(default=None, description=(
        "The meeting link to join; required unless platform is \"page\", which takes none"))
    bot_name: str | None = None
    avatar_id: str | None = None
    platform: str | None = Field(default=None, description=(
        "Told by the link; \"page\": no meeting link, the response's page_url is a web page (the avatar "
        "with its voice, the page's microphone as the meeting) for a meeting bot vendor to load "
        "(Recall Output Media, Attendee, Meeting BaaS); see docs/output-media.md"))
    voice_id: str | None = None
    system_prompt: str | None = None
    meeting_password: str | None = None
    max_duration_s: float | None = None
    language: str | None = Field(default=None, description=(
        "What the meeting speaks, for recognition: a Whisper language code (en, de, fr, es, pt-BR → pt, ...); "
        "left out, the account's Model Settings language. The voices speak English only: in another "
        "language the bot still replies in English, and the session's events say so ('language')."))
    announce: bool | None = Field(default=None, description="say and post the consent announcement on joining; "
                                  "default: the account's setting (on when consent_text is given)")
    consent_text: str | None = Field(default=None, description="the announcement; {name} = the bot, {owner} = you")


class SessionOut(SessionView):
    """A session; ``page_url`` only for ``platform: "page"`` sessions (absent for every other)."""

    page_url: str | None = Field(default=None, description=(
        "platform \"page\" only: a signed link to the avatar's page, expiring an hour after the session's "
        "longest run (max_duration_s, else 24 h); hand it to the meeting bot vendor as its webpage"))

    @classmethod
    def of(cls, row: MeetingSession, settings: Settings) -> SessionOut:
        out = cls.model_validate(row)
        if is_page(row.platform):
            out.page_url = page_url_of(settings, row.meet_url)
        return out


class SegmentOut(BaseModel):
    """One transcript line (``selfcast.transcript.TranscriptLine``) as the API shows it."""

    speaker: str
    text: str
    start_s: float
    end_s: float
    bot: bool = False  # said by the avatar (only the words participants heard)

    @classmethod
    def of(cls, line: TranscriptLine) -> SegmentOut:
        return cls(speaker=line.speaker, text=line.text, start_s=line.start, end_s=line.end, bot=line.bot)


class NotesOut(BaseModel):
    session_id: str
    status: str
    ready: bool
    data: dict[str, Any] = {}
    markdown: str = ""


# ---- keys -----------------------------------------------------------------------------------
@router.get("/keys", response_model=list[KeyOut], tags=["keys"])
def list_keys(platform: PlatformDep, caller: CallerDep) -> list[KeyOut]:
    with platform.store.read() as db:
        return [KeyOut.model_validate(k) for k in keys.list_keys(db, caller.account_id)]


@router.post("/keys", response_model=NewKeyOut, status_code=201, tags=["keys"])
def create_key(platform: PlatformDep, caller: CallerDep, body: KeyIn) -> NewKeyOut:
    with platform.store.write() as db:
        new = keys.mint_with_key(db, caller.auth, body.name, body.scopes)
    return NewKeyOut(
        id=new.id, name=new.name, prefix=new.prefix, created_at=new.created_at, key=new.secret,
        scopes=" ".join(new.scopes),
    )


@router.delete("/keys/{key_id}", response_model=KeyOut, tags=["keys"])
def revoke_key(key_id: str, platform: PlatformDep, caller: CallerDep) -> KeyOut:
    with platform.store.write() as db:
        return KeyOut.model_validate(keys.revoke(db, caller.account_id, key_id))


# ---- credits --------------------------------------------------------------------------------
@router.get("/balance", response_model=BalanceOut, tags=["credits"])
def get_balance(platform: PlatformDep, caller: CallerDep) -> BalanceOut:
    p = platform.settings.pricing
    with platform.store.read() as db:
        b = ledger.balance(db, caller.account_id)
    return BalanceOut(
        balance=b.available,
        held=b.held,
        owed=b.owed,
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
    return TopUpOut.model_validate(
        topups.start(
            platform.store, platform.payments, platform.settings.pricing, caller.account_id, body.product_id
        )
    )


@router.get("/topups", response_model=list[TopUpOut], tags=["credits"])
def list_topups(platform: PlatformDep, caller: CallerDep) -> list[TopUpOut]:
    with platform.store.read() as db:
        return [TopUpOut.model_validate(t) for t in topups.list_topups(db, caller.account_id)]


@router.get("/topups/{topup_id}", response_model=TopUpOut, tags=["credits"])
def get_topup(topup_id: str, platform: PlatformDep, caller: CallerDep) -> TopUpOut:
    with platform.store.read() as db:
        return TopUpOut.model_validate(topups.get(db, caller.account_id, topup_id))


# ---- voices ---------------------------------------------------------------------------------
@router.get("/voices", response_model=list[VoiceOut], tags=["voices"])
def list_voices(platform: PlatformDep, caller: CallerDep) -> list[VoiceOut]:
    with platform.store.read() as db:
        return [VoiceOut.model_validate(v) for v in voices.list_voices(db, caller.account_id)]


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

    quotas.take(platform.store, platform.settings.quotas, caller.account_id, "voice_clone")
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
    return VoiceOut.model_validate(row)


@router.get("/voices/{voice_id}", response_model=VoiceOut, tags=["voices"])
def get_voice(voice_id: str, platform: PlatformDep, caller: CallerDep) -> VoiceOut:
    with platform.store.read() as db:
        return VoiceOut.model_validate(voices.get(db, caller.account_id, voice_id))


# ---- avatars --------------------------------------------------------------------------------
@router.get("/avatars", response_model=list[AvatarOut], tags=["avatars"])
def list_avatars(platform: PlatformDep, caller: CallerDep) -> list[AvatarOut]:
    with platform.store.read() as db:
        return [AvatarOut.model_validate(a) for a in avatars.list_avatars(db, caller.account_id)]


@router.post("/avatars", response_model=AvatarOut, status_code=201, tags=["avatars"])
def upload_avatar(platform: PlatformDep, caller: CallerDep, image: UploadFile = File(...)) -> AvatarOut:
    quotas.take(platform.store, platform.settings.quotas, caller.account_id, "upload")
    data = read_upload(image)
    return AvatarOut.model_validate(
        avatars.record(platform.store, platform.settings, caller.account_id, data, source="uploaded")
    )


@router.post("/avatars/generate", response_model=AvatarOut, status_code=201, tags=["avatars"])
def generate_avatar(platform: PlatformDep, caller: CallerDep, body: AvatarGenerateIn) -> AvatarOut:
    quotas.take(platform.store, platform.settings.quotas, caller.account_id, "avatar_generate")
    png = avatars.generate_png(platform.settings, prompt=body.prompt, style=body.style, seed=body.seed)
    return AvatarOut.model_validate(
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
        return AvatarOut.model_validate(avatars.get(db, caller.account_id, avatar_id))


@router.get("/avatars/{avatar_id}/image", response_class=FileResponse, tags=["avatars"])
def avatar_image(avatar_id: str, platform: PlatformDep, caller: CallerDep) -> FileResponse:
    with platform.store.read() as db:
        row = avatars.get(db, caller.account_id, avatar_id)
    return FileResponse(row.path, media_type="image/png")


# ---- sessions -------------------------------------------------------------------------------
@router.post("/sessions", response_model=SessionOut, response_model_exclude_unset=True, status_code=201,
             tags=["sessions"])
def create_session(platform: PlatformDep, caller: CallerDep, body: SessionIn) -> SessionOut:
    avatar_path = None
    if body.avatar_id:
        with platform.store.read() as db:
            avatar_path = Path(avatars.get(db, caller.account_id, body.avatar_id).path)
    row = launch(
        platform.registry, platform.executor, caller.account_id, meet_url=body.meet_url, platform=body.platform,
        bot_name=body.bot_name, voice_id=body.voice_id, avatar_path=avatar_path, system_prompt=body.system_prompt,
        meeting_password=body.meeting_password, max_duration_s=body.max_duration_s, language=body.language,
        announce=body.announce, consent_text=body.consent_text, server_base_url=platform.settings.base_url,
    )  # fmt: skip
    return SessionOut.of(row, platform.settings)


@router.get("/sessions", response_model=list[SessionView], tags=["sessions"])
def list_sessions(
    platform: PlatformDep, caller: CallerDep, active: bool = False, limit: int = 50
) -> list[SessionView]:
    with platform.store.read() as db:
        return [
            SessionView.model_validate(r)
            for r in platform.registry.list(db, caller.account_id, limit=limit, active_only=active)
        ]


@router.get("/sessions/{session_id}", response_model=SessionOut, response_model_exclude_unset=True,
            tags=["sessions"])
def get_session(session_id: str, platform: PlatformDep, caller: CallerDep) -> SessionOut:
    with platform.store.read() as db:
        return SessionOut.of(platform.registry.get(db, caller.account_id, session_id), platform.settings)


@router.post("/sessions/{session_id}/leave", response_model=SessionView, tags=["sessions"])
def leave_session(session_id: str, platform: PlatformDep, caller: CallerDep) -> SessionView:
    row, tell = platform.registry.request_leave(caller.account_id, session_id)
    if tell:
        platform.executor.cancel(session_id)
    return SessionView.model_validate(row)


@router.get("/sessions/{session_id}/transcript", response_model=list[SegmentOut], tags=["sessions"])
def session_transcript(session_id: str, platform: PlatformDep, caller: CallerDep) -> list[SegmentOut]:
    with platform.store.read() as db:
        lines = platform.registry.transcript(db, caller.account_id, session_id)
    return [SegmentOut.of(line) for line in lines]


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
