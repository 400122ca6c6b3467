"""Hearing on real audio: spoken sentences (Joe Piper voice) and public-domain recordings go
through Silero VAD and Whisper base (the default recogniser); turn-taking, barge-in and addressing are checked on the
events that come out."""

from __future__ import annotations

import io
import json
import threading
import time
import wave
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import soundfile as sf

from selfcast.hearing import BargeIn, EndOfTurn, Hearing, OpenAIASR, PartialTranscript, SpeechStarted
from selfcast.hearing.core import TAIL_FRAMES
from selfcast.hearing.turns import is_question
from selfcast.hearing.vad import FRAME
from selfcast.settings import HearingSettings, TurnOptions
from tests.hearing.speech import SR, chunks, feed_fast, feed_realtime, say, silence


def make(whisper, **kw) -> Hearing:
    return Hearing(HearingSettings(), turns=TurnOptions(**kw), bot_name="Robin", asr=whisper)


def drain(h: Hearing, rounds: int = 6) -> list:
    """Let recognition finish and the stream go on in silence (what a live call does)."""
    events = []
    for _ in range(rounds):
        h.wait_idle()
        events += feed_fast(h, silence(0.3), start=h.media_time)
        if any(isinstance(e, EndOfTurn) for e in events):
            break
    return events


def turns_of(events) -> list[EndOfTurn]:
    return [e for e in events if isinstance(e, EndOfTurn)]


def onset(pcm: np.ndarray) -> float:
    return float(np.flatnonzero(np.abs(pcm) > 0.02)[0]) / SR


def test_a_spoken_question_becomes_one_addressed_turn(whisper):
    h = make(whisper)
    q = say("What's the status of the API refactor?")
    ev = feed_fast(h, np.concatenate([silence(0.4), q, silence(0.6)]))
    ev += drain(h)
    assert isinstance(ev[0], SpeechStarted) and abs(ev[0].t - 0.4) < 0.25
    (turn,) = turns_of(ev)
    assert turn.addressed and turn.reason == "one-to-one"
    assert "status" in turn.segment.text.lower() and "refactor" in turn.segment.text.lower()
    assert turn.segment.start == pytest.approx(0.4, abs=0.3)
    assert turn.segment.end == pytest.approx(0.4 + len(q) / SR, abs=0.25)


def test_mid_sentence_pause_of_one_second_is_not_a_turn(whisper):
    h = make(whisper)
    a, b = say("So I wanted to ask about the, um,"), say("API refactor. What is its status?")
    ev = feed_fast(h, np.concatenate([silence(0.3), a, silence(0.3)]))
    h.wait_idle()  # recognition of the first half is ready: the decision rests on its words alone
    ev += feed_fast(h, silence(0.7), start=h.media_time)
    assert turns_of(ev) == [], "a trailing 'about the, um' must not end the turn within 1 s"
    ev += feed_fast(h, np.concatenate([b, silence(0.4)]), start=h.media_time)
    ev += drain(h)
    (turn,) = turns_of(ev)
    text = turn.segment.text.lower()
    assert "wanted to ask" in text and "status" in text


def test_the_same_pause_after_a_complete_question_does_end_the_turn(whisper):
    """Control for the test above: the silence alone would end a turn; the words made it wait."""
    h = make(whisper)
    ev = feed_fast(h, np.concatenate([silence(0.3), say("Which test is failing right now?"), silence(0.3)]))
    h.wait_idle()
    ev += feed_fast(h, silence(0.7), start=h.media_time)
    (turn,) = turns_of(ev)
    assert turn.latency["cue"] == "complete" and turn.latency["silence_ms"] <= 400


@pytest.mark.parametrize("question", ["Where are the readings kept?", "What is next for the dashboard?",
                                      "Who leads the project?"])
def test_a_question_whose_last_word_the_recogniser_clips_still_ends_the_turn_promptly(whisper, question):
    """Another voice (espeak-ng): Whisper writes these as "... kept..." or "the project..."
    because the decode stops at the silence onset. That once read as trailing off and cost 1.5 s."""
    import soxr

    from tests.live.harness import espeak

    q = soxr.resample(espeak(question), 48000, SR).astype(np.float32)
    q = q[:np.flatnonzero(np.abs(q) > 0.01)[-1] + SR // 20]  # without espeak's trailing pause
    h = make(whisper)
    ev = feed_fast(h, np.concatenate([silence(0.3), q, silence(0.3)]))
    h.wait_idle()
    ev += feed_fast(h, silence(0.7), start=h.media_time)
    (turn,) = turns_of(ev)
    heard = turn.segment.text
    if not is_question(heard):
        # the recogniser (tiny.en on some CPUs) heard "Where are…" as "Well on…": no question is left to end the turn
        # on; the cue rule itself is proven in test_turn_policy.py.
        pytest.xfail(f"the recogniser lost the question word: {heard!r} ({turn.latency})")
    assert turn.latency["silence_ms"] <= 400, (heard, turn.latency)


@pytest.mark.slow
def test_end_of_turn_follows_a_complete_question_within_300_ms_of_recognition(whisper):
    """Real-time pacing. The bar: ≤ 300 ms after the question ends when recognising it takes
    ≤ 150 ms (an idle 2-core machine); on a slower or loaded machine the turn still ends ≤ 150 ms
    after recognition finishes (it starts ``TAIL_FRAMES`` into the silence), never a fixed 500 ms later."""
    h = make(whisper)
    lead = 0.4
    q = say("What's the status of the API refactor?")
    end = lead + len(q) / SR
    found = None
    for ev, _t, wall in feed_realtime(h, np.concatenate([silence(lead), q, silence(2.5)])):
        if isinstance(ev, EndOfTurn):
            found = (ev, wall)
            break
    if found is None:
        found = (turns_of(drain(h))[0], None)
    ev, wall = found
    assert wall is not None, f"no end of turn within 2.5 s of silence (recognition {ev.latency})"
    latency_ms = (wall - end) * 1000
    decode_ms = ev.latency["decode_ms"]
    print(f"end of turn {latency_ms:.0f} ms after the question ended; recognition {decode_ms} ms; {ev.latency}")
    tail_ms = TAIL_FRAMES * FRAME / SR * 1000
    assert latency_ms <= max(300.0, tail_ms + decode_ms + 150.0), (latency_ms, ev.latency)


def test_barge_in_is_reported_once_the_talk_reaches_the_threshold_and_its_words_are_known(whisper):
    """Fed at real pace: the bot is paused first (``test_barge_in.py``), then the cut is final at
    ``barge_in_min_ms`` of talk once the words asked for at the pause are in (never later than
    ``WORDLESS_WAIT_MS`` after the threshold, recognised or not)."""
    from selfcast.hearing.core import WORDLESS_WAIT_MS

    h = make(whisper)
    h.set_bot_speaking(True)
    interrupt = say("Wait, stop, I have a different question about the budget.")
    lead = 0.5
    ev = [e for e, _t, _w in feed_realtime(h, np.concatenate([silence(lead), interrupt, silence(0.5)]))]
    barges = [e for e in ev if isinstance(e, BargeIn)]
    assert len(barges) == 1
    started = lead + onset(interrupt)
    delay = barges[0].t - started
    print(f"barge-in {delay * 1000:.0f} ms after the interruption's onset")
    assert 0.5 <= delay <= 0.5 + WORDLESS_WAIT_MS / 1000 + 0.1, delay


def test_barge_in_threshold_is_configurable_down_to_an_immediate_stop(whisper):
    """With a short threshold the stop is reported ≤ 200 ms after the interruption starts
    (VAD confirmation is 64 ms; weak fricatives such as the s of "stop" add up to ~130 ms)."""
    h = make(whisper, barge_in_min_ms=80)
    h.set_bot_speaking(True)
    interrupt = say("Wait, stop!")
    ev = feed_fast(h, np.concatenate([silence(0.5), interrupt, silence(0.3)]))
    (barge,) = [e for e in ev if isinstance(e, BargeIn)]
    assert barge.t - (0.5 + onset(interrupt)) <= 0.2


def test_backchannel_neither_barges_in_nor_takes_the_turn(whisper):
    h = make(whisper)
    h.set_bot_speaking(True)
    ev = feed_fast(h, np.concatenate([silence(0.4), say("Uh-huh."), silence(1.0), say("Yeah."), silence(0.6)]))
    ev += drain(h)
    ev += drain(h)
    assert not [e for e in ev if isinstance(e, BargeIn)]
    assert all(not t.addressed for t in turns_of(ev))


def test_group_chatter_is_not_answered_but_a_named_question_is(whisper):
    h = make(whisper)
    h.set_participants(["Robin", "Maya", "Tom", "Priya"])
    ev = feed_fast(h, np.concatenate([silence(0.3), say("I think we should order pizza for the team lunch."), silence(0.5)]))
    ev += drain(h)
    (chatter,) = turns_of(ev)
    assert not chatter.addressed and chatter.reason == "group chatter"
    ev = feed_fast(h, np.concatenate([say("Robin, what is the status of the API refactor?"), silence(0.5)]), start=h.media_time)
    ev += drain(h)
    (named,) = turns_of(ev)
    assert named.addressed and named.reason == "named"


@pytest.mark.slow
def test_partial_transcripts_arrive_while_someone_is_still_talking(whisper):
    h = make(whisper)
    talk = say("The orders endpoints are moving to the new router and the cursor pagination work starts "
               "this week so the release stays on track for the middle of December")
    partials = []
    for ev, t, _wall in feed_realtime(h, np.concatenate([silence(0.3), talk])):  # fed at real pace
        if isinstance(ev, PartialTranscript):
            partials.append((t, ev.text))
    assert partials, f"no partial transcript during {len(talk) / SR:.1f} s of continuous speech"
    assert all(t < 0.3 + len(talk) / SR + 0.05 for t, _ in partials)  # while still talking
    assert "order" in partials[0][1].lower()  # the first words, heard while "endpoints" is half said


def test_platform_captions_name_the_speaker_of_an_audio_turn(whisper):
    h = make(whisper)
    h.feed_caption("Maya Chen", "what's the status", t=0.6, final=False)
    ev = feed_fast(h, np.concatenate([silence(0.4), say("What's the status of the API refactor?"), silence(0.5)]))
    ev += drain(h)
    (turn,) = turns_of(ev)
    assert turn.segment.speaker == "Maya Chen"


def test_captions_alone_can_drive_turns_and_audio_still_barges_in(whisper):
    h = Hearing(HearingSettings(provider="captions"), bot_name="Robin")
    h.set_participants(3)
    (partial,) = h.feed_caption("Tom", "Robin, what is", t=1.0, final=False)
    assert isinstance(partial, PartialTranscript)
    (turn,) = h.feed_caption("Tom", "Robin, what is the status?", t=2.0, start=0.5)
    assert turn.addressed and turn.segment.speaker == "Tom" and turn.segment.start == 0.5
    h.set_bot_speaking(True)
    ev = feed_fast(h, np.concatenate([silence(0.3), say("Wait, stop, I have a different question."), silence(0.2)]))
    assert [e for e in ev if isinstance(e, BargeIn)]


def test_other_sample_rates_are_resampled(whisper):
    import soxr

    h = make(whisper)
    q = say("Which test is failing right now?")
    pcm48 = soxr.resample(np.concatenate([silence(0.3), q, silence(0.6)]), SR, 48_000).astype(np.float32)
    from selfcast.media.frames import AudioChunk

    ev = []
    for i in range(0, len(pcm48), 960):
        ev += h.feed(AudioChunk(pcm48[i:i + 960], 48_000, i / 48_000))
    ev += drain(h)
    (turn,) = turns_of(ev)
    assert "failing" in turn.segment.text.lower()


# ---------------------------------------------------------------- OpenAI-compatible recognition
class _TranscriptionHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        msg = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
        fields = {p.get_param("name", header="content-disposition"): p for p in msg.iter_parts()}
        self.server.seen.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                 "model": fields["model"].get_content().strip()})
        with wave.open(io.BytesIO(fields["file"].get_content())) as w:
            pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
        out = json.dumps({"text": self.server.asr.transcribe(pcm)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


def test_openai_compatible_transcription_over_real_http(whisper, jfk_wav):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TranscriptionHandler)
    server.daemon_threads = False  # server_close() joins handlers: no decode left running at exit
    server.asr, server.seen = whisper, []
    h = None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        asr = OpenAIASR(url, "sk-local-test", "whisper-1")
        pcm, _ = sf.read(jfk_wav, dtype="float32")
        text = asr.transcribe(pcm)
        asr.close()  # ends the keep-alive connection, so the server can join its handler
        assert "ask not what your country can do for you" in text.lower()
        assert server.seen == [{"path": "/v1/audio/transcriptions", "auth": "Bearer sk-local-test", "model": "whisper-1"}]
        h = Hearing(HearingSettings(provider="openai", url=url, key="sk-local-test"), bot_name="Robin")
        ev = feed_fast(h, np.concatenate([silence(0.3), say("Which test is failing right now?"), silence(0.5)]))
        ev += drain(h)
        assert "failing" in turns_of(ev)[0].segment.text.lower()
    finally:
        if h is not None:
            h.close()
        server.shutdown()
        server.server_close()


def test_realtime_helper_paces_audio():
    # guards the latency tests' own clock: 0.5 s of audio takes about 0.5 s to feed
    class Null:
        def feed(self, chunk):
            return []
    t = time.perf_counter()
    list(feed_realtime(Null(), silence(0.5)))
    assert 0.45 <= time.perf_counter() - t <= 0.8
    assert sum(len(c.pcm) for c in chunks(silence(0.5))) == SR // 2


def test_bad_audio_and_configuration_are_clear_errors(whisper):
    from selfcast.errors import BadInput
    from selfcast.hearing.asr import get_asr
    from selfcast.media.frames import AudioChunk

    h = make(whisper)
    with pytest.raises(BadInput, match="mono"):
        h.feed(AudioChunk(np.zeros((320, 2), np.float32), SR))
    with pytest.raises(BadInput, match="unknown hearing provider"):
        get_asr(HearingSettings(provider="telepathy"))
    with pytest.raises(BadInput, match=r"needs hearing\.url"):
        get_asr(HearingSettings(provider="openai"))
    h.close()
