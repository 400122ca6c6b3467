"""Voice engine figures: similarity, intelligibility, latency, real-time factor, cloning time.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/voice.py`` (from the repository root). Prints a
Markdown table per speaker and the timing figures. One core: onnxruntime and BLAS are held to
one thread. Speakers: the LibriVox reader (train 3 clips / 17 s of speech, judge on 2 held-out
clips) and the "forever" speaker (train on 5.8 s, judge on the other 3.4 s clip; below the
product's 15-s floor, so it is cloned with ``min_speech_s=3``).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("SELFCAST_TTS_THREADS", "1")

import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
warnings.filterwarnings("ignore")

from tests.voice import measure as M  # noqa: E402

from selfcast.media.audio_io import decode_audio  # noqa: E402
from selfcast.voice.profiles import VoiceStore  # noqa: E402
from selfcast.voice.stock import STOCK_VOICES  # noqa: E402
from selfcast.voice.tts import EmbeddedTTS, base_voice  # noqa: E402

SENTENCES = [
    "Thanks everyone for joining today.",
    "I finished the migration to the new database yesterday, and the search page is now about thirty percent faster.",
    "Next week I want to focus on the billing dashboard.",
    "Does anyone have questions about the release plan?",
    "Version 2.3 of the API ships on March 14th at 10:30 AM.",
]


def speaker_figures(store: VoiceStore, spk: M.SpeakerData, tmp: Path, min_speech: float | None) -> dict:
    sample = M.concat_clips(spk.train, tmp / f"{spk.name}.wav")
    t = time.perf_counter()
    profile = store.clone(sample, spk.name, min_speech_s=min_speech)
    clone_s = time.perf_counter() - t
    fs = base_voice().sample_rate
    ref = M.reference_embedding(spk.held_out)
    clone_tts = EmbeddedTTS(profile.load_model(fs), voice_id=profile.voice_id)
    base_tts = EmbeddedTTS(None, voice_id="joe")
    clone = clone_tts.synthesize(M.MEETING_PARAGRAPH)
    base = base_tts.synthesize(M.MEETING_PARAGRAPH)
    held = np.concatenate([decode_audio(p, 16000)[0] for p in spk.held_out])
    train_pcm, _ = decode_audio(sample, 16000)
    everything = np.concatenate([decode_audio(p, 16000)[0] for p in spk.train + spk.held_out])
    tgt_pitch = M.pitch_stats(held, 16000)
    all_pitch = M.pitch_stats(everything, 16000)
    cl_pitch = M.pitch_stats(clone, fs)
    out = {
        "speaker": spk.name,
        "train_speech_s": profile.metadata["speech_s"],
        "clone_s": round(clone_s, 1),
        "sim_clone": round(M.similarity(clone, fs, ref), 3),
        "sim_base": round(M.similarity(base, fs, ref), 3),
        "sim_train_vs_heldout": round(M.similarity(train_pcm, 16000, ref), 3),
        "wer_clone": round(M.wer(M.MEETING_PARAGRAPH, M.transcribe(clone, fs)), 3),
        "wer_base": round(M.wer(M.MEETING_PARAGRAPH, M.transcribe(base, fs)), 3),
        "f0_target_hz": round(tgt_pitch["median_hz"], 1),
        "f0_clone_hz": round(cl_pitch["median_hz"], 1),
        "range_target_st": round(tgt_pitch["range_st"], 2),
        "range_clone_st": round(cl_pitch["range_st"], 2),
        "f0_target_all_clips_hz": round(all_pitch["median_hz"], 1),
        "range_target_all_clips_st": round(all_pitch["range_st"], 2),
    }
    if spk.held_out_text:
        tr = M.speaking_rate(held, 16000, spk.held_out_text)
        cr = M.speaking_rate(clone, fs, M.MEETING_PARAGRAPH)
        all_text = " ".join(p.with_suffix(".txt").read_text().strip() for p in spk.train + spk.held_out)
        ta = M.speaking_rate(everything, 16000, all_text)
        out["rate_target_syl_s"], out["rate_clone_syl_s"] = round(tr, 2), round(cr, 2)
        out["rate_target_all_clips_syl_s"] = round(ta, 2)
    return out


def timing_figures(store: VoiceStore, voice_id: str) -> dict:
    fs = base_voice().sample_rate
    tts = EmbeddedTTS(store.get(voice_id).load_model(fs), voice_id=voice_id)
    tts.synthesize("Warm up.")
    firsts, total_t, total_audio = [], 0.0, 0.0
    for s in SENTENCES * 2:
        t = time.perf_counter()
        it = tts.stream(s)
        first = next(it)
        firsts.append(time.perf_counter() - t)
        rest = list(it)
        total_t += time.perf_counter() - t
        total_audio += first.duration + sum(c.duration for c in rest)
    plain = EmbeddedTTS(None, voice_id="joe")
    plain.synthesize("Warm up.")
    plain_firsts = []
    for s in SENTENCES * 2:
        t = time.perf_counter()
        next(iter(plain.stream(s)))
        plain_firsts.append(time.perf_counter() - t)
    t = time.perf_counter()
    a = plain.synthesize(" ".join(SENTENCES))
    plain_rtf = (time.perf_counter() - t) / (len(a) / fs)
    return {"first_audio_ms_median": round(1000 * statistics.median(firsts), 1),
            "first_audio_ms_max": round(1000 * max(firsts), 1), "rtf_clone": round(total_t / total_audio, 3),
            "rtf_joe_plain": round(plain_rtf, 3),
            "first_audio_ms_median_joe_plain": round(1000 * statistics.median(plain_firsts), 1)}


def sixty_second_clone(store: VoiceStore, tmp: Path) -> float:
    spk = M.librivox_speaker()
    clips = sorted(p for p in spk.train + spk.held_out)
    sample = M.concat_clips(clips, tmp / "sixty.wav", repeat=3, gap_s=0.4)
    t = time.perf_counter()
    store.clone(sample, "sixty")
    return time.perf_counter() - t


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        store = VoiceStore(tmp / "voices")
        rows = [speaker_figures(store, M.librivox_speaker(), tmp, None),
                speaker_figures(store, M.forever_speaker(), tmp, 3.0)]
        for r in rows:
            print(json.dumps(r))
        timing = timing_figures(store, store.list()[-1].voice_id)
        timing["clone_60s_sample_s"] = round(sixty_second_clone(store, tmp), 1)
        print(json.dumps(timing))
        spk = M.librivox_speaker()
        ref = M.reference_embedding(spk.held_out)
        fs = base_voice().sample_rate
        stock = {}
        for vid in STOCK_VOICES:
            pcm = EmbeddedTTS(STOCK_VOICES[vid].model(fs), voice_id=vid).synthesize(M.MEETING_PARAGRAPH)
            stock[vid] = {"f0_hz": round(M.pitch_stats(pcm, fs)["median_hz"], 1),
                          "wer": round(M.wer(M.MEETING_PARAGRAPH, M.transcribe(pcm, fs)), 3),
                          "sim_to_librivox": round(M.similarity(pcm, fs, ref), 3)}
        print(json.dumps({"stock": stock}))


if __name__ == "__main__":
    main()
