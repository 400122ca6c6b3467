"""Chat-model vendors, one module per vendor on one base (``base.HttpBrain``), streamed as
server-sent events: ``openai`` (any OpenAI-compatible chat completions) and ``anthropic``."""

from __future__ import annotations

from selfcast.brain.providers.anthropic import AnthropicBrain
from selfcast.brain.providers.base import HttpBrain
from selfcast.brain.providers.openai import OpenAIBrain

__all__ = ["AnthropicBrain", "HttpBrain", "OpenAIBrain"]
