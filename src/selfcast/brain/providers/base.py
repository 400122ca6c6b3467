"""The base of chat-model vendors: one streamed request per reply, read as server-sent events.

A vendor module says how to ask (path, headers, body) and how to read its events into text
pieces (``_stream``); this class owns the HTTP client (``selfcast.providers.http``: sent again when
the connection fails or drops before an answer, bounded timeouts, refusals named) and reads the
event stream with ``httpx-sse``. It runs on the brain's reply thread, so a blocking client is
right; ``Brain.reply`` turns every failure here into a spoken apology.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from typing import ClassVar

import httpx
from httpx_sse import EventSource, ServerSentEvent, SSEError

from selfcast.brain.base import Brain, Cancelled
from selfcast.errors import BadInput, Unavailable
from selfcast.providers.http import Endpoint, HTTPClient, Retry, timeouts
from selfcast.settings import BrainSettings

CHECK = "brain.url, brain.key and brain.model (SELFCAST_BRAIN__*)"
WHOLE_ANSWER_READ_S = 180.0


class HttpBrain(Brain):
    vendor: ClassVar[str]  # how errors name it
    default_url: ClassVar[str]
    default_model: ClassVar[str]

    def __init__(self, settings: BrainSettings, *, retry: Retry | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(settings)
        url = (settings.url or self.default_url).rstrip("/")
        if not url:
            raise BadInput(f"brain.provider={self.name} needs brain.url")
        self.url = url
        self.model = settings.model or self.default_model
        self.max_tokens = int(settings.max_tokens)
        # read timeout = the longest silence between two events: a stalled stream ends, not hangs
        endpoint = Endpoint(self.vendor, url, headers=self._headers(settings.key), secret=settings.key, check=CHECK,
                            timeout=timeouts(float(settings.first_token_timeout_s)), retry=retry or Retry())
        self.http = HTTPClient(endpoint, transport=transport)
        # a whole answer (notes) may think for long before its first piece: a patient client
        self.http_patient = HTTPClient(dataclasses.replace(endpoint, timeout=timeouts(WHOLE_ANSWER_READ_S)),
                                       transport=transport)

    def _headers(self, key: str) -> dict[str, str]:
        raise NotImplementedError

    def _events(self, path: str, body: dict, cancel: threading.Event, *, patient: bool = False
                ) -> Iterator[ServerSentEvent]:
        with (self.http_patient if patient else self.http).stream("POST", path, json=body) as response:
            try:
                for event in EventSource(response).iter_sse():
                    if cancel.is_set():
                        raise Cancelled()
                    yield event
            except SSEError as exc:
                raise Unavailable(f"{self.vendor} answered without an event stream ({exc}); check {CHECK}") from exc

    def close(self) -> None:
        self.http.close()
        self.http_patient.close()
