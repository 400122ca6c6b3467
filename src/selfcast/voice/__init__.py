"""Voice engine: speech in the owner's cloned voice, streamed sentence by sentence.

``get_tts(voice_id, settings)`` is what other layers call; ``selfcast.voice.profiles.VoiceStore``
clones and keeps voices. The embedded default is the bundled Joe voice (ONNX) converted with
WORLD to a cloned or stock voice; providers plug in through ``settings.voice``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selfcast.settings import Settings
    from selfcast.voice.tts import TTSEngine


def get_tts(voice_id: str | None = None, settings: Settings | None = None) -> TTSEngine:
    """The engine that speaks ``voice_id`` (None = ``settings.voice.default_voice_id``).

    ``get_tts(settings)`` is accepted too; pass the voice later with ``stream(text, voice_id=...)``.
    """
    from selfcast.settings import Settings

    if isinstance(voice_id, Settings):  # tolerate get_tts(settings)
        voice_id, settings = None, voice_id
    settings = settings or Settings()
    vs = settings.voice
    voice_id = voice_id or vs.default_voice_id
    if (vs.provider or "embedded").lower() != "embedded":
        from selfcast.voice.providers import provider_tts

        return provider_tts(vs, voice_id)
    from selfcast.voice.profiles import VoiceStore
    from selfcast.voice.tts import EmbeddedTTS, base_voice

    store = VoiceStore(settings.data_dir / "voices")
    fs = base_voice().sample_rate

    def resolve(vid: str):  # type: ignore[no-untyped-def]
        profile = store.get(vid)
        return profile.load_model(fs), profile.sample_rate

    model, rate = resolve(voice_id)
    return EmbeddedTTS(model, voice_id=voice_id, output_rate=rate, resolver=resolve)
