"""The hot path out of a session, with the real avatar: the pacer draws and encodes every frame on
one thread of its own, only after the meeting said it will take one; the speaker voices every
sentence of every utterance on its long-lived voicing threads, never a new one per sentence."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time

import cv2
import numpy as np
import pytest

from selfcast.live.engines import load_avatar
from selfcast.live.media_out import Speaker
from selfcast.live.video_out import VideoPacer
from selfcast.media.frames import VideoFrame
from selfcast.settings import Settings
from tests.live.fakes import FakeFace, FakeMeeting, FixedChunkVoice

FPS = 25


class Camera:
    """The meeting's camera side on the wall clock: declines frames until ``open_at`` (media s)."""

    def __init__(self, open_at: float) -> None:
        self.origin = time.time()
        self.open_at = open_at
        self.frames: list[VideoFrame] = []

    def media_time(self) -> float:
        return time.time() - self.origin

    def wants_frame(self) -> bool:
        return self.media_time() >= self.open_at

    async def send_video(self, frame: VideoFrame) -> None:
        self.frames.append(frame)


class WatchedAvatar:
    """The real avatar, noting the thread and the time of every frame it draws."""

    def __init__(self, avatar) -> None:
        self.avatar, self.fps = avatar, avatar.fps
        self.drawn: list[tuple[threading.Thread, float]] = []

    def canvas(self) -> np.ndarray:
        return self.avatar.canvas()

    def frame_into(self, t: float, out: np.ndarray) -> VideoFrame:
        self.drawn.append((threading.current_thread(), t))
        return self.avatar.frame_into(t, out)

    def frame_at(self, t: float) -> VideoFrame:
        self.drawn.append((threading.current_thread(), t))
        return self.avatar.frame_at(t)


@pytest.fixture(scope="module")
def avatar(tmp_path_factory):
    return load_avatar(Settings(data_dir=tmp_path_factory.mktemp("pacer")), None)


async def test_pacer_asks_before_drawing_and_draws_and_encodes_on_one_thread_of_its_own(avatar):
    face = WatchedAvatar(avatar)
    camera = Camera(open_at=0.5)
    pacer = VideoPacer(face, camera, fps=FPS, lead_s=0.1)
    pacer.start()
    await asyncio.sleep(1.5)
    await pacer.stop()
    st = pacer.stats
    # nothing is drawn for a camera that would not take it
    assert st.declined >= 8 and st.frames == len(camera.frames) >= 15, st
    assert st.frames <= len(face.drawn) <= st.frames + 1  # + the frame being drawn when it stopped
    assert min(t for _, t in face.drawn) >= camera.open_at - 1e-9
    # one thread of the pacer's own (not the event loop's, not a new one per frame)
    threads = {th for th, _ in face.drawn}
    assert len(threads) == 1 and threading.main_thread() not in threads
    # frame k is at k / fps exactly, and it leaves already a JPEG of the picture drawn
    for f in camera.frames:
        assert abs(f.pts * FPS - round(f.pts * FPS)) < 1e-9
        assert f.encoded is not None and f.encoded.format == "jpeg" and not f.rgb.flags.writeable
    last = camera.frames[-1]
    sent = cv2.imdecode(np.frombuffer(last.encoded.data, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]
    want = avatar.frame_at(last.pts).rgb
    assert sent.shape == want.shape and np.abs(sent.astype(int) - want).mean() < 3
    assert st.render_s > 0 and st.encode_s > 0


async def test_speaker_voices_every_sentence_on_its_own_long_lived_threads():
    threads: list[threading.Thread] = []

    class Voice(FixedChunkVoice):
        def stream(self, text):
            threads.append(threading.current_thread())
            yield from super().stream(text)

    meeting = FakeMeeting()
    spk = Speaker(Voice(), FakeFace(), meeting, audio_lead_s=0.05, max_ahead_s=0.3)
    first = spk.say(["One two three.", "Four five.", "Six."])
    second = spk.say(["Seven eight.", "Nine."])
    await first.wait(10)
    await second.wait(10)
    await spk.close()
    # at most the speaker's two voicing threads (a thread per sentence would be five)
    assert len(threads) == 5 and len({id(t) for t in threads}) <= 2
    assert threading.main_thread() not in threads and all(t.name.startswith("voice") for t in threads)
    # the microphone got every word in order; within an utterance, chunks meet on the sample count
    audio = meeting.audio
    assert all(b.pts > a.pts for a, b in itertools.pairwise(audio))
    assert sum(abs(b.pts - a.end) < 1e-12 for a, b in itertools.pairwise(audio)) >= len(audio) - 3
    assert second.result().heard == "Seven eight. Nine."


async def test_after_a_barge_in_the_next_utterance_does_not_wait_for_the_cut_sentence_to_finish_rendering():
    """A voice cannot be stopped mid-piece: the cut sentence goes on rendering its piece (here 2 s)
    on one voicing thread while the next utterance is voiced on the other."""
    class SlowPieces(FixedChunkVoice):
        def stream(self, text):
            for i, chunk in enumerate(super().stream(text)):
                if i == 1 and text.startswith("Long"):
                    time.sleep(2.0)  # the second piece of the long sentence renders slowly
                yield chunk

    meeting = FakeMeeting()
    spk = Speaker(SlowPieces(), FakeFace(), meeting, audio_lead_s=0.05, max_ahead_s=0.3)
    long = spk.say(["Long sentence that will be cut short."])
    while not meeting.audio:
        await asyncio.sleep(0.01)
    await spk.interrupt()
    await long.wait(5)
    sent_before = len(meeting.audio)
    t0 = time.monotonic()
    reply = spk.say(["Quick answer."])
    while len(meeting.audio) == sent_before:
        assert time.monotonic() - t0 < 1.0, "the next utterance waited for the cut sentence's render"
        await asyncio.sleep(0.01)
    await reply.wait(5)
    await spk.close()
    assert reply.result().heard == "Quick answer."
