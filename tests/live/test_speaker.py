"""The speaker on its own (real voice, real avatar; the meeting replaced by a recorder of what
would be sent): sentences follow without gaps, audio is never sent far ahead, frames are drawn for
each audio instant, and an interruption stops voice and mouth with only the played words kept."""

from __future__ import annotations

import asyncio
import time

import cv2
import numpy as np
import pytest

from selfcast.live.engines import load_avatar
from selfcast.live.media_out import Speaker
from selfcast.live.video_out import VideoPacer
from selfcast.settings import Settings

pytestmark = pytest.mark.slow  # real synthesis and rendering in real time (~30 s)


class RecordingSink:
    """The meeting's side of the contract, on the wall clock: keeps what it is sent and when."""

    def __init__(self, keep_media: bool = False) -> None:
        self.origin = time.time()
        self.audio: list[tuple[float, float, float, int]] = []  # (sent at, pts, end, rate)
        self.frames: list[tuple[float, float]] = []
        self.cleared: list[float] = []
        self.keep_media = keep_media
        self.pictures: list[tuple[float, np.ndarray]] = []  # (pts, rgb) when keep_media
        self.pcm: list[tuple[float, np.ndarray]] = []  # (pts, samples) when keep_media

    def media_time(self) -> float:
        return time.time() - self.origin

    def wants_frame(self) -> bool:
        return True

    async def send_video(self, frame) -> None:
        self.frames.append((self.media_time(), frame.pts))
        if self.keep_media:  # the picture as sent (the pacer reuses its drawing buffer)
            self.pictures.append((frame.pts, frame.encoded))

    async def send_audio(self, chunk) -> None:
        self.audio.append((self.media_time(), chunk.pts, chunk.end, chunk.sample_rate))
        if self.keep_media:
            self.pcm.append((chunk.pts, np.asarray(chunk.pcm, np.float32)))

    async def clear_output(self) -> None:
        self.cleared.append(self.media_time())


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    from selfcast.voice import get_tts

    s = Settings(data_dir=tmp_path_factory.mktemp("speaker"))
    return s, get_tts("joe", s)


async def test_sentences_play_back_to_back_never_far_ahead_and_frames_follow_the_audio_clock(engines):
    s, voice = engines
    avatar = load_avatar(s, None)
    sink = RecordingSink()
    pacer = VideoPacer(avatar, sink, fps=25, lead_s=0.12)
    pacer.start()
    spk = Speaker(voice, avatar, sink, audio_lead_s=0.18, max_ahead_s=0.6)
    h = spk.say(["The first public release is planned for Friday.", "Maria leads the project."])
    await h.wait(60)
    await pacer.stop()
    assert not h.interrupted and len(h.sentences) == 2
    a, b = h.sentences
    assert abs(b.start - a.end) < 0.02, "a gap between sentences"
    for sent_at, pts, _end, _ in sink.audio:
        assert pts - sent_at <= 0.6 + 0.05, "audio sent too far ahead"
    ends = np.array([e for *_, e, _ in sink.audio])
    assert np.all(np.diff(np.array([p for _, p, _, _ in sink.audio])) > 0) and ends[-1] == pytest.approx(h.end)
    pts = np.array([p for _, p in sink.frames])
    assert np.allclose(np.diff(pts) * 25, np.round(np.diff(pts) * 25), atol=1e-6), "frames off the 25 fps grid"


async def test_frames_sent_show_a_mouth_in_step_with_the_speech_sent(engines):
    """Lips re-detected (MediaPipe) on the frames the session sends, against the audio it sends:
    the sync the meeting transport starts from. Estimated phoneme timings once dragged this
    from 0.91 to 0.67."""
    from tests.live import harness as H

    s, voice = engines
    avatar = load_avatar(s, None)
    sink = RecordingSink(keep_media=True)
    pacer = VideoPacer(avatar, sink, fps=25, lead_s=0.12)
    pacer.start()
    spk = Speaker(voice, avatar, sink, audio_lead_s=0.18, max_ahead_s=0.6)
    h = spk.say(["Lighthouse is a small weather station dashboard.",
                 "Sensors on the roof send readings every minute, and the dashboard shows temperature, wind and rain.",
                 "Maria leads the project and reviews every change."])
    await h.wait(60)
    await pacer.stop()
    rate = sink.audio[0][3]
    pcm = np.zeros(int((h.end + 0.5) * rate), np.float32)
    for pts, x in sink.pcm:
        i = round(pts * rate)
        pcm[i:i + len(x)] = x
    x0, y0, cw, ch = H.FACE_CROP
    faces = []
    for pts, picture in sink.pictures:
        rgb = cv2.imdecode(np.frombuffer(picture.data, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]
        hh, ww = rgb.shape[:2]
        faces.append((pts, rgb[int(y0 * hh):int((y0 + ch) * hh), int(x0 * ww):int((x0 + cw) * ww)]))
    mt, mar = H.mouth_series(faces)
    sync = H.lip_sync(H.Recording(pcm, 0.0, rate), mt, mar, h.started_at, h.end)
    assert sync.frames > 150, sync
    assert sync.corr >= 0.8 and abs(sync.offset_ms) <= 20, sync


async def test_interrupt_stops_voice_and_mouth_and_keeps_only_the_played_words(engines):
    s, voice = engines
    avatar = load_avatar(s, None)
    sink = RecordingSink()
    pacer = VideoPacer(avatar, sink, fps=25, lead_s=0.12)  # frames are asked for, as in a session
    pacer.start()
    spk = Speaker(voice, avatar, sink, audio_lead_s=0.18, max_ahead_s=0.6)
    h = spk.say(["Lighthouse is a small weather station dashboard with sensors on the roof.",
                 "The first public release is planned for Friday."])
    while h.started_at is None or sink.media_time() < h.started_at + 1.0:
        await asyncio.sleep(0.02)
    cut = await spk.interrupt()
    await h.wait(10)
    await asyncio.sleep(0.4)
    await pacer.stop()
    assert cut is h and h.interrupted and sink.cleared
    sent_after = [x for x in sink.audio if x[0] > sink.cleared[0]]
    assert not sent_after, "audio was sent after the interruption"
    assert max(e for _, _, e, _ in sink.audio) - h.cut_at <= 0.6 + 0.11  # at most max_ahead was queued
    assert h.heard_text and "Friday" not in h.heard_text and h.heard_text.endswith("—")
    # the mouth is closed shortly after the cut (the frames already drawn ahead end within the lead)
    mouth = [avatar.pose_at(h.cut_at + dt).mouth_open for dt in (0.3, 0.35, 0.4)]
    assert max(mouth) < 0.1, mouth


async def test_pause_silences_voice_and_mouth_and_resume_says_the_cut_sentence_again_from_its_start(engines):
    """A backchannel over the bot: paused at once (nothing sent, mouth closed), then the rest is
    heard, starting again at the beginning of the sentence the pause cut; nothing is voiced twice."""
    s, voice = engines
    avatar = load_avatar(s, None)
    sink = RecordingSink()
    pacer = VideoPacer(avatar, sink, fps=25, lead_s=0.12)
    pacer.start()
    spk = Speaker(voice, avatar, sink, audio_lead_s=0.18, max_ahead_s=0.6)
    first = "Lighthouse is a small weather station dashboard with sensors on the roof."
    second = "The first public release is planned for Friday."
    h = spk.say([first, second])
    while h.started_at is None or sink.media_time() < h.started_at + 1.0:
        await asyncio.sleep(0.02)
    assert await spk.pause() is h and h.paused
    paused_at, n = h.paused_at, len(sink.audio)
    assert sink.cleared  # the queued sound is dropped at the meeting
    await asyncio.sleep(0.5)
    assert len(sink.audio) == n, "audio was sent while paused"
    mouth = [avatar.pose_at(paused_at + dt).mouth_open for dt in (0.3, 0.35, 0.4)]
    assert max(mouth) < 0.1, mouth
    resumed_at = sink.media_time()
    assert await spk.resume() is h
    await h.wait(60)
    await pacer.stop()
    assert not h.interrupted and h.heard_text == f"{first} {second}"
    a, b = h.sentences
    assert a.text == first and a.start >= resumed_at  # said again, from its start
    assert a.end - a.start > 2.0 and abs(b.start - a.end) < 0.02
    after = sorted((pts, end) for _, pts, end, _ in sink.audio[n:])
    assert after[0][0] == pytest.approx(a.start) and after[-1][1] == pytest.approx(h.end)
    assert sum(e - p for p, e in after) == pytest.approx(h.end - a.start, abs=0.01)  # no gap, no overlap


async def test_a_resume_after_a_phrase_pause_takes_the_sentence_up_again_there(engines):
    """Paused 3 s into "Sensors on the roof send readings every minute, and the dashboard shows
    …": the rest is heard from "and the dashboard", not from "Sensors" again."""
    s, voice = engines
    avatar = load_avatar(s, None)
    sink = RecordingSink()
    spk = Speaker(voice, avatar, sink, audio_lead_s=0.18, max_ahead_s=0.6)
    long = "Sensors on the roof send readings every minute, and the dashboard shows temperature, wind and rain."
    whole = sum(c.duration for c in voice.stream(long))
    h = spk.say(["Maria leads the project.", long])
    while len(h.sentences) < 2 or sink.media_time() < h.sentences[1].start + 3.0:
        await asyncio.sleep(0.02)
    await spk.pause()
    n, into = len(sink.audio), h.paused_at - h.sentences[1].start
    await asyncio.sleep(0.3)
    await spk.resume()
    await h.wait(60)
    again = sum(e - p for _, p, e, _ in sink.audio[n:])
    assert h.heard_text == f"Maria leads the project. {long}" and not h.interrupted
    assert whole - into <= again <= whole - 1.0, (whole, into, again)  # from a phrase pause, not the start
    assert h.sentences[1].text == long and h.sentences[1].end == pytest.approx(h.end)


def test_trim_onset_drops_the_voice_lead_in_but_keeps_10_ms():
    import numpy as np

    from selfcast.live.media_out import trim_onset

    sr = 22050
    pcm = np.concatenate([np.zeros(int(0.05 * sr), np.float32), np.full(sr // 10, 0.5, np.float32)])
    out = trim_onset(pcm, sr)
    assert out.size == pcm.size - int(0.05 * sr) + int(0.01 * sr)
    assert trim_onset(np.zeros(10, np.float32), sr).size == 10
