"""Brain: what to say. Context + conversation → streamed spoken sentences, plus workspace
synthesis (the reference card), memory across meetings and meeting notes."""

from __future__ import annotations

from selfcast.brain.base import APOLOGY, Brain, BrainContext, SentenceSplitter, Turn
from selfcast.errors import BadInput


def get_brain(settings) -> Brain:
    """The provider named by ``BrainSettings.provider``: ``embedded`` (the LLM, the extractive
    responder as its fallback) | ``extractive`` | ``openai`` | ``anthropic``."""
    provider = (settings.provider or "embedded").lower()
    if provider in ("embedded", "extractive"):
        from selfcast.brain.extractive import ExtractiveBrain

        extractive = ExtractiveBrain(settings)
        if provider == "extractive":
            return extractive
        from selfcast.brain.llm.brain import LLMBrain

        return LLMBrain(settings, fallback=extractive)
    if provider in ("openai", "ollama", "vllm", "lmstudio", "llamacpp"):
        from selfcast.brain.providers import OpenAIBrain

        return OpenAIBrain(settings)
    if provider == "anthropic":
        from selfcast.brain.providers import AnthropicBrain

        return AnthropicBrain(settings)
    raise BadInput(f"unknown brain provider {settings.provider!r}; use 'embedded', 'extractive', 'openai' or 'anthropic'")


__all__ = ["APOLOGY", "Brain", "BrainContext", "SentenceSplitter", "Turn", "get_brain"]
