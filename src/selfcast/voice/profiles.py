"""Voice profiles: learned from a sample once, stored under a persistent ``voice_id``.

Layout: ``<root>/<voice_id>/profile.json`` (metadata), ``model.npz`` (the learned conversion),
``source<ext>`` (the upload as given) and ``sample.wav`` (what was learned from). A profile is
written into a temporary folder and renamed into place, so a failed clone leaves nothing behind.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from selfcast.errors import BadInput, Conflict, NotFound, TooLarge
from selfcast.media.audio_io import decode_audio, normalize_loudness, probe_audio, write_audio
from selfcast.media.resample import resample
from selfcast.voice.convert import VoiceModel
from selfcast.voice.stock import STOCK_VOICES
from selfcast.voice.validate import MAX_TOTAL_S, RATE, check_sample, snr_estimate, speech_spans

_VOICE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{2,119}$")
_NAME_SAFE = re.compile(r"[^A-Za-z0-9_-]+")
RETENTION_WARNING = ("The source recording is kept with the voice profile on this server; delete the voice "
                     "(selfcast voices delete ID) to remove both.")


@dataclass(slots=True)
class VoiceProfile:
    voice_id: str
    name: str
    created_at: datetime
    kind: str = "cloned"  # cloned | stock
    provider: str = "selfcast"
    metadata: dict = field(default_factory=dict)
    path: Path | None = None

    @property
    def source_audio(self) -> Path | None:
        if self.path is None:
            return None
        found = sorted(self.path.glob("source*"))
        return found[0] if found else None

    @property
    def sample_rate(self) -> int | None:
        rate = self.metadata.get("sample_rate")
        return int(rate) if rate else None

    def load_model(self, fs: int) -> VoiceModel | None:
        """The conversion to apply to the base voice (None = the base voice as is)."""
        if self.kind == "stock":
            return STOCK_VOICES[self.voice_id].model(fs)
        assert self.path is not None
        model = VoiceModel.from_bytes((self.path / "model.npz").read_bytes())
        if model.fs != fs:
            raise BadInput(f"voice {self.voice_id} was learned at {model.fs} Hz for another base voice")
        return model

    def as_dict(self) -> dict:
        return {"voice_id": self.voice_id, "name": self.name, "kind": self.kind, "provider": self.provider,
                "created_at": self.created_at.isoformat(), "metadata": self.metadata,
                "source_audio": str(self.source_audio) if self.source_audio else None}


def default_voice_id(name: str, when: datetime | None = None) -> str:
    slug = _NAME_SAFE.sub("_", name.strip()).strip("_")[:60] or "voice"
    return f"voice_{slug}_{(when or datetime.now(UTC)).strftime('%Y%m%d%H%M%S')}"


class VoiceStore:
    """Cloned profiles under ``root`` plus the stock voices; one folder per voice id."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # --- reading ----------------------------------------------------------------------------
    def get(self, voice_id: str) -> VoiceProfile:
        if voice_id in STOCK_VOICES:
            stock = STOCK_VOICES[voice_id]
            return VoiceProfile(voice_id, voice_id, datetime(2026, 1, 1, tzinfo=UTC), kind="stock",
                                metadata={"description": stock.description})
        if not _VOICE_ID.match(voice_id or ""):
            raise NotFound(f"no voice {voice_id!r}: voice ids start with a letter and use letters, digits, '_' or '-'")
        folder = self.root / voice_id
        meta_path = folder / "profile.json"
        if not meta_path.is_file():
            raise NotFound(f"no voice {voice_id!r}; list voices with `selfcast voices list` or clone one "
                           "with `selfcast clone-voice`")
        meta = json.loads(meta_path.read_text("utf-8"))
        return VoiceProfile(voice_id, meta["name"], datetime.fromisoformat(meta["created_at"]),
                            metadata=meta.get("metadata", {}), path=folder)

    def list(self, *, include_stock: bool = False) -> list[VoiceProfile]:
        out = []
        if self.root.is_dir():
            for folder in sorted(self.root.iterdir()):
                if folder.is_dir() and not folder.name.startswith(".") and (folder / "profile.json").is_file():
                    out.append(self.get(folder.name))
        out.sort(key=lambda p: p.created_at, reverse=True)
        if include_stock:
            out += [self.get(v) for v in STOCK_VOICES]
        return out

    def delete(self, voice_id: str) -> None:
        if voice_id in STOCK_VOICES:
            raise BadInput(f"{voice_id} is a built-in voice and cannot be deleted")
        profile = self.get(voice_id)
        assert profile.path is not None
        trash = self.root / f".deleting-{voice_id}-{time.time_ns()}"
        profile.path.rename(trash)  # atomic: the id disappears at once, the files follow
        shutil.rmtree(trash, ignore_errors=True)

    # --- cloning ----------------------------------------------------------------------------
    def clone(self, audio_path: Path, name: str, *, noise_reduction: bool = False, sample_rate: int | None = None,
              voice_id: str | None = None, min_speech_s: float | None = None) -> VoiceProfile:
        """Validates the sample, learns the voice and stores it; raises ``BadInput`` and saves nothing on failure."""
        from selfcast.voice.learn import learn_voice
        from selfcast.voice.tts import base_voice

        started = time.perf_counter()
        audio_path = Path(audio_path)
        if not name or not name.strip():
            raise BadInput("a voice needs a name (--name)")
        created = datetime.now(UTC).replace(microsecond=0)
        voice_id = voice_id or default_voice_id(name, created)
        if not _VOICE_ID.match(voice_id):
            raise BadInput(f"voice_id {voice_id!r} must start with a letter and use 3-120 letters, digits, '_' or '-'")
        if voice_id in STOCK_VOICES or (self.root / voice_id).exists():
            raise Conflict(f"voice_id {voice_id} already exists; choose another id or delete the old voice")
        if sample_rate is not None and not 8000 <= int(sample_rate) <= 48000:
            raise BadInput(f"sample rate {sample_rate} Hz is out of range; use 8000-48000 Hz (e.g. 16000, 24000)")
        label = audio_path.name
        info = probe_audio(audio_path)
        if info.duration_s is not None and info.duration_s > MAX_TOTAL_S + 1.0:
            raise TooLarge(f"{label}: {info.duration_s / 60:.1f} minutes of audio; a voice sample may be at most "
                           f"{MAX_TOTAL_S / 60:.0f} minutes. Trim it to 15 s - 5 min of you speaking")
        native, native_rate = decode_audio(audio_path, max_seconds=MAX_TOTAL_S + 2.0)
        pcm16 = resample(native, native_rate, RATE)
        from selfcast.voice.validate import MIN_SPEECH_S

        min_speech = MIN_SPEECH_S if min_speech_s is None else min_speech_s
        report, _ = check_sample(pcm16, source_rate=native_rate, label=label, min_speech_s=min_speech)
        voice = base_voice()
        fs = voice.sample_rate
        work = resample(native, native_rate, fs)
        method = None
        snr_after = None
        if noise_reduction:
            from selfcast.voice.denoise import denoise

            work, method = denoise(work, fs)
            pcm16 = resample(work, fs, RATE)
            snr_after = snr_estimate(pcm16, speech_spans(pcm16))
        work = normalize_loudness(work, fs, -20.0)
        from selfcast.voice.phonemize import EspeakPhonemizer
        from selfcast.voice.transcribe import SampleTranscriber

        segments = SampleTranscriber().transcribe(pcm16)
        min_words = max(4, int(min_speech * 0.6))
        if sum(len(s.text.split()) for s in segments) < min_words:
            raise BadInput(f"{label}: the speech could not be transcribed (fewer than {min_words} words recognised); "
                           "the sample needs clear English speech from one person")
        model, learned = learn_voice(work, fs, segments, voice, EspeakPhonemizer(), source_rate=native_rate)
        out_rate = int(sample_rate) if sample_rate else None
        metadata = {
            "sample_rate": out_rate,
            "source_rate": native_rate,
            "duration_s": round(report.duration_s, 2),
            "speech_s": round(report.speech_s, 2),
            "snr_db": round(report.snr_db, 1),
            "clipped_fraction": report.clipped_fraction,
            "peak_dbfs": round(report.peak_dbfs, 1),
            "noise_reduction": method,
            "snr_db_after_noise_reduction": None if snr_after is None else round(snr_after, 1),
            "transcript": " ".join(s.text for s in segments),
            "f0_median_hz": round(learned.target_f0_hz, 1),
            "length_scale": round(learned.length_scale, 3),
            "aligned_frames": learned.aligned_frames,
            "bandwidth_hz": round(model.bandwidth_hz),
            "method": "world-knn-exemplar-v1",
            "clone_seconds": 0.0,
        }
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{voice_id}-", dir=self.root))
        try:
            (tmp / "model.npz").write_bytes(model.to_bytes())
            shutil.copyfile(audio_path, tmp / f"source{audio_path.suffix.lower() or '.bin'}")
            keep_rate = out_rate or min(native_rate, 48000)
            write_audio(tmp / "sample.wav", resample(work, fs, keep_rate) if keep_rate != fs else work, keep_rate)
            metadata["clone_seconds"] = round(time.perf_counter() - started, 2)
            (tmp / "profile.json").write_text(json.dumps({
                "voice_id": voice_id, "name": name.strip(), "created_at": created.isoformat(),
                "metadata": metadata}, indent=2), "utf-8")
            try:
                tmp.rename(self.root / voice_id)
            except OSError as exc:
                raise Conflict(f"voice_id {voice_id} already exists; choose another id") from exc
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return self.get(voice_id)

