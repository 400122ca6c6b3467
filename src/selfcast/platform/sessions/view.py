"""What a caller sees of a session: one view for the v1 API, the Pika-compatible status poll and its
fast path, read straight from an ORM row or a Core result row (``from_attributes``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

# the stored value, written the way clients have always parsed it (``isoformat()``, "+00:00")
IsoTime = Annotated[datetime | None, PlainSerializer(lambda t: t.isoformat() if t else None, return_type=str | None)]


class SessionView(BaseModel):
    """A session's status. Field names are the Pika contract's; two are spelled twice because the
    original skill reads ``video_worker_connected`` and forks read ``video_connected``."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    session_id: str = Field(validation_alias="id")
    status: str = Field(validation_alias="state")
    platform: str
    meet_url: str
    bot_name: str
    voice_id: str
    video_worker_connected: bool = Field(validation_alias="video_connected")
    video_connected: bool
    meeting_bot_connected: bool = Field(validation_alias="bot_connected")
    error_code: str | None
    error_message: str
    minutes_charged: int
    low_balance: bool
    created_at: IsoTime
    ready_at: IsoTime
    ended_at: IsoTime

    @field_validator("error_message", mode="before")
    @classmethod
    def _no_null_message(cls, value: str | None) -> str:
        return value or ""
