"""Voices scoped to accounts. The voice engine (``selfcast.voice.profiles.VoiceStore``) keeps the
profiles; the ``voices`` table says whose each ``voice_id`` is, so another account's voice is a 404.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from selfcast.errors import BadInput, Conflict
from selfcast.platform.diskspace import atomic_copy, translate_disk_full
from selfcast.platform.ids import utcnow
from selfcast.platform.params import parse_sample_rate
from selfcast.platform.store import Store
from selfcast.platform.store.models import Upload, Voice
from selfcast.platform.store.owned import owned
from selfcast.platform.uploads import audio_duration
from selfcast.settings import Settings
from selfcast.voice.profiles import VoiceStore

_VOICE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{2,119}$")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def voice_root(settings: Settings) -> Path:
    return settings.data_dir / "voices"


def upload_root(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


def _engine(settings: Settings) -> VoiceStore:
    return VoiceStore(voice_root(settings))


def store_upload(
    store: Store, settings: Settings, account_id: str, *, filename: str, purpose: str, src: Path, size: int
) -> Upload:
    """Keep an uploaded audio file after checking that it decodes; returns the row (its id is the file_id)."""
    if purpose != "voice_clone":
        raise BadInput(f"purpose {purpose!r} is not supported; use purpose=voice_clone")
    audio_duration(src)
    safe = _SAFE.sub("_", Path(filename or "audio").name)[-120:] or "audio"
    with store.write() as db:
        row = Upload(
            account_id=account_id,
            purpose=purpose,
            filename=safe,
            path="",
            size_bytes=size,
            created_at=utcnow(),
        )
        db.add(row)
        db.flush()
        dest = upload_root(settings) / account_id / f"{row.id}_{safe}"
        atomic_copy(src, dest)  # a full disk: DiskFull, the row rolls back, no partial file
        row.path = str(dest)
        return row


def get_upload(db: Session, account_id: str, file_id: int | str) -> Upload:
    try:
        fid = int(file_id)
    except (TypeError, ValueError):
        raise BadInput(f"file_id {file_id!r} is not a file id from /files/upload") from None
    return owned(db, Upload, fid, account_id, what="uploaded file")


def check_voice_id(voice_id: str) -> str:
    if not isinstance(voice_id, str) or not _VOICE_ID.match(voice_id):
        raise BadInput("voice_id must start with a letter and use 3–120 letters, digits, '_' or '-'")
    return voice_id


def clone(
    store: Store,
    settings: Settings,
    account_id: str,
    *,
    audio_path: Path,
    name: str,
    voice_id: str,
    noise_reduction: bool = False,
    sample_rate: int | None = None,
    source_name: str = "",
) -> Voice:
    """Clone a voice with the engine and record that it belongs to ``account_id``."""
    check_voice_id(voice_id)
    sample_rate = parse_sample_rate(sample_rate)
    with store.read() as db:
        owner = db.scalar(select(Voice.account_id).where(Voice.voice_id == voice_id))
    if owner is not None:
        raise Conflict(f"voice_id {voice_id} is taken; choose another id")
    engine = _engine(settings)
    with translate_disk_full(voice_root(settings)):
        profile = engine.clone(
            audio_path,
            name or voice_id,
            noise_reduction=noise_reduction,
            sample_rate=sample_rate,
            voice_id=voice_id,
        )
    created = getattr(profile, "created_at", None)
    with store.write() as db:
        row = Voice(
            voice_id=profile.voice_id,
            account_id=account_id,
            name=name or voice_id,
            source_name=source_name[:300],
            created_at=created if isinstance(created, datetime) and created.tzinfo else utcnow(),
        )
        db.add(row)
        return row


def get(db: Session, account_id: str, voice_id: str) -> Voice:
    return owned(db, Voice, voice_id, account_id, what="voice")


def list_voices(db: Session, account_id: str) -> list[Voice]:
    return list(
        db.scalars(select(Voice).where(Voice.account_id == account_id).order_by(Voice.created_at.desc()))
    )
