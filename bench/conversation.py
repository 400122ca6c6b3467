"""Conversation benchmark: recognition accuracy and speed, end of speech → transcript, end of
speech → first reply sentence per brain provider, and workspace synthesis time.

    .venv/bin/python bench/conversation.py            # everything (about 2 minutes idle)
    .venv/bin/python bench/conversation.py --json     # one JSON object instead of tables

Speech for the latency runs is synthesised (Joe Piper voice), fed at real-time pace in 20 ms
chunks, as a meeting bridge delivers it. The OpenAI-compatible and Anthropic providers are
measured against local stand-in servers that stream instantly, so those figures are our own
client overhead (HTTP + SSE parsing + sentence cutting), not a model's thinking time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import testdata  # noqa: E402
from tests.brain.fixture import build_workspace  # noqa: E402
from tests.brain.servers import ChatServer  # noqa: E402
from tests.hearing.speech import SR, feed_realtime, say, silence  # noqa: E402
from tests.hearing.wer import wer  # noqa: E402

from selfcast.brain import BrainContext, Turn, get_brain  # noqa: E402
from selfcast.brain.workspace import build_card  # noqa: E402
from selfcast.hearing import EndOfTurn, Hearing  # noqa: E402
from selfcast.hearing.asr import WhisperASR  # noqa: E402
from selfcast.settings import BrainSettings, HearingSettings  # noqa: E402

QUESTIONS = [
    "What's the status of the API refactor?",
    "Which test is failing right now?",
    "Who is working on the API refactor?",
    "What is the deadline for the new API?",
    "What is the budget for the marketing campaign?",
]


def recognition(asr: WhisperASR) -> dict:
    clips = [(testdata.jfk_wav(), testdata.JFK_TEXT)]
    lib = testdata.librivox_dir()
    clips += [(w, w.with_suffix(".txt").read_text()) for w in sorted(lib.glob("*.wav"))]
    rows = []
    for wav, ref in clips:
        pcm, _ = sf.read(wav, dtype="float32")
        asr.transcribe(pcm[:SR])  # warm
        t = time.perf_counter()
        hyp = asr.transcribe(pcm)
        dt = time.perf_counter() - t
        rows.append({"clip": wav.stem[-24:], "seconds": round(len(pcm) / SR, 2), "wer": round(wer(ref, hyp), 3),
                     "rtf": round(dt / (len(pcm) / SR), 3)})
    lib_rows = rows[1:]
    return {"clips": rows, "jfk_wer": rows[0]["wer"],
            "librivox_wer_mean": round(statistics.mean(r["wer"] for r in lib_rows), 3),
            "rtf_median": round(statistics.median(r["rtf"] for r in rows), 3)}


def decode_window(asr: WhisperASR) -> dict:
    """One question decoded by faster-whisper's own transcribe (30 s encoder window) and by the
    utterance-sized window the hearing engine uses; best of 3 each."""
    full, short = [], []
    for q in QUESTIONS:
        pcm = say(q)
        for fn, sink in ((lambda x: " ".join(s.text for s in asr._model.transcribe(
                x, language="en", beam_size=1, without_timestamps=True, condition_on_previous_text=False)[0]), full),
                         (asr.transcribe, short)):
            best = 1e9
            for _ in range(3):
                t = time.perf_counter()
                fn(pcm)
                best = min(best, time.perf_counter() - t)
            sink.append(best * 1000)
    return {"faster_whisper_30s_window_ms_median": round(statistics.median(full)),
            "utterance_window_ms_median": round(statistics.median(short))}


def end_of_turn(asr: WhisperASR) -> dict:
    """Wall time from the last sample of a complete question to the EndOfTurn event."""
    rows = []
    for q in QUESTIONS:
        h = Hearing(HearingSettings(), bot_name="Robin", asr=asr)
        speech = say(q)
        end = 0.4 + len(speech) / SR
        got = None
        for ev, _t, wall in feed_realtime(h, np.concatenate([silence(0.4), speech, silence(3.0)])):
            if isinstance(ev, EndOfTurn):
                got = (ev, wall)
                break
        if got:
            ev, wall = got
            rows.append({"question": q, "heard": ev.segment.text, "eot_ms": round((wall - end) * 1000),
                         "recognition_ms": ev.latency.get("decode_ms"), "cue": ev.latency.get("cue")})
        else:
            rows.append({"question": q, "heard": None, "eot_ms": None})
        h.close()
    ok = [r["eot_ms"] for r in rows if r["eot_ms"] is not None]
    return {"turns": rows, "eot_ms_median": statistics.median(ok) if ok else None,
            "eot_ms_max": max(ok) if ok else None}


def first_sentence(card) -> dict:
    """End of the recognised question → first reply sentence, per provider."""
    pieces = ["The orders", " endpoints are", " moving to v2.", " Cursor pagination", " is still to do."]
    out = {}
    ctx = BrainContext("Robin", card)
    providers = [("embedded", BrainSettings(), None)]
    servers = []
    for name, base in (("openai", "/v1"), ("anthropic", "")):
        s = ChatServer(pieces)
        servers.append(s)
        providers.append((name, BrainSettings(provider=name, url=s.url + base, key="local", model="m"), s))
    for name, settings, _s in providers:
        brain = get_brain(settings)
        times = []
        for q in QUESTIONS * 4:
            t = time.perf_counter()
            it = brain.reply([Turn("user", q)], ctx)
            next(it)
            times.append((time.perf_counter() - t) * 1000)
            list(it)
        out[name] = {"first_sentence_ms_median": round(statistics.median(times), 2),
                     "first_sentence_ms_p90": round(sorted(times)[int(0.9 * len(times)) - 1], 2)}
        brain.close()
    for s in servers:
        s.close()
    try:
        import llama_cpp  # noqa: F401
        out["embedded+gguf"] = "installed (not measured here)"
    except ImportError:
        out["embedded+gguf"] = "llama-cpp-python not installed (optional 'llm' extra)"
    return out


def workspace(tmp: Path) -> dict:
    ws = build_workspace(tmp / "fixture")
    t = time.perf_counter()
    card = build_card(ws["repo"], extra_logs=[ws["log"]], history_files=[ws["history"]])
    fixture_s = time.perf_counter() - t
    big = tmp / "big"
    big.mkdir()
    subprocess.run(["git", "init", "-q", str(big)], check=True)
    (big / "README.md").write_text("# Big\n\nA monorepo.\n")
    for d in range(500):  # 100,000 files
        sub = big / "src" / f"m{d:03d}"
        sub.mkdir(parents=True)
        for f in range(200):
            (sub / f"f{f:03d}.py").write_text("x = 1\n")
    t = time.perf_counter()
    bigcard = build_card(big, history_files=[], time_budget_s=8.0)
    big_s = time.perf_counter() - t
    return {"card": card, "fixture_card_s": round(fixture_s, 3), "fixture_tokens": card.tokens,
            "big_repo_files": 100_000, "big_repo_card_s": round(big_s, 2), "big_repo_stats": bigcard.stats}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("HOME", str(Path.home()))
    asr = WhisperASR()
    with tempfile.TemporaryDirectory() as tmp:
        ws = workspace(Path(tmp))
    card = ws.pop("card")
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        "recognition": recognition(asr),
        "decode_window": decode_window(asr),
        "end_of_turn": end_of_turn(asr),
        "first_sentence": first_sentence(card),
        "workspace": ws,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"machine: {result['machine']}")
    r = result["recognition"]
    print(f"\nrecognition (the configured Whisper, int8): JFK WER {r['jfk_wer']}, LibriVox mean WER {r['librivox_wer_mean']}, "
          f"median RTF {r['rtf_median']}")
    for c in r["clips"]:
        print(f"  {c['clip']:<26} {c['seconds']:>5}s  WER {c['wer']:<6} RTF {c['rtf']}")
    d = result["decode_window"]
    print(f"question decode: faster-whisper transcribe (30 s window) {d['faster_whisper_30s_window_ms_median']} ms, "
          f"utterance window {d['utterance_window_ms_median']} ms (median of 5 questions)")
    e = result["end_of_turn"]
    print(f"\nend of speech -> end of turn with transcript: median {e['eot_ms_median']} ms, max {e['eot_ms_max']} ms")
    for row in e["turns"]:
        print(f"  {row['eot_ms']:>6} ms (recognition {row.get('recognition_ms')} ms, cue {row.get('cue')}): {row['heard']!r}")
    print("\nend of transcript -> first reply sentence:")
    for k, v in result["first_sentence"].items():
        print(f"  {k:<14} {v}")
    w = result["workspace"]
    print(f"\nworkspace card: fixture repo {w['fixture_card_s']} s ({w['fixture_tokens']} tokens); "
          f"100,000-file repo {w['big_repo_card_s']} s ({w['big_repo_stats']})")


if __name__ == "__main__":
    main()
