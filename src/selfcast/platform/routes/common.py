"""Helpers shared by the route modules."""

from __future__ import annotations

from typing import Any

from fastapi import UploadFile

from selfcast.errors import TooLarge
from selfcast.platform.limits import IMAGE_MAX, too_large_message
from selfcast.platform.store.models import MeetingSession


def read_upload(upload: UploadFile, limit: int = IMAGE_MAX * 2) -> bytes:
    """Read an upload that the body-limit middleware has already bounded."""
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(too_large_message(limit))
    return data


def iso(dt) -> str | None:  # type: ignore[no-untyped-def]
    return dt.isoformat() if dt else None


def session_view(row: MeetingSession) -> dict[str, Any]:
    return {
        "session_id": row.id,
        "status": row.state,
        "platform": row.platform,
        "meet_url": row.meet_url,
        "bot_name": row.bot_name,
        "voice_id": row.voice_id,
        "video_worker_connected": row.video_connected,
        "video_connected": row.video_connected,
        "meeting_bot_connected": row.bot_connected,
        "error_code": row.error_code,
        "error_message": row.error_message or "",
        "minutes_charged": row.minutes_charged,
        "low_balance": row.low_balance,
        "created_at": iso(row.created_at),
        "ready_at": iso(row.ready_at),
        "ended_at": iso(row.ended_at),
    }
