"""Voice activity with the Silero v6 ONNX model that faster-whisper ships (no torch).

Streaming: 512-sample frames (32 ms at 16 kHz) with 64 samples of left context and the LSTM
state carried between calls, exactly as the model was trained to be run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from selfcast.errors import Unavailable

FRAME = 512
CONTEXT = 64
SAMPLE_RATE = 16_000


def silero_model_path() -> Path:
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable("voice activity needs faster-whisper (pip install 'selfcast[hearing]')")
    path = Path(next(iter(spec.submodule_search_locations))) / "assets" / "silero_vad_v6.onnx"
    if not path.exists():
        raise Unavailable(f"the Silero VAD model is missing from faster-whisper ({path}); reinstall faster-whisper")
    return path


class SileroVAD:
    """Speech probability per 32 ms frame. One instance per audio stream (it carries state)."""

    frame_samples = FRAME
    sample_rate = SAMPLE_RATE

    def __init__(self, model_path: Path | None = None) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 4
        self._session = ort.InferenceSession(str(model_path or silero_model_path()),
                                             providers=["CPUExecutionProvider"], sess_options=opts)
        self._x = np.zeros((1, CONTEXT + FRAME), np.float32)
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._x[:] = 0.0

    def __call__(self, frame: np.ndarray) -> float:
        """Probability that this 512-sample frame is speech."""
        if frame.shape != (FRAME,):
            raise ValueError(f"VAD frames are {FRAME} samples at 16 kHz, got {frame.shape}")
        self._x[0, CONTEXT:] = frame
        out, self._h, self._c = self._session.run(None, {"input": self._x, "h": self._h, "c": self._c})
        self._x[0, :CONTEXT] = frame[-CONTEXT:]
        return float(out.ravel()[0])
