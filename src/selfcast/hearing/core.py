"""``Hearing``: 16 kHz audio in, turn events out.

Per 32 ms frame: Silero VAD → speech/silence state. While a person speaks, the growing
utterance is re-decoded in one worker thread every ``partial_interval_ms`` so that little is
left when they stop. At the first silent frame the whole utterance is decoded once more (the
*candidate*); the turn ends when the candidate is ready and the silence is as long as its
words ask for: short after a complete question, patient after "um, and…" (``turn_rules.completeness``).
Talk over the bot, in two stages (LiveKit's false-interruption handling): ``pause_after_ms`` of
voice pauses it (``HoldOn``), so it falls silent at once; then the words decide. Real words, or
talk held past ``barge_in_min_ms`` whose words are not (yet) a backchannel, cut it for good
(``BargeIn``); an utterance that ends (400 ms of quiet) as a backchannel, noise or no words
lets it go on (``Resume``). ``feed`` never blocks on recognition.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from selfcast.errors import BadInput
from selfcast.hearing import turns as turn_rules
from selfcast.hearing.asr import ASR, Recognition, get_asr
from selfcast.hearing.events import (
    BargeIn,
    EndOfTurn,
    HearingEvent,
    HoldOn,
    PartialTranscript,
    Resume,
    SpeechStarted,
)
from selfcast.hearing.speechgate import GateRules, SegmentEvidence, judge, level_dbfs
from selfcast.hearing.vad import FRAME, SAMPLE_RATE, SileroVAD
from selfcast.media.frames import AudioChunk
from selfcast.settings import HearingSettings, TurnOptions
from selfcast.transcript import TranscriptLine

log = logging.getLogger(__name__)

FRAME_S = FRAME / SAMPLE_RATE
PRE_ROLL_FRAMES = 8  # 256 ms kept before the detected onset so first phonemes are not clipped
MAX_UTTERANCE_S = 28.0  # Whisper sees 30 s at most
# The end-of-turn decode waits this long into the silence so the last word's decay is in it: cut
# right at the VAD's silence onset, Whisper hears a clipped word and writes "kept..." (trailing
# off), which made the turn look unfinished and cost 1.3 s of extra patience on 3 of 8 questions.
TAIL_FRAMES = 4  # 128 ms, inside the 200 ms a complete question waits anyway
CAPTION_QUIET_S = 0.3  # captions-only: this much quiet ends a stretch of talk over the bot
# Talk over a paused bot that reaches barge_in_min_ms while its words are being recognised waits
# for them (the bot is silent already; a backchannel must not cut it), at most this much longer.
WORDLESS_WAIT_MS = 1000
# Words this unsure (mean log-probability per token) are no evidence of an interruption: the
# recogniser guessing at a murmur ("uh-huh" written as "Ow." at -1.8, "Ciao" at -3.1); "Stop" is -1.2.
UNSURE_LOGPROB = -1.5
# A paused bot resumes only after this much quiet: a comma pause after "Wait," (0.2-0.3 s) is not
# the end of what they are saying, and the bot must not blip back on in it.
RESUME_SILENCE_MS = 400


class _Job:
    __slots__ = ("finished", "future", "kind", "level_dbfs", "n", "started")

    def __init__(self, kind: str, n: int, future: Future[Recognition], level_dbfs: float) -> None:
        self.kind, self.n, self.future, self.started = kind, n, future, time.perf_counter()
        self.level_dbfs = level_dbfs  # how loud the decoded audio was (the speech gate's evidence)
        self.finished = 0.0
        future.add_done_callback(self._done)

    def _done(self, _f: Future) -> None:
        self.finished = time.perf_counter()

    @property
    def ms(self) -> float:
        """Submit → result (queue wait included), or so far."""
        return ((self.finished or time.perf_counter()) - self.started) * 1000.0


def _unsure(rec: Recognition) -> bool:
    return rec.avg_logprob is not None and rec.avg_logprob < UNSURE_LOGPROB


class Hearing:
    """Ears of one live session. Not thread-safe: feed it from one task."""

    def __init__(self, settings: HearingSettings, *, bot_name: str, turns: TurnOptions | None = None,
                 asr: ASR | None = None, vad: SileroVAD | None = None, default_speaker: str = "participant",
                 gate: GateRules | None = None) -> None:
        self.settings = settings
        self.gate = gate or GateRules()
        self.turns = turns or TurnOptions()
        self.bot_name = bot_name
        self.default_speaker = default_speaker
        self._captions_only = (settings.provider or "").lower() == "captions"
        self._asr = asr if asr is not None else (None if self._captions_only else get_asr(settings))
        self._vad = vad or SileroVAD()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hearing-asr")
        if self._asr is not None:  # first decode allocates buffers: do it now, not on the first question
            self._pool.submit(self._asr.transcribe, np.zeros(SAMPLE_RATE, np.float32))
        self._addressing = turn_rules.Addressing(bot_name=bot_name)
        self._on = float(self.turns.vad_threshold)
        self._off = max(0.05, self._on - 0.15)
        self._partial_s = self.turns.partial_interval_ms / 1000.0
        self._pending = np.zeros(0, np.float32)  # samples not yet framed
        self._t = None  # media time of the next unframed sample
        self._ring: list[np.ndarray] = []  # pre-roll frames while idle
        self._bot_speaking = False
        self._last_bot_end: float | None = None
        self._captions: list[tuple[float, str]] = []
        self._caption_turn: TranscriptLine | None = None  # captions-only: the turn being captioned
        self._reset_utterance()

    # ----- public API -----
    def set_bot_speaking(self, speaking: bool, t: float | None = None) -> None:
        """The live session says when the bot's own audio is playing (barge-in needs to know)."""
        if self._bot_speaking and not speaking:
            self._last_bot_end = t if t is not None else self._now()
            self._held = False  # nothing left to resume
        self._bot_speaking = speaking
        if speaking:
            self._barged = self._state == "speaking"  # someone already talking: not an interruption

    def set_participants(self, who: int | Iterable[str]) -> None:
        """Everyone in the call, the bot included (a count, or the list of display names)."""
        n = who if isinstance(who, int) else len(list(who))
        self._addressing.participants = max(1, int(n))

    def feed_caption(self, speaker: str, text: str, *, t: float, final: bool = True,
                     start: float | None = None) -> list[HearingEvent]:
        """A platform caption with the speaker's name. Names label audio turns; with
        ``provider = "captions"`` the captions themselves are the transcript: a caption that
        stops changing for ``turns.end_of_turn_silence_ms`` (checked as audio is fed) or that is
        marked final ends the turn, and another speaker's caption ends the one before it."""
        self._captions.append((t, speaker))
        self._captions = self._captions[-50:]
        text = text.strip()
        if not self._captions_only or not text:
            return []
        events: list[HearingEvent] = []
        pending = self._caption_turn
        if pending is not None and pending.speaker != speaker:
            events.append(self._end_of_turn(pending, {"cue": "caption"}))
            pending = None
        first = start if start is not None else (pending.start if pending is not None else t)
        line = TranscriptLine(speaker, text, first, t)
        if final:
            self._caption_turn = None
            events.append(self._end_of_turn(line, {"cue": "caption"}))
        else:
            self._caption_turn = line
            events.append(PartialTranscript(text, t))
        return events

    def _settle_caption(self, now: float, events: list[HearingEvent]) -> None:
        line = self._caption_turn
        if line is not None and (now - line.end) * 1000.0 >= self.turns.end_of_turn_silence_ms:
            self._caption_turn = None
            events.append(self._end_of_turn(line, {"cue": "caption", "silence_ms": round((now - line.end) * 1000)}))

    def feed(self, chunk: AudioChunk) -> list[HearingEvent]:
        pcm = self._as_16k(chunk)
        if self._t is None:
            self._t = chunk.pts
        events: list[HearingEvent] = []
        self._pending = np.concatenate([self._pending, pcm]) if self._pending.size else pcm
        n_frames = self._pending.size // FRAME
        for i in range(n_frames):
            frame = self._pending[i * FRAME:(i + 1) * FRAME]
            t0 = self._t
            self._t = t0 + FRAME_S
            if self._captions_only:
                self._barge_only(frame, t0, events)
            else:
                self._frame(frame, t0, events)
        self._pending = self._pending[n_frames * FRAME:].copy()
        if self._captions_only:
            self._settle_caption(self._t, events)
        self._collect(events)
        return events

    def flush(self, timeout_s: float = 30.0) -> list[HearingEvent]:
        """End of stream: finish the utterance in progress (waits for its decode)."""
        events: list[HearingEvent] = []
        if self._state == "speaking" and self._buf:
            if self._cand is None or self._cand.n != self._n_voiced_until_silence():
                self._cand = self._submit("candidate", self._n_voiced_until_silence())
            rec = self._cand.future.result(timeout=timeout_s)
            self._settle(rec, self._cand.level_dbfs, self._now(), float("inf"), events)
            events.append(self._finish(rec, self._cand.level_dbfs, self._silence_start or self._now(), {}))
        return events

    def wait_idle(self, timeout_s: float = 30.0) -> None:
        """Block until recognition in flight has finished (offline processing and tests; the live
        path never calls this)."""
        for job in (self._partial, self._cand):
            if job is not None:
                job.future.result(timeout=timeout_s)

    def close(self) -> None:
        """Drop queued recognition, wait for the one running (bounded by the engine's timeout)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._asr is not None:
            self._asr.close()

    @property
    def media_time(self) -> float:
        """Media-clock time of the next sample to be fed (seconds)."""
        return self._t or 0.0

    # ----- internals -----
    def _now(self) -> float:
        return self._t or 0.0

    def _as_16k(self, chunk: AudioChunk) -> np.ndarray:
        pcm = np.asarray(chunk.pcm, dtype=np.float32)
        if pcm.ndim != 1:
            raise BadInput(f"hearing takes mono audio; got shape {pcm.shape} (mix down first)")
        if chunk.sample_rate != SAMPLE_RATE:
            import soxr

            pcm = soxr.resample(pcm, chunk.sample_rate, SAMPLE_RATE).astype(np.float32)
        return pcm

    def _reset_utterance(self) -> None:
        self._state = "idle"
        self._buf: list[np.ndarray] = []
        self._start = 0.0
        self._run_start = 0.0
        self._onset_run = 0
        self._voiced_s = 0.0
        self._silence_start: float | None = None
        self._silence_idx = 0  # frames in buffer when silence began
        self._cand: _Job | None = None
        self._partial: _Job | None = None
        self._last_partial_t = 0.0
        self._partial_text = ""
        self._partial_unsure = False  # the recogniser was only guessing at those words (or the gate says no speech)
        self._barged = False
        self._held = False  # HoldOn sent, neither BargeIn nor Resume yet
        self._resumed = ""  # why this utterance let the paused bot go on (it is then no turn)
        self._quiet_s = 0.0  # captions-only: quiet since the last voiced frame

    def _n_voiced_until_silence(self) -> int:
        return min(len(self._buf), self._silence_idx + TAIL_FRAMES) if self._silence_start is not None else len(self._buf)

    def _submit(self, kind: str, n_frames: int) -> _Job:
        audio = np.concatenate(self._buf[:n_frames]) if n_frames else np.zeros(0, np.float32)
        return _Job(kind, n_frames, self._pool.submit(self._asr.recognise, audio), level_dbfs(audio))

    def _barge_only(self, frame: np.ndarray, t0: float, events: list[HearingEvent]) -> None:
        """Captions carry the words; audio still tells us when someone talks over the bot: a voice
        pauses it, talk held past ``barge_in_min_ms`` stops it, a voice gone quiet before then
        (a cough, "mm-hm") lets it go on."""
        p = self._vad(frame)
        t1 = t0 + FRAME_S
        if p >= self._on:
            self._voiced_s += FRAME_S
            self._quiet_s = 0.0
        elif p < self._off:
            self._quiet_s += FRAME_S
            if self._quiet_s >= CAPTION_QUIET_S:
                if self._held:
                    events.append(Resume(t1, "gone quiet"))
                self._voiced_s, self._barged, self._held = 0.0, False, False
        if not self._bot_speaking or self._barged:
            return
        if not self._held and self._voiced_s * 1000.0 >= self.turns.pause_after_ms:
            self._held = True
            events.append(HoldOn(t1))
        if self._voiced_s * 1000.0 >= self.turns.barge_in_min_ms:
            self._barge(t1, events)

    def _overlap(self, t1: float, p: float, events: list[HearingEvent]) -> None:
        """Someone talks over the bot: pause it once they have talked ``pause_after_ms`` (and ask
        for their words at once), stop it for good once they have held the floor
        ``barge_in_min_ms`` with words that are not a backchannel (or no words, none being
        recognised). Held the floor = talking now, for so long since they started; short gaps
        between words do not reset it, a real silence ends the utterance and does (``_settle``
        then decides on its words)."""
        if not self._bot_speaking or self._barged or self._silence_start is not None or p < self._on:
            return
        talked_ms = (t1 - self._run_start) * 1000.0
        if not self._held and talked_ms >= self.turns.pause_after_ms:
            self._held = True
            events.append(HoldOn(t1))
            if self._asr is not None and self._partial is None and (self._cand is None or self._cand.future.done()):
                self._partial = self._submit("partial", len(self._buf))  # words by barge_in_min_ms
                self._last_partial_t = t1
        if talked_ms < self.turns.barge_in_min_ms:
            return
        if self._partial_text and not self._partial_unsure:  # words known: a backchannel never cuts
            if not turn_rules.is_backchannel(self._partial_text):
                self._barge(t1, events)
        elif (not self._held or self.turns.barge_in_min_ms <= self.turns.pause_after_ms
              or talked_ms >= self.turns.barge_in_min_ms + WORDLESS_WAIT_MS):
            self._barge(t1, events)  # one stage asked for, or no words coming: talk held this long counts
        elif self._partial is None and (self._cand is None or self._cand.future.done()):
            self._partial = self._submit("partial", len(self._buf))  # none or only guesses yet: ask again
            self._last_partial_t = t1

    def _settle(self, rec: Recognition, level: float, t: float, silence_ms: float,
                events: list[HearingEvent]) -> None:
        """The paused bot's fate once the utterance's words are known: real words interrupt at
        once; no words, not speech (the speech gate: a coughing fit written "Buh, Buh."), a
        backchannel or a short murmur the recogniser only guessed at let it go on, once the
        silence says they have stopped (a "Wait," before a comma pause is not all they say)."""
        if not self._held or self._barged:
            return
        evidence = SegmentEvidence(rec.text, round(self._voiced_s, 3), rec.no_speech_prob, rec.avg_logprob, level)
        if not turn_rules.words(rec.text):
            why = "no words"
        elif not judge(evidence, self.gate).speech:
            why = "not speech"
        elif turn_rules.is_backchannel(rec.text):
            why = "backchannel"
        elif _unsure(rec) and self._voiced_s * 1000.0 < self.turns.barge_in_min_ms:
            why = "unclear"
        else:
            self._barge(t, events)
            return
        if silence_ms >= RESUME_SILENCE_MS:
            self._held, self._resumed = False, why
            events.append(Resume(t, why))

    def _barge(self, t: float, events: list[HearingEvent]) -> None:
        self._barged, self._held = True, False
        events.append(BargeIn(t))

    def _frame(self, frame: np.ndarray, t0: float, events: list[HearingEvent]) -> None:
        p = self._vad(frame)
        t1 = t0 + FRAME_S
        if self._state == "idle":
            self._ring.append(frame)
            if len(self._ring) > PRE_ROLL_FRAMES:
                self._ring.pop(0)
            self._onset_run = self._onset_run + 1 if p >= self._on else 0
            if self._onset_run >= 2:  # 64 ms of speech: someone is talking
                self._state = "speaking"
                self._buf = list(self._ring)
                self._ring = []
                self._start = t1 - self._onset_run * FRAME_S
                self._run_start = self._start
                self._voiced_s = self._onset_run * FRAME_S
                self._last_partial_t = t1
                self._barged = False
                events.append(SpeechStarted(self._start))
            return
        self._buf.append(frame)
        if p >= self._on:
            self._voiced_s += FRAME_S
            if self._silence_start is not None:  # they went on talking: the candidate is stale
                if t0 - self._silence_start > 0.6:
                    self._run_start = t0  # a new stretch of talk (for barge-in), not one word's gap
                self._silence_start = None
                self._resumed = ""  # what let the bot go on was not all they had to say
                if self._partial is None and self._cand is not None:
                    self._partial = self._cand  # what they said so far is still a good partial
                self._cand = None
        elif p < self._off and self._silence_start is None:
            self._silence_start = t0
            self._silence_idx = len(self._buf)
        if (self._silence_start is not None and self._cand is None
                and len(self._buf) >= self._silence_idx + TAIL_FRAMES):
            self._cand = self._submit("candidate", len(self._buf))
        self._overlap(t1, p, events)
        # partial decode of the growing buffer while they talk
        if (self._silence_start is None and self._partial is None and (self._cand is None or self._cand.future.done())
                and t1 - self._last_partial_t >= self._partial_s):
            self._partial = self._submit("partial", len(self._buf))
            self._last_partial_t = t1
        self._collect(events)
        self._maybe_end(t1, events)

    def _collect(self, events: list[HearingEvent]) -> None:
        job = self._partial
        if job is not None and job.future.done():
            self._partial = None
            try:
                rec = job.future.result()
            except Exception as exc:  # recognition failure must not kill the session
                log.warning("partial recognition failed: %s", type(exc).__name__)
                return
            text = rec.text
            if text and self._state == "speaking" and self._silence_start is None:
                evidence = SegmentEvidence(text, round(self._voiced_s, 3), rec.no_speech_prob, rec.avg_logprob,
                                           job.level_dbfs)
                self._partial_text = text
                self._partial_unsure = _unsure(rec) or not judge(evidence, self.gate).speech
                events.append(PartialTranscript(text, self._now()))

    def _maybe_end(self, t: float, events: list[HearingEvent]) -> None:
        if self._state != "speaking":
            return
        if t - self._start >= MAX_UTTERANCE_S and self._cand is None:
            self._silence_start, self._silence_idx = t, len(self._buf)
            self._cand = self._submit("candidate", self._silence_idx)
        if self._silence_start is None or self._cand is None or not self._cand.future.done():
            return
        try:
            rec = self._cand.future.result()
        except Exception as exc:
            log.warning("recognition failed: %s", type(exc).__name__)
            rec = Recognition("")
        text = rec.text
        silence_ms = (t - self._silence_start) * 1000.0
        self._settle(rec, self._cand.level_dbfs, t, silence_ms, events)  # before the end of the turn
        s = self.turns
        cue = turn_rules.completeness(text)
        need = {"complete": s.min_end_of_turn_silence_ms,
                "unknown": s.end_of_turn_silence_ms,
                "incomplete": s.max_end_of_turn_silence_ms}[cue]
        if not text and silence_ms < s.max_end_of_turn_silence_ms:
            return  # a cough or a click: wait it out, it ends as noise
        if t - self._start >= MAX_UTTERANCE_S:
            need = 0
        if silence_ms >= need:
            self._settle(rec, self._cand.level_dbfs, t, float("inf"), events)  # the turn has ended: so has the pause
            events.append(self._finish(rec, self._cand.level_dbfs, self._silence_start, {"silence_ms": round(silence_ms),
                                                                    "decode_ms": round(self._cand.ms), "cue": cue}))

    def _speaker_for(self, start: float, end: float) -> str:
        names = [sp for (ct, sp) in self._captions if start - 1.0 <= ct <= end + 1.5]
        return names[-1] if names else self.default_speaker

    def _finish(self, rec: Recognition, level: float, end: float, latency: dict) -> HearingEvent:
        """The utterance's end: a turn if the speech gate says it was speech; otherwise an
        unaddressed, wordless end (the invented words are logged, never put in the transcript)."""
        seg = TranscriptLine(self._speaker_for(self._start, end), rec.text, round(self._start, 3), round(end, 3))
        evidence = SegmentEvidence(rec.text, round(self._voiced_s, 3), rec.no_speech_prob, rec.avg_logprob,
                                   round(level, 1))
        verdict = judge(evidence, self.gate)
        if rec.text.strip() and not verdict.speech:
            log.info("heard %r, %s", rec.text[:80], verdict.reason)
            ev = EndOfTurn(TranscriptLine(seg.speaker, "", seg.start, seg.end), False, verdict.reason, latency)
        else:
            ev = self._end_of_turn(seg, latency)
        ev.evidence = evidence
        self._reset_utterance()
        return ev

    def _end_of_turn(self, seg: TranscriptLine, latency: dict) -> EndOfTurn:
        if not seg.text.strip():
            return EndOfTurn(seg, False, "no words", latency)
        if turn_rules.is_backchannel(seg.text):
            return EndOfTurn(seg, False, "backchannel", latency)
        if self._resumed and not self._barged:  # it let the bot go on: answering it would contradict that
            return EndOfTurn(seg, False, f"over the bot, no interruption ({self._resumed})", latency)
        addressed, why = self._addressing.decide(seg.text, t=seg.end, last_bot_reply_end=self._last_bot_end)
        if self._bot_speaking and addressed:
            why = why + " (over the bot)"
        return EndOfTurn(seg, addressed, why, latency)
