"""Bounds on decoding untrusted images and audio: a pixel cap checked from the header before any
pixel is decoded, and a limit on how many decodes run at once.

A 257 KB PNG can declare 8192x8192 pixels and inflate to ~200 MB when loaded; N such uploads in
parallel would take N times that. Pillow's lazy ``Image.open`` reads only the header, so the
declared size is checked first, and only ``DECODE_SLOTS`` decodes hold decoded pixels or run an
audio decoder at any moment (the rest wait, then get a 503 saying to retry).
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image

from selfcast.errors import BadInput, TooLarge, Unavailable

#: 16.8 MP (4096x4096, ~50 MB as RGB): above any portrait or 12 MP phone photo, and well below
#: Pillow's own decompression-bomb limit (~89 MP warning, ~179 MP error).
MAX_PIXELS = 4096 * 4096
DECODE_SLOTS = 2  # decodes at once, process-wide (each may hold up to ~MAX_PIXELS * 4 bytes)
SLOT_WAIT_S = 30.0  # how long a request waits for a slot before it is told to retry

DRAFT_SIDE = 2048  # a large JPEG is decoded at 1/2, 1/4 or 1/8 scale, keeping at least this a side
# Pillow's own bomb check, for every Image.open in this process (the rig's too): a backstop that
# errors above 134 MP declared (its default is 179 MP). Ours is stricter and explicit: at most
# MAX_PIXELS are ever decoded; only a JPEG may declare more (up to this), since it decodes reduced.
PILLOW_BOMB_PIXELS = 4 * MAX_PIXELS  # Pillow refuses (raises) above twice this
Image.MAX_IMAGE_PIXELS = PILLOW_BOMB_PIXELS

_slots = threading.BoundedSemaphore(DECODE_SLOTS)  # a process resource, like a thread pool


@contextmanager
def decode_slot(what: str) -> Iterator[None]:
    """Hold one of the ``DECODE_SLOTS`` decode slots for the block, or raise ``Unavailable``."""
    if not _slots.acquire(timeout=SLOT_WAIT_S):
        raise Unavailable(f"the server is busy decoding other uploads; retry the {what} in a few seconds")
    try:
        yield
    finally:
        _slots.release()


def check_pixels(width: int, height: int, *, field: str) -> None:
    """Refuse a declared size over ``MAX_PIXELS`` before any pixel is decoded."""
    if width <= 0 or height <= 0:
        raise BadInput(f"{field} declares {width}x{height} pixels; upload a real PNG or JPEG portrait")
    if width * height > MAX_PIXELS:
        raise TooLarge(
            f"{field} is {width}x{height} ({width * height / 1e6:.1f} MP); the limit is "
            f"{MAX_PIXELS / 1e6:.1f} MP (e.g. 4096x4096): scale it down before uploading"
        )


def open_header(data: bytes, *, field: str) -> Image.Image:
    """``Image.open`` (header only, nothing decoded) with the size it will decode to checked: the
    declared size, or for a large JPEG the reduced size its DCT-scaled decode produces."""
    from PIL import UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # check_pixels says it better
            img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooLarge(
            f"{field} declares more than {2 * PILLOW_BOMB_PIXELS / 1e6:.0f} MP; the limit is "
            f"{MAX_PIXELS / 1e6:.1f} MP "
            "(e.g. 4096x4096): scale it down before uploading"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise BadInput(
            f"{field} is not a usable image ({exc.__class__.__name__}); upload a PNG or JPEG portrait"
        ) from None
    reduce_jpeg(img)
    check_pixels(*img.size, field=field)
    return img


def reduce_jpeg(img: Image.Image) -> None:
    """Ask a JPEG over ``MAX_PIXELS`` to decode at reduced scale (``Image.draft``; no-op otherwise)."""
    w, h = img.size
    if img.format == "JPEG" and w * h > MAX_PIXELS:
        img.draft("RGB", (DRAFT_SIDE, DRAFT_SIDE))
