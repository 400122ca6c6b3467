"""What the speech gate sees: per sound, the evidence hearing gathers and the verdict.

    .venv/bin/python bench/asr_gate.py [--model tiny.en]

Each sound (real speech: short questions in two voices, JFK, a LibriVox clip; not speech: room
tone, noise, music, coughs, typing, a hum) is fed to a fresh ``Hearing`` after 0.2-1.2 s of room
tone (five offsets, since the VAD's and the decoder's view shift with where a sound falls), with
the gate wide open, and the evidence of every segment is printed with the verdict the default
``GateRules`` would give. The thresholds in ``selfcast.hearing.speechgate`` come from this table.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore")

from tests import testdata  # noqa: E402
from tests.hearing import noises  # noqa: E402
from tests.hearing.speech import say, silence  # noqa: E402
from tests.hearing.test_speech_gate import NON_SPEECH, hear, make  # noqa: E402

from selfcast.hearing.asr import WhisperASR  # noqa: E402
from selfcast.hearing.speechgate import GateRules, judge  # noqa: E402

OPEN = GateRules(min_voiced_s=0.0, max_no_speech_prob=1.01, clear_max_no_speech_prob=1.01,
                 doubt_no_speech_prob=1.01, quiet_dbfs=-500.0)


def speech() -> dict:
    lib = sorted(testdata.librivox_dir().glob("*.wav"))[0]
    out = {f"{q} ({v})": (lambda q=q, v=v: say(q, voice=v))
           for q, v in [("Why?", "joe"), ("And you?", "joe"), ("How come?", "joe"), ("Really?", "joe"),
                        ("Why?", "en-us"), ("Thank you.", "joe")]}
    out["'Why?' 25 dB quieter"] = lambda: say("Why?") * 0.056
    out["JFK"] = lambda: sf.read(testdata.jfk_wav(), dtype="float32")[0]
    out["LibriVox 0870"] = lambda: sf.read(lib, dtype="float32")[0]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="", help="hearing.model_path ('' = Whisper base, 'tiny.en')")
    args = ap.parse_args()
    asr = WhisperASR(args.model)
    rules = GateRules()
    print("| sound | kind | offset s | heard | voiced s | no-speech p | avg logprob | level dBFS | verdict |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, sounds in (("speech", speech()), ("not speech", {
            **NON_SPEECH, "a quieter coughing fit": lambda: noises.coughing_fit() * 0.5,
            "'Thank you.' at room-tone level (-58 dBFS)": lambda: say("Thank you.") * 0.01})):
        for name, make_sound in sounds.items():
            pcm = make_sound()
            for pre in (0.2, 0.45, 0.7, 0.95, 1.2):
                h = make(asr, OPEN)
                turns = hear(h, silence(pre), pcm)
                h.close()
                if not turns:
                    print(f"| {name} | {kind} | {pre} | (no segment) | | | | | no turn |")
                for t in turns:
                    e = t.evidence
                    if e is None:
                        continue
                    v = judge(e, rules)
                    lp = "" if e.avg_logprob is None else f"{e.avg_logprob:.2f}"
                    nsp = "" if e.no_speech_prob is None else f"{e.no_speech_prob:.2f}"
                    print(f"| {name} | {kind} | {pre} | {e.text[:40]} | {e.voiced_s:.2f} | {nsp} | {lp} | "
                          f"{e.level_dbfs:.0f} | {'speech' if v.speech else v.reason} |")


if __name__ == "__main__":
    main()
