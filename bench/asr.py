"""Recognition accuracy and speed: Whisper base (the default) against tiny.en, per clip.

    .venv/bin/python bench/asr.py            # a Markdown table per model, then the summary
    .venv/bin/python bench/asr.py --json

Clips: JFK (11 s) and the five LibriVox *Sense and Sensibility* clips (3-8 s), with their
reference transcripts (``tests/testdata.py``). Each clip is recognised the way hearing does it
(``WhisperASR.transcribe``: the short encoder window, at least 5 s) and with faster-whisper's
full 30 s window (``window="30s"``), so the cost of the short window is visible. WER is scored
per clip (``tests/hearing/wer.py``) and over all words together. RTF is decode time over audio
time with ``cpu_threads`` threads, after one warm-up decode: it means something only on an
otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import jiwer
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore")

from tests import testdata  # noqa: E402
from tests.hearing.wer import NORMALISE, wer  # noqa: E402

from selfcast.hearing.asr import WhisperASR  # noqa: E402
from selfcast.hearing.asr.whisper import TINY_EN  # noqa: E402

MODELS = {"base": "", "tiny.en": TINY_EN}


def clips() -> list[tuple[str, Path, str]]:
    out = [("jfk", testdata.jfk_wav(), testdata.JFK_TEXT)]
    for w in sorted(testdata.librivox_dir().glob("*.wav")):
        out.append((w.stem.rsplit("-", 1)[-1], w, w.with_suffix(".txt").read_text().strip()))
    return out


def run_model(name: str, cpu_threads: int) -> dict:
    asr = WhisperASR(MODELS[name], cpu_threads=cpu_threads)
    rows, refs, hyps, hyps30 = [], [], [], []
    for clip, wav, ref in clips():
        pcm, sr = sf.read(wav, dtype="float32")
        assert sr == 16_000, wav
        asr.transcribe(pcm[:16_000])  # warm
        t = time.perf_counter()
        hyp = asr.transcribe(pcm)
        dt = time.perf_counter() - t
        hyp30 = asr.transcribe(pcm, prompt=" ")  # any prompt takes faster-whisper's full 30 s window
        refs.append(ref)
        hyps.append(hyp)
        hyps30.append(hyp30)
        rows.append({"clip": clip, "seconds": round(len(pcm) / sr, 2), "wer": round(wer(ref, hyp), 3),
                     "wer_30s": round(wer(ref, hyp30), 3), "rtf": round(dt / (len(pcm) / sr), 3), "text": hyp})
    asr.close()

    def pooled(h: list[str]) -> float:
        return round(float(jiwer.wer(refs, h, reference_transform=NORMALISE, hypothesis_transform=NORMALISE)), 4)

    return {"model": name, "clips": rows, "wer_all_words": pooled(hyps), "wer_all_words_30s": pooled(hyps30),
            "wer_mean_of_clips": round(sum(r["wer"] for r in rows) / len(rows), 4),
            "rtf_mean": round(sum(r["rtf"] for r in rows) / len(rows), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--cpu-threads", type=int, default=2)
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    args = ap.parse_args()
    results = [run_model(m, args.cpu_threads) for m in args.models]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for res in results:
        print(f"\n### Whisper {res['model']}\n")
        print("| clip | s | WER | WER (30 s window) | RTF | heard |")
        print("|---|---|---|---|---|---|")
        for r in res["clips"]:
            print(f"| {r['clip']} | {r['seconds']} | {r['wer']:.1%} | {r['wer_30s']:.1%} | {r['rtf']} | {r['text']} |")
        print(f"\nall words: WER {res['wer_all_words']:.1%} (30 s window {res['wer_all_words_30s']:.1%}); "
              f"mean of clips {res['wer_mean_of_clips']:.1%}; mean RTF {res['rtf_mean']}")


if __name__ == "__main__":
    main()
