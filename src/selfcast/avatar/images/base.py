"""The base of image vendors: a portrait from a prompt, as a coroutine.

Generation takes seconds to a minute and is called from request handlers, so it is async
(``selfcast.providers.http.AsyncHTTPClient``: sent again when the connection fails or drops before
an answer, bounded timeouts, refusals named); an async caller awaits ``generate`` directly and
``avatar.generator.generate_avatar`` runs it for today's sync callers (the CLI, FastAPI's sync
routes, which run in its thread pool).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import httpx

from selfcast.providers.http import AsyncHTTPClient, Endpoint, Retry, timeouts

CHECK = "avatar.images_url, avatar.images_key and avatar.images_model (SELFCAST_AVATAR__IMAGES_*)"


class ImageProvider(ABC):
    vendor: ClassVar[str]  # how errors name it

    def __init__(self, *, url: str, key: str = "", model: str = "", read_timeout_s: float = 120.0,
                 retry: Retry | None = None, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.model = model
        endpoint = Endpoint(self.vendor, url, headers=self._headers(key), secret=key, check=CHECK,
                            timeout=timeouts(read_timeout_s), retry=retry or Retry())
        self.http = AsyncHTTPClient(endpoint, transport=transport)

    @abstractmethod
    def _headers(self, key: str) -> dict[str, str]: ...

    @abstractmethod
    async def generate(self, prompt: str, style: str) -> bytes:
        """PNG bytes of a head-and-shoulders portrait of ``prompt`` in ``style``."""

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> ImageProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
