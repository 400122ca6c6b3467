"""The live video generator: speech audio in, frames for any audio time out (LiveKit-style).

The live session pushes the speech audio it is about to play (on the session clock, usually
ahead of playback, which gives the mouth its look-ahead) and asks for ``frame_at(t)`` at the
video rate with t taken from the audio clock, so video can never drift from audio. With no
speech the face idles (blinks, breathing, glances); ``set_listening(True)`` adds nods;
``clear_buffer()`` is barge-in: queued speech is dropped and the mouth closes at once, smoothly.

Threads: speech is analysed (FFTs) outside the lock that frames take, so a frame never waits for
an analysis; the lock only guards the cheap mouth-target store. ``frame_into`` draws into a
buffer the caller keeps (one per rendering thread), rewriting only the face region.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from selfcast.avatar.motion import Motion
from selfcast.avatar.pose import Pose
from selfcast.avatar.renderer import Renderer
from selfcast.avatar.rig import Rig, load_rig
from selfcast.avatar.visemes import Analysed, SpeechAnalyser, SpeechTrack
from selfcast.errors import BadInput
from selfcast.media.frames import AudioChunk, VideoFrame


class AvatarStream:
    """One avatar's video for one session. Thread-safe: audio may be pushed from another thread."""

    def __init__(self, rig: Rig | bytes | Path, *, size: tuple[int, int] = (1280, 720), fps: int = 25,
                 seed: int = 0, cache_dir: Path | None = None) -> None:
        if fps <= 0 or fps > 120:
            raise BadInput(f"fps {fps} is out of range; use 1-120 (25 or 30 are usual)")
        self.rig = rig if isinstance(rig, Rig) else load_rig(rig, cache_dir=cache_dir)
        self.size = (int(size[0]), int(size[1]))
        self.fps = fps
        self.renderer = Renderer(self.rig, self.size)
        self.motion = Motion(seed)
        self.speech = SpeechTrack()
        self._analyser = SpeechAnalyser()
        self._lock = threading.Lock()  # the mouth targets and motion state: held only briefly
        self._analysis_lock = threading.Lock()  # one analysis at a time (it keeps a running state)
        self._render_lock = threading.Lock()  # the renderer reuses scratch buffers
        self._now = 0.0  # the latest time a frame was asked for
        self._cuts = 0  # barge-ins so far: an analysis that a cut overtook is dropped
        self._analysed_after = 0  # the value of _cuts the analyser's running state belongs to

    # -- input ---------------------------------------------------------------------------------

    def push_audio(self, chunk: AudioChunk) -> None:
        """Speech audio on the session clock. ``chunk.meta["phonemes"]``: [(phoneme, start_s, end_s)]
        with times relative to ``chunk.pts`` (ignored when ``meta["phoneme_timing"]`` is
        "estimated"); ``chunk.final`` ends the segment."""
        pcm = np.asarray(chunk.pcm, dtype=np.float32)
        if pcm.ndim == 2:  # (n, channels) -> mono
            pcm = pcm.mean(axis=1)
        if chunk.sample_rate <= 0:
            raise BadInput("audio chunk has no sample rate")
        meta = chunk.meta or {}
        # Timings spread over a sentence by typical phoneme length drift 50-150 ms from the sound;
        # closing the lips on such a guess put the mouth out of step with the voice (lip-audio
        # correlation 0.87 without them, 0.63 with), so only measured timings shape the mouth.
        phonemes = None if meta.get("phoneme_timing") == "estimated" else meta.get("phonemes")
        with self._analysis_lock:
            with self._lock:
                cuts = self._cuts
            if cuts != self._analysed_after:  # a barge-in since the last chunk: start afresh
                self._analyser.restart()
                self._analysed_after = cuts
            done = [self._analyser.analyse(pcm, chunk.sample_rate, chunk.pts, phonemes)]
            if chunk.final:
                done.append(self._analyser.flush())
            self._commit(cuts, done)

    def end_segment(self) -> None:
        """End of an utterance: the last few ms are analysed now; the mouth closes after them."""
        with self._analysis_lock:
            with self._lock:
                cuts = self._cuts
            if cuts == self._analysed_after:
                self._commit(cuts, [self._analyser.flush()])

    def _commit(self, cuts: int, done: list[Analysed | None]) -> None:
        with self._lock:
            if cuts != self._cuts:
                return  # cut while it was analysed: this speech will not be played
            for a in done:
                if a is not None:
                    self.speech.add(a)

    def clear_buffer(self) -> None:
        """Barge-in: drop queued speech after the current frame; the mouth closes within ~120 ms."""
        with self._lock:
            self._cuts += 1
            self.speech.clear(self._now)

    def set_listening(self, listening: bool) -> None:
        with self._lock:
            self.motion.set_listening(bool(listening), self._now)

    # -- output --------------------------------------------------------------------------------

    def pose_at(self, t: float) -> Pose:
        """The pose for audio time ``t`` (a query: it does not move the stream's "now")."""
        with self._lock:
            mouth = self.speech.shape_at(t)
        return self.motion.pose_at(t, mouth)

    def frame_at(self, t: float) -> VideoFrame:
        """The frame for audio time ``t`` (seconds on the session clock) in a buffer of its own;
        t becomes "now"."""
        pose = self._advance(t)
        with self._render_lock:
            rgb = self.renderer.render(pose)
        return VideoFrame(rgb, pts=t)

    def canvas(self) -> np.ndarray:
        """An output buffer for :meth:`frame_into`, holding the still parts of the picture."""
        return self.renderer.canvas()

    def frame_into(self, t: float, out: np.ndarray) -> VideoFrame:
        """Like :meth:`frame_at`, drawn into ``out`` (from :meth:`canvas`; only the face region is
        rewritten): the returned frame shares ``out``, so it is valid until the next call."""
        pose = self._advance(t)
        with self._render_lock:
            self.renderer.render_into(pose, out)
        return VideoFrame(out, pts=t)

    def _advance(self, t: float) -> Pose:
        with self._lock:
            self._now = max(self._now, t)
            self.speech.prune(self._now)
        return self.pose_at(t)

    @property
    def speech_end(self) -> float:
        """Session time up to which speech has been pushed (playback is finished after it)."""
        return self.speech.end
