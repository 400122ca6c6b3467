"""Anthropic messages: ``POST {url}/v1/messages`` with ``stream: true`` (``x-api-key`` and
``anthropic-version`` headers); text in ``content_block_delta`` events' ``text_delta``, the end as
``message_stop``, a failure as an ``error`` event."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

from selfcast.brain.base import BrainContext, Turn
from selfcast.brain.prompt import messages
from selfcast.brain.providers.base import HttpBrain
from selfcast.errors import Unavailable

API_VERSION = "2023-06-01"


class AnthropicBrain(HttpBrain):
    name = "anthropic"
    vendor = "Anthropic"
    default_url = "https://api.anthropic.com"
    default_model = "claude-3-5-haiku-latest"

    def _headers(self, key: str) -> dict[str, str]:
        return {"anthropic-version": API_VERSION, **({"x-api-key": key} if key else {})}

    def _stream(self, history: list[Turn], context: BrainContext, cancel: threading.Event) -> Iterator[str]:
        system, msgs = messages(history, context)
        body = {"model": self.model, "stream": True, "system": system, "max_tokens": self.max_tokens,
                "messages": msgs}
        path = "/messages" if self.url.endswith("/v1") else "/v1/messages"
        for event in self._events(path, body, cancel):
            msg = json.loads(event.data)
            kind = msg.get("type", event.event)
            if kind == "content_block_delta":
                delta = msg.get("delta") or {}
                if delta.get("type") in (None, "text_delta") and delta.get("text"):
                    yield delta["text"]
            elif kind == "error":
                raise Unavailable(f"Anthropic failed mid-reply: {str(msg.get('error'))[:200]}")
            elif kind == "message_stop":
                return
