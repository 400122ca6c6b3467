"""Hearing: voice activity, incremental speech recognition, turn-taking, barge-in, addressing."""

from selfcast.hearing.asr import ASR, OpenAIASR, WhisperASR, get_asr
from selfcast.hearing.core import Hearing
from selfcast.hearing.events import (
    BargeIn,
    EndOfTurn,
    HearingEvent,
    PartialTranscript,
    SpeechStarted,
)

__all__ = [
    "ASR",
    "BargeIn",
    "EndOfTurn",
    "Hearing",
    "HearingEvent",
    "OpenAIASR",
    "PartialTranscript",
    "SpeechStarted",
    "WhisperASR",
    "get_asr",
]
