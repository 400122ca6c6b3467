"""Chat-model providers over HTTP, streamed: OpenAI-compatible chat completions (OpenAI, Ollama,
vLLM, llama.cpp server, LM Studio) and Anthropic messages. Both read server-sent events line by
line and hand text on as it arrives."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

from selfcast.brain.base import Brain, BrainContext, Cancelled, Turn
from selfcast.brain.prompt import messages
from selfcast.errors import BadInput, Timeout, Unavailable


def _sse_data(lines: Iterator[str], cancel: threading.Event) -> Iterator[tuple[str, str]]:
    """(event, data) pairs from a text/event-stream."""
    event, data = "", []
    for line in lines:
        if cancel.is_set():
            raise Cancelled()
        if line == "":
            if data:
                yield event, "\n".join(data)
            event, data = "", []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    if data:
        yield event, "\n".join(data)


class _HTTPBrain(Brain):
    default_url = ""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        import httpx

        self.url = (settings.url or self.default_url).rstrip("/")
        if not self.url:
            raise BadInput(f"brain.provider={self.name} needs brain.url")
        self.model = settings.model
        timeout = httpx.Timeout(connect=5.0, read=float(getattr(settings, "first_token_timeout_s", 8.0)),
                                write=10.0, pool=5.0)
        self._client = httpx.Client(timeout=timeout, headers=self._headers(settings.key))

    def _headers(self, key: str) -> dict:
        return {}

    def _post_stream(self, path: str, body: dict, cancel: threading.Event) -> Iterator[tuple[str, str]]:
        import httpx

        try:
            with self._client.stream("POST", self.url + path, json=body) as r:
                if r.status_code >= 400:
                    r.read()
                    raise Unavailable(f"{self.name} provider answered HTTP {r.status_code}: "
                                      f"{r.text[:200]}; check brain.url, brain.key and brain.model")
                yield from _sse_data(r.iter_lines(), cancel)
        except httpx.TimeoutException as exc:
            raise Timeout(f"{self.name} provider at {self.url} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise Unavailable(f"{self.name} provider at {self.url} unreachable ({type(exc).__name__})") from exc

    def close(self) -> None:
        self._client.close()


class OpenAIBrain(_HTTPBrain):
    """``POST {url}/chat/completions`` with ``stream: true``; reads ``choices[0].delta.content``."""

    name = "openai"
    default_url = "https://api.openai.com/v1"

    def _headers(self, key: str) -> dict:
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _stream(self, history: list[Turn], context: BrainContext, cancel: threading.Event) -> Iterator[str]:
        system, msgs = messages(history, context)
        body = {"model": self.model or "gpt-4o-mini", "stream": True, "temperature": 0.3,
                "max_tokens": int(getattr(self.settings, "max_tokens", 200)),
                "messages": [{"role": "system", "content": system}, *msgs]}
        for _event, data in self._post_stream("/chat/completions", body, cancel):
            if data.strip() == "[DONE]":
                return
            chunk = json.loads(data)
            if "error" in chunk:
                raise Unavailable(f"openai provider error: {str(chunk['error'])[:200]}")
            for choice in chunk.get("choices", []):
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    yield piece


class AnthropicBrain(_HTTPBrain):
    """``POST {url}/v1/messages`` with ``stream: true``; reads ``content_block_delta`` text deltas."""

    name = "anthropic"
    default_url = "https://api.anthropic.com"

    def _headers(self, key: str) -> dict:
        h = {"anthropic-version": "2023-06-01", "content-type": "application/json"}
        if key:
            h["x-api-key"] = key
        return h

    def _stream(self, history: list[Turn], context: BrainContext, cancel: threading.Event) -> Iterator[str]:
        system, msgs = messages(history, context)
        body = {"model": self.model or "claude-3-5-haiku-latest", "stream": True, "system": system,
                "max_tokens": int(getattr(self.settings, "max_tokens", 200)), "messages": msgs}
        path = "/messages" if self.url.endswith("/v1") else "/v1/messages"
        for event, data in self._post_stream(path, body, cancel):
            msg = json.loads(data)
            kind = msg.get("type", event)
            if kind == "content_block_delta":
                delta = msg.get("delta") or {}
                if delta.get("type") in (None, "text_delta") and delta.get("text"):
                    yield delta["text"]
            elif kind == "error":
                raise Unavailable(f"anthropic provider error: {str(msg.get('error'))[:200]}")
            elif kind == "message_stop":
                return
