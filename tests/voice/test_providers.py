"""Speech vendors against local stand-ins that speak their documented wire formats (tests/voice/vendors.py):
audio streams at the asked rate sample for sample, refusals and vendor errors are clear errors,
a dropped connection is sent again, and nothing leaks the key."""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Iterator

import numpy as np
import pytest
from tests.voice import measure as M
from tests.voice.vendors import ESPEAK_RATE, ElevenLabs, MiniMax, OpenAISpeech, StandIn

from selfcast.errors import BadInput, Unauthorized, Unavailable
from selfcast.media.frames import AudioChunk
from selfcast.providers.http import Retry
from selfcast.settings import Settings, VoiceSettings
from selfcast.voice import get_tts
from selfcast.voice.providers import ElevenLabsTTS, MiniMaxTTS, OpenAITTS

KEY = "sk-stand-in-key-0123456789abcdef"
TEXT = "Hello team. See you on Friday."
FAST = Retry(attempts=3, backoff_s=0.01)


@pytest.fixture
def elevenlabs() -> Iterator[ElevenLabs]:
    s = ElevenLabs(KEY)
    yield s
    s.close()


@pytest.fixture
def minimax() -> Iterator[MiniMax]:
    s = MiniMax(KEY)
    yield s
    s.close()


def _by_sentence(chunks: list[AudioChunk]) -> dict[str, np.ndarray]:
    out: dict[str, list[np.ndarray]] = {}
    for c in chunks:
        if c.pcm.size:
            out.setdefault(c.meta["text"], []).append(c.pcm)
    return {k: np.concatenate(v) for k, v in out.items()}


def _as_sent(pcm: np.ndarray) -> np.ndarray:
    return (pcm * 32768.0).round().astype("<i2")


def _check_stream(chunks: list[AudioChunk], server: StandIn, rate: int) -> None:
    """One running clock, the right rate, the end marker last, and every sample as the server sent it."""
    assert all(c.sample_rate == rate for c in chunks)
    assert chunks[-1].final and chunks[-1].pcm.size == 0 and not any(c.final for c in chunks[:-1])
    for prev, nxt in itertools.pairwise(chunks):
        assert nxt.pts == pytest.approx(prev.end)
    got = _by_sentence(chunks)
    assert list(got) == ["Hello team.", "See you on Friday."]
    for text, pcm in got.items():
        assert np.array_equal(_as_sent(pcm), server.sent[text]), text


def test_elevenlabs_streams_pcm_at_the_asked_rate_as_documented() -> None:
    server = ElevenLabs(KEY, piece_bytes=8001, pause_s=0.6)  # holds back the rest of each answer 0.6 s
    try:
        tts = ElevenLabsTTS(voice_id="JBFqnCBsd6RMkjVDRZzb", url=server.url, key=KEY, sample_rate=16000,
                            voice_settings={"stability": 0.5, "similarity_boost": 0.75})
        t0 = time.perf_counter()
        it = tts.stream(TEXT)
        first = next(it)
        t_first = time.perf_counter() - t0
        chunks = [first, *it]
        assert t_first < 0.45, t_first  # audio is handed on as it arrives, not after the whole answer
        _check_stream(chunks, server, 16000)
        req = server.requests[0]
        assert req.path == "/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb/stream"
        assert req.query == {"output_format": "pcm_16000"} and req.headers["xi-api-key"] == KEY
        assert req.json == {"text": "Hello team.", "model_id": "eleven_flash_v2_5",
                            "voice_settings": {"stability": 0.5, "similarity_boost": 0.75}}
        heard = M.transcribe(np.concatenate([c.pcm for c in chunks]), 16000).lower()
        assert "friday" in heard and "team" in heard
        tts.close()
    finally:
        server.close()


def test_elevenlabs_refusals_are_clear_errors_without_the_key(elevenlabs: ElevenLabs) -> None:
    wrong = "sk-wrong-key-0123456789"
    with pytest.raises(Unauthorized, match=r"ElevenLabs refused the key \(HTTP 401: Invalid API key\).*voice\.key") as e:
        list(ElevenLabsTTS(voice_id="v1", url=elevenlabs.url, key=wrong).stream(TEXT))
    assert wrong not in str(e.value)
    with pytest.raises(Unavailable, match=r"HTTP 422: voice_settings\.stability: must be within"):
        list(ElevenLabsTTS(voice_id="v1", url=elevenlabs.url, key=KEY, voice_settings={"stability": 2.0}).stream(TEXT))
    with pytest.raises(BadInput, match="cannot send 11025 Hz"):
        ElevenLabsTTS(voice_id="v1", key=KEY, sample_rate=11025)
    with pytest.raises(BadInput, match="needs a voice id"):
        list(ElevenLabsTTS(url=elevenlabs.url, key=KEY).stream(TEXT))


def test_minimax_streams_hex_pcm_events_as_documented() -> None:
    server = MiniMax(KEY, piece_bytes=12001, pause_s=0.6)
    try:
        tts = MiniMaxTTS(voice_id="English_radiant_girl", url=server.url, key=KEY, sample_rate=24000)
        t0 = time.perf_counter()
        it = tts.stream(TEXT)
        first = next(it)
        t_first = time.perf_counter() - t0
        chunks = [first, *it]
        assert t_first < 0.45, t_first
        _check_stream(chunks, server, 24000)
        req = server.requests[0]
        assert req.path == "/v1/t2a_v2" and req.headers["authorization"] == f"Bearer {KEY}"
        assert req.json["model"] == "speech-02-turbo" and req.json["text"] == "Hello team."
        assert req.json["stream"] is True and req.json["stream_options"] == {"exclude_aggregated_audio": True}
        assert req.json["voice_setting"]["voice_id"] == "English_radiant_girl"
        assert req.json["audio_setting"] == {"sample_rate": 24000, "format": "pcm", "channel": 1}
    finally:
        server.close()


def test_minimax_ignores_the_aggregated_audio_of_the_last_event(minimax: MiniMax) -> None:
    """A server that repeats the whole audio in its status-2 event anyway adds nothing twice."""
    minimax.aggregate_always = True
    chunks = list(MiniMaxTTS(voice_id="English_radiant_girl", url=minimax.url, key=KEY, sample_rate=16000).stream(TEXT))
    _check_stream(chunks, minimax, 16000)


def test_minimax_vendor_errors_are_clear(minimax: MiniMax) -> None:
    wrong = "sk-wrong-key-0123456789"
    with pytest.raises(Unauthorized, match=r"MiniMax refused the key \(1004: not authorized\)") as e:
        list(MiniMaxTTS(voice_id="English_radiant_girl", url=minimax.url, key=wrong).stream(TEXT))
    assert wrong not in str(e.value)
    with pytest.raises(Unavailable, match=r"refused the request \(2013: invalid params, model 'speech-9'"):
        list(MiniMaxTTS(voice_id="English_radiant_girl", url=minimax.url, key=KEY, model="speech-9").stream(TEXT))
    minimax.fail_midway = 1002
    it = MiniMaxTTS(voice_id="English_radiant_girl", url=minimax.url, key=KEY, sample_rate=16000).stream(TEXT)
    with pytest.raises(Unavailable, match=r"rate-limiting \(1002"):
        next(it)  # the first piece is shorter than a chunk: the error arrives before any audio
    minimax.fail_midway, minimax.truncate = 0, True
    with pytest.raises(Unavailable, match="ended the stream before its last event"):
        list(MiniMaxTTS(voice_id="English_radiant_girl", url=minimax.url, key=KEY).stream(TEXT))


@pytest.mark.parametrize("vendor", ["elevenlabs", "minimax"])
def test_a_dropped_connection_is_sent_again(vendor: str, elevenlabs: ElevenLabs, minimax: MiniMax) -> None:
    server, kind = (elevenlabs, ElevenLabsTTS) if vendor == "elevenlabs" else (minimax, MiniMaxTTS)
    server.drop = 1  # the first connection is closed after the request, with no answer
    chunks = list(kind(voice_id="v1", url=server.url, key=KEY, sample_rate=16000, retry=FAST).stream(TEXT))
    _check_stream(chunks, server, 16000)
    assert len(server.requests) == 3 and server.requests[0].raw == server.requests[1].raw  # sent again, same body
    assert server.connections == 2
    server.drop = 3
    with pytest.raises(Unavailable, match=r"not reachable \(RemoteProtocolError after 3 attempts\)"):
        list(kind(voice_id="v1", url=server.url, key=KEY, retry=FAST).stream(TEXT))


def test_an_unreachable_vendor_fails_in_bounded_time() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    t0 = time.perf_counter()
    with pytest.raises(Unavailable, match=r"ElevenLabs at http://127\.0\.0\.1:\d+ is not reachable \(ConnectError after 3"):
        list(ElevenLabsTTS(voice_id="v1", url=f"http://127.0.0.1:{port}", key=KEY).stream(TEXT))
    assert time.perf_counter() - t0 < 2.0


def test_closing_the_stream_midway_hangs_up(elevenlabs: ElevenLabs) -> None:
    """Barge-in closes the generator: the answer is abandoned, nothing is raised, nothing more asked."""
    elevenlabs.pause_s, elevenlabs.piece_bytes = 1.0, 8001
    it = ElevenLabsTTS(voice_id="v1", url=elevenlabs.url, key=KEY, sample_rate=16000).stream(TEXT)
    first = next(it)
    t0 = time.perf_counter()
    it.close()
    assert time.perf_counter() - t0 < 0.5 and first.meta["text"] == "Hello team."
    assert len(elevenlabs.requests) == 1


def test_openai_compatible_speech_reads_a_streamed_wav_and_resamples() -> None:
    server = OpenAISpeech(KEY)
    try:
        tts = OpenAITTS(voice_id="alloy", url=server.url + "/v1", key=KEY, model="tts-1", sample_rate=24000)
        chunks = list(tts.stream(TEXT))
        assert all(c.sample_rate == 24000 for c in chunks) and chunks[-1].final
        got = _by_sentence(chunks)
        for text, pcm in got.items():  # espeak's 22,050 Hz, resampled: same length in seconds
            assert len(pcm) / 24000 == pytest.approx(len(server.sent[text]) / ESPEAK_RATE, abs=0.01)
        assert "friday" in M.transcribe(got["See you on Friday."], 24000).lower()
        req = server.requests[0]
        assert req.path == "/v1/audio/speech" and req.headers["authorization"] == f"Bearer {KEY}"
        assert req.json == {"model": "tts-1", "input": "Hello team.", "voice": "alloy", "response_format": "wav"}
        with pytest.raises(Unauthorized, match="Incorrect API key provided"):
            list(OpenAITTS(voice_id="alloy", url=server.url + "/v1", key="sk-wrong-0123456789").stream(TEXT))
    finally:
        server.close()


def test_get_tts_builds_the_configured_vendor(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = Settings(data_dir=tmp_path, voice=VoiceSettings(provider="minimax", key=KEY, url="http://127.0.0.1:9"))
    tts = get_tts(None, s)
    assert isinstance(tts, MiniMaxTTS) and tts.voice_id == "English_radiant_girl" and KEY not in repr(tts.http.endpoint)
    with pytest.raises(BadInput, match="unknown voice provider 'telepathy'"):
        get_tts("v1", Settings(data_dir=tmp_path, voice=VoiceSettings(provider="telepathy")))
