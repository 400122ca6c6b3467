"""Request values checked once, before any work: each wrong value is a ``BadInput`` (400) naming
the field and what is allowed — never a 500 from ``int()`` or ``.lower()`` on the wrong type.

JSON bodies reach the Pika/OpenAI/MiniMax-shaped routes as plain dicts, so a value may be any
JSON type (or NaN/Infinity, which Python's JSON reader accepts): every parser here takes ``object``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from selfcast.avatar.generator import STYLES
from selfcast.errors import BadInput

STYLE_ALIASES = {"photo": "cinematic", "realistic": "cinematic"}  # the engine's STYLES, by other names
OUTPUT_FORMATS = ("png", "jpeg", "webp")
FORMAT_ALIASES = {"jpg": "jpeg"}
SIZE_MIN, SIZE_MAX = 64, 4096
SAMPLE_RATE_MIN, SAMPLE_RATE_MAX = 8000, 48000
_SIZE = re.compile(r"^\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*$")
_INT = re.compile(r"^\s*\d{1,9}\s*$")


@dataclass(frozen=True, slots=True)
class ImageParams:
    """How a generated avatar is returned: engine style, ``(w, h)`` or None for as made, format."""

    style: str
    size: tuple[int, int] | None
    output_format: str


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_style(value: object) -> str:
    allowed = f"use one of {', '.join(STYLES)} (or {', '.join(STYLE_ALIASES)})"
    if value is None or value == "":
        return "cinematic"
    if not isinstance(value, str):
        raise BadInput(f"style must be a string; {allowed}")
    style = value.strip().lower()
    style = STYLE_ALIASES.get(style, style)
    if style not in STYLES:
        raise BadInput(f"style {_shown(value)} is unknown; {allowed}")
    return style


def parse_size(value: object) -> tuple[int, int] | None:
    allowed = f'use "WIDTHxHEIGHT" with each side {SIZE_MIN}–{SIZE_MAX} (e.g. "1024x1024"), or "auto"'
    if value is None or value == "" or value == "auto":
        return None
    if not isinstance(value, str):
        raise BadInput(f"size must be a string; {allowed}")
    m = _SIZE.match(value)
    if not m:
        raise BadInput(f"size {_shown(value)} is not WIDTHxHEIGHT; {allowed}")
    w, h = int(m.group(1)), int(m.group(2))
    if not (SIZE_MIN <= w <= SIZE_MAX and SIZE_MIN <= h <= SIZE_MAX):
        raise BadInput(f"size {w}x{h} is out of range; {allowed}")
    return w, h


def parse_output_format(value: object) -> str:
    allowed = f"use one of {', '.join(OUTPUT_FORMATS)}"
    if value is None or value == "":
        return "png"
    if not isinstance(value, str):
        raise BadInput(f"output_format must be a string; {allowed}")
    fmt = value.strip().lower()
    fmt = FORMAT_ALIASES.get(fmt, fmt)
    if fmt not in OUTPUT_FORMATS:
        raise BadInput(f"output_format {_shown(value)} is not supported; {allowed}")
    return fmt


def parse_image_params(style: object, size: object, output_format: object) -> ImageParams:
    return ImageParams(parse_style(style), parse_size(size), parse_output_format(output_format))


def parse_sample_rate(value: object) -> int | None:
    """A whole number of Hz in range, from a JSON number, a numeric string or None (the engine's choice)."""
    allowed = f"use a whole number of Hz from {SAMPLE_RATE_MIN} to {SAMPLE_RATE_MAX} (e.g. 16000, 24000, 44100)"
    if value is None or value == "" or value == 0:
        return None
    if isinstance(value, bool):
        raise BadInput(f"sample_rate must be a number, not {_shown(value)}; {allowed}")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise BadInput(f"sample_rate {_shown(value)} is not a whole number; {allowed}")
        value = int(value)
    elif isinstance(value, str):
        if not _INT.match(value):
            raise BadInput(f"sample_rate {_shown(value)} is not a whole number; {allowed}")
        value = int(value)
    if not isinstance(value, int):
        raise BadInput(f"sample_rate must be a number, not {type(value).__name__}; {allowed}")
    if not (SAMPLE_RATE_MIN <= value <= SAMPLE_RATE_MAX):
        raise BadInput(f"sample_rate {value} is out of range; {allowed}")
    return value
