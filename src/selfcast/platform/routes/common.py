"""Helpers shared by the route modules."""

from __future__ import annotations

from fastapi import UploadFile

from selfcast.errors import TooLarge
from selfcast.platform.limits import IMAGE_MAX, too_large_message


def read_upload(upload: UploadFile, limit: int = IMAGE_MAX * 2) -> bytes:
    """Read an upload that the body-limit middleware has already bounded."""
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(too_large_message(limit))
    return data
