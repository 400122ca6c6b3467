"""The developer portal: server-rendered pages on the platform (sign-in, keys, usage, top-up,
voices and avatars). ``build_router(settings)`` is what the app factory includes."""

from __future__ import annotations

from selfcast.platform.portal.pages import build_router

__all__ = ["build_router"]
