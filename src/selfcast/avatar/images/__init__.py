"""Portraits from an image vendor, one module per vendor on one base (``base.ImageProvider``):
``openai`` (any OpenAI-compatible images endpoint). Without ``avatar.images_url`` the
procedural painter draws instead (``avatar.generator``)."""

from __future__ import annotations

from selfcast.avatar.images.base import ImageProvider
from selfcast.avatar.images.openai import OpenAIImages
from selfcast.settings import AvatarSettings


def images_provider(settings: AvatarSettings) -> ImageProvider:
    """The provider for ``settings.images_url`` (use it as ``async with``)."""
    return OpenAIImages(url=settings.images_url, key=settings.images_key, model=settings.images_model)


__all__ = ["ImageProvider", "OpenAIImages", "images_provider"]
