"""OpenAI-compatible chat completions (OpenAI, Ollama, vLLM, llama.cpp server, LM Studio):
``POST {url}/chat/completions`` with ``stream: true``; text in ``choices[0].delta.content``, the
end as ``data: [DONE]``. ``url`` is the API base with its version (``http://localhost:11434/v1``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

from selfcast.brain.base import BrainContext, Turn
from selfcast.brain.prompt import messages
from selfcast.brain.providers.base import HttpBrain
from selfcast.errors import Unavailable


class OpenAIBrain(HttpBrain):
    name = "openai"
    vendor = "the chat model API"
    default_url = "https://api.openai.com/v1"
    default_model = "gpt-4o-mini"

    def _headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"} if key else {}

    def complete(self, system: str, user: str, *, schema: dict | None = None, max_tokens: int = 800) -> str:
        """One whole answer, e.g. meeting notes; ``schema`` constrains it to JSON of that shape
        (``response_format: json_schema``, which llama.cpp's server turns into a grammar). Streamed
        underneath, so a long answer is bounded by the silence between pieces, not its length."""
        body: dict = {"model": self.model, "stream": True, "temperature": 0.1, "max_tokens": max_tokens,
                      "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]}
        if schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema,
                                                                             "strict": True}}
        return "".join(self._pieces(body, threading.Event(), patient=True))

    def _pieces(self, body: dict, cancel: threading.Event, *, patient: bool = False) -> Iterator[str]:
        """The text pieces of a streamed chat completion."""
        for event in self._events("/chat/completions", body, cancel, patient=patient):
            if event.data.strip() == "[DONE]":
                return
            chunk = json.loads(event.data)
            if "error" in chunk:
                raise Unavailable(f"{self.vendor} failed mid-reply: {str(chunk['error'])[:200]}")
            for choice in chunk.get("choices", []):
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    yield piece

    def _stream(self, history: list[Turn], context: BrainContext, cancel: threading.Event) -> Iterator[str]:
        system, msgs = messages(history, context)
        body = {"model": self.model, "stream": True, "temperature": 0.3, "max_tokens": self.max_tokens,
                "messages": [{"role": "system", "content": system}, *msgs]}
        yield from self._pieces(body, cancel)
