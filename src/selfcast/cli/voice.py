"""`selfcast clone-voice`, `selfcast say` and `selfcast voices list|delete`: the voice engine from the shell."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from selfcast.errors import BadInput


def register(app: typer.Typer) -> None:
    @app.command("clone-voice")
    def clone_voice(
        audio: Path = typer.Option(..., "--audio", help="15 s - 5 min of you speaking (wav, mp3, m4a, ogg, flac...)"),
        name: str = typer.Option(..., "--name", help="a name for the voice"),
        noise_reduction: bool = typer.Option(False, "--noise-reduction", help="remove background noise first"),
        sample_rate: int = typer.Option(None, "--sample-rate", help="output rate of this voice in Hz (8000-48000)"),
        voice_id: str = typer.Option(None, "--voice-id", help="choose the id (default voice_NAME_TIMESTAMP)"),
    ) -> None:
        """Clone a voice from a recording; prints one JSON line with the new voice_id."""
        from selfcast.settings import Settings
        from selfcast.voice.profiles import RETENTION_WARNING, VoiceStore

        settings = Settings()
        store = VoiceStore(settings.data_dir / "voices")
        profile = store.clone(audio, name, noise_reduction=noise_reduction, sample_rate=sample_rate,
                              voice_id=voice_id)
        m = profile.metadata
        typer.echo(json.dumps({
            "voice_id": profile.voice_id, "provider": "selfcast", "cloned_at": profile.created_at.isoformat(),
            "source_audio": str(profile.source_audio), "retention_warning": RETENTION_WARNING,
            "speech_seconds": m.get("speech_s"), "snr_db": m.get("snr_db"),
            "noise_reduction": m.get("noise_reduction"), "sample_rate": m.get("sample_rate"),
        }), nl=True)

    @app.command("say")
    def say(
        text: str = typer.Argument(..., help="what to say"),
        out: Path = typer.Option(..., "--out", help="audio file to write (.wav, .mp3, .ogg, .flac ...)"),
        voice_id: str = typer.Option(None, "--voice-id", help="cloned or stock voice (default from settings)"),
    ) -> None:
        """Speak TEXT in a voice and write it to a file."""
        import numpy as np

        from selfcast.media.audio_io import write_audio
        from selfcast.settings import Settings
        from selfcast.voice import get_tts

        if not text.strip():
            raise BadInput("nothing to say: TEXT is empty")
        started = time.perf_counter()
        tts = get_tts(voice_id, Settings())
        first = None
        parts = []
        for chunk in tts.stream(text):
            first = first if first is not None else time.perf_counter() - started
            parts.append(chunk.pcm)
        pcm = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_audio(out, pcm, tts.sample_rate)
        typer.echo(json.dumps({"path": str(out), "voice_id": tts.voice_id, "seconds": round(len(pcm) / tts.sample_rate, 2),
                               "sample_rate": tts.sample_rate, "first_audio_s": round(first or 0.0, 3)}))

    voices = typer.Typer(help="List or delete voices.", no_args_is_help=True)
    app.add_typer(voices, name="voices")

    @voices.command("list")
    def list_voices(stock: bool = typer.Option(True, "--stock/--no-stock", help="include built-in voices")) -> None:
        """One JSON line per voice (cloned first, newest first; then built-in voices)."""
        from selfcast.settings import Settings
        from selfcast.voice.profiles import VoiceStore

        for p in VoiceStore(Settings().data_dir / "voices").list(include_stock=stock):
            d = p.as_dict()
            d["metadata"] = {k: v for k, v in d["metadata"].items() if k != "transcript"}
            typer.echo(json.dumps(d))

    @voices.command("delete")
    def delete_voice(voice_id: str = typer.Argument(..., help="the voice to delete")) -> None:
        """Delete a cloned voice and its source recording."""
        from selfcast.settings import Settings
        from selfcast.voice.profiles import VoiceStore

        VoiceStore(Settings().data_dir / "voices").delete(voice_id)
        typer.echo(json.dumps({"voice_id": voice_id, "deleted": True}))
