"""The media substrate: frame types, the media clock, codecs (PyAV) and resampling (soxr)."""

from selfcast.media.frames import AudioChunk, VideoFrame

__all__ = ["AudioChunk", "VideoFrame"]
