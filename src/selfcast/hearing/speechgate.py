"""Is this segment someone speaking? The one rule hearing applies before a segment may become a turn.

Whisper writes words for anything: on room tone, a cough, keyboard clicks or music it invents
"you", "Thank you.", "I'm not sure if you can see it." (measured on Whisper base, figures in
``bench/asr_gate.py``). Three independent signs say a segment was not speech, and any one is enough:

* the voice-activity detector heard too little speech in it (``min_voiced_s``): a cough or a click
  trips Silero for a frame or two, the shortest real question ("Why?") holds it for ~0.3 s;
* the decoder itself doubts there were words: its ``<|nospeech|>`` probability at the first step
  is high (``max_no_speech_prob``, Whisper's own 0.6); or above ``clear_max_no_speech_prob`` although
  the audio is loud enough to be clear (``clear_dbfs``; quiet speech raises the doubt, so it is
  excused); or above ``doubt_no_speech_prob`` while it is unsure of the words it wrote (mean token
  log-probability under ``min_avg_logprob``). Measured through hearing on Whisper base: "Why?",
  "And you?", "How come?" in two voices 0.10-0.26 and -1.5 to -0.3; voiced coughs, a coughing
  fit, a hum 0.36-0.59 and mostly -2.4 to -4.9 ("Buh, Buh, Buh." 0.45 at -1.1); a "Why?" 25 dB
  quieter than normal 0.48 at -1.4;
* the text is one of Whisper's known silence phrases ("you", "thank you", "thanks for watching", …)
  and the segment is quiet (``quiet_dbfs``): said aloud, "Thank you." is a real turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

# Whisper's stock inventions over silence and low noise (from its subtitle training data),
# compared after lower-casing and dropping punctuation.
SILENCE_PHRASES = frozenset({
    "you", "thank you", "thanks", "thank you very much", "thanks for watching", "thank you for watching",
    "thank you so much for watching", "bye", "bye bye", "please subscribe", "",  # "" is "." or "…"
})

# Other languages' (a session may set one): the same thanks, and the subtitle credits Whisper learnt
# from film subtitles ("Untertitel im Auftrag des ZDF", "Sous-titres réalisés par Amara.org").
SILENCE_PHRASES_OTHER = frozenset({"vielen dank", "danke", "merci", "merci beaucoup", "gracias", "grazie", "obrigado"})
SUBTITLE_CREDITS = ("amara org", "untertitel", "sous titres", "sous titrage", "subtítulos", "sottotitoli", "субтитры")

_PUNCT = re.compile(r"[^\w\s']+")


@dataclass(frozen=True, slots=True)
class GateRules:
    """Thresholds, measured (``bench/asr_gate.py``): speech above, noise below, with margin."""

    min_voiced_s: float = 0.15  # VAD speech in the segment; "Why?" has ~0.3 s, a music onset ~0.1 s
    max_no_speech_prob: float = 0.6  # decoder's "no speech" at or above this: not speech
    clear_dbfs: float = -35.0  # audio at least this loud is clear enough that ...
    clear_max_no_speech_prob: float = 0.35  # ... this much doubt means no words were there
    doubt_no_speech_prob: float = 0.3  # doubt at or above this, with
    min_avg_logprob: float = -2.0  # ... words this unsure (mean log-probability per token): not speech
    quiet_dbfs: float = -45.0  # a silence phrase quieter than this (loudest frames) was invented


@dataclass(frozen=True, slots=True)
class SegmentEvidence:
    """What hearing knows about one segment when its words are in."""

    text: str
    voiced_s: float  # seconds the VAD called speech
    no_speech_prob: float | None  # None: the engine does not say (an HTTP recogniser)
    avg_logprob: float | None  # mean token log-probability of the text; None: not said
    level_dbfs: float  # how loud its loudest stretch was (``level_dbfs``)


@dataclass(frozen=True, slots=True)
class Verdict:
    speech: bool
    reason: str  # why not, for logs and ``EndOfTurn.reason``; "" when it is speech


def level_dbfs(pcm: np.ndarray, frame: int = 512) -> float:
    """Loudness of the loudest stretch: the 90th percentile of 32 ms frame RMS, in dBFS. Robust to
    the silence hearing keeps around an utterance (pre-roll, tail) that an overall RMS would count."""
    x = np.asarray(pcm, dtype=np.float32)
    n = x.size // frame
    if n == 0:
        rms = float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0
    else:
        rms = float(np.percentile(np.sqrt(np.mean(np.square(x[: n * frame].reshape(n, frame)), axis=1)), 90))
    return 20.0 * float(np.log10(max(rms, 1e-9)))


def silence_phrase(text: str) -> bool:
    """Is the text one of Whisper's stock inventions ("You", "Thank you.", "…")?"""
    t = " ".join(_PUNCT.sub(" ", text.lower()).split())
    return t in SILENCE_PHRASES or t in SILENCE_PHRASES_OTHER or any(c in t for c in SUBTITLE_CREDITS)


def judge(ev: SegmentEvidence, rules: GateRules | None = None) -> Verdict:
    """Speech, or not speech and why."""
    r = rules or GateRules()
    if ev.voiced_s < r.min_voiced_s:
        return Verdict(False, f"not speech: {ev.voiced_s * 1000:.0f} ms of voice (< {r.min_voiced_s * 1000:.0f} ms)")
    nsp, lp = ev.no_speech_prob, ev.avg_logprob
    if nsp is not None and nsp >= r.max_no_speech_prob:
        return Verdict(False, f"not speech: the recogniser's no-speech probability is {nsp:.2f}")
    if nsp is not None and nsp >= r.clear_max_no_speech_prob and ev.level_dbfs >= r.clear_dbfs:
        return Verdict(False, f"not speech: no-speech probability {nsp:.2f} over clear audio ({ev.level_dbfs:.0f} dBFS)")
    if nsp is not None and lp is not None and nsp >= r.doubt_no_speech_prob and lp < r.min_avg_logprob:
        return Verdict(False, f"not speech: no-speech probability {nsp:.2f} and words at {lp:.1f} log-probability")
    if silence_phrase(ev.text) and ev.level_dbfs < r.quiet_dbfs:
        return Verdict(False, f"not speech: {ev.text.strip()!r} over {ev.level_dbfs:.0f} dBFS is a known invention")
    return Verdict(True, "")
