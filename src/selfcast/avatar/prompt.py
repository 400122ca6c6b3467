"""Prompt -> portrait traits: the cues a user types ("long red hair, glasses, navy sweater").

Anything the prompt leaves open is drawn from the seed, so the same prompt and seed always give
the same person and different seeds give different people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

COLOURS: dict[str, tuple[int, int, int]] = {
    "black": (28, 26, 30), "white": (236, 236, 232), "grey": (128, 130, 134), "gray": (128, 130, 134),
    "silver": (190, 192, 196), "red": (178, 40, 44), "crimson": (150, 20, 40), "maroon": (110, 30, 40),
    "orange": (228, 120, 40), "yellow": (232, 200, 60), "gold": (212, 170, 60), "green": (50, 130, 70),
    "olive": (110, 115, 60), "teal": (30, 128, 128), "turquoise": (60, 190, 190), "blue": (44, 92, 180),
    "navy": (28, 40, 84), "sky": (120, 170, 225), "purple": (110, 60, 150), "violet": (140, 90, 190),
    "lavender": (180, 160, 220), "pink": (226, 140, 170), "magenta": (190, 50, 140),
    "brown": (110, 74, 50), "beige": (210, 190, 160), "tan": (190, 150, 110), "cream": (238, 228, 205),
    "burgundy": (110, 24, 44), "charcoal": (54, 56, 62), "khaki": (180, 170, 120), "mint": (160, 220, 190),
    "coral": (240, 128, 110), "denim": (80, 110, 150),
}
HAIR: dict[str, tuple[int, int, int]] = {
    "black": (26, 22, 22), "dark": (45, 32, 26), "brown": (92, 60, 38), "brunette": (80, 52, 34),
    "chestnut": (110, 62, 36), "auburn": (132, 56, 32), "red": (160, 64, 32), "ginger": (176, 84, 40),
    "copper": (170, 90, 45), "blonde": (212, 176, 112), "blond": (212, 176, 112), "golden": (210, 168, 90),
    "platinum": (228, 220, 196), "grey": (158, 156, 152), "gray": (158, 156, 152), "silver": (196, 196, 198),
    "white": (226, 224, 220), "blue": (60, 90, 190), "pink": (228, 132, 168), "purple": (120, 70, 170),
    "green": (60, 140, 90), "teal": (40, 130, 130),
}
SKIN: dict[str, tuple[int, int, int]] = {
    "pale": (246, 222, 206), "fair": (240, 212, 190), "light": (236, 204, 180),
    "medium": (214, 168, 132), "olive": (200, 160, 118), "tan": (198, 148, 110),
    "brown": (160, 108, 74), "dark": (112, 72, 50), "deep": (92, 58, 42), "ebony": (80, 50, 36),
}
EYES: dict[str, tuple[int, int, int]] = {
    "blue": (70, 120, 170), "green": (80, 130, 80), "hazel": (130, 100, 50), "brown": (92, 56, 32),
    "grey": (120, 128, 136), "gray": (120, 128, 136), "amber": (170, 110, 40), "dark": (50, 32, 22),
}
CLOTHES_WORDS = r"(shirt|t-shirt|tshirt|jacket|sweater|hoodie|suit|dress|top|blazer|coat|jumper|blouse|cardigan|polo|turtleneck|vest|uniform)"
BACKGROUNDS = {
    "office": ((200, 206, 212), (140, 150, 160)), "studio": ((90, 94, 104), (40, 42, 50)),
    "space": ((12, 14, 36), (2, 2, 8)), "sunset": ((250, 170, 110), (120, 70, 110)),
    "forest": ((120, 160, 110), (40, 70, 45)), "city": ((120, 130, 150), (50, 54, 70)),
    "beach": ((150, 200, 235), (230, 210, 170)), "library": ((150, 110, 80), (70, 45, 30)),
    "night": ((30, 36, 70), (8, 8, 20)),
}


@dataclass(slots=True)
class Traits:
    female: bool
    age: float  # years, roughly
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    hair_length: str  # bald | short | medium | long
    eyes: tuple[int, int, int]
    glasses: bool
    beard: str  # none | stubble | beard | moustache
    clothes: tuple[int, int, int]
    bg_top: tuple[int, int, int]
    bg_bottom: tuple[int, int, int]
    smile: float
    variation: np.ndarray  # small per-person shape jitter


def _find(text: str, table: dict[str, tuple[int, int, int]], before: str) -> tuple[int, int, int] | None:
    m = re.search(r"\b(" + "|".join(sorted(table, key=len, reverse=True)) + r")[- ]*(?:colou?red[- ]*)?" + before, text)
    return table[m.group(1)] if m else None


def parse_prompt(prompt: str | None, seed: int) -> Traits:
    text = (prompt or "").lower()
    rng = np.random.default_rng(seed)
    female_words = re.search(r"\b(woman|women|female|girl|lady|she|her|mother|grandmother|actress|queen)\b", text)
    male_words = re.search(r"\b(man|men|male|boy|guy|gentleman|he|his|father|grandfather|king|actor)\b", text)
    female = bool(female_words) if (female_words or male_words) else bool(rng.random() < 0.5)

    age = float(rng.uniform(26, 44))
    if re.search(r"\b(old|elderly|senior|aged|grandmother|grandfather|retired)\b", text):
        age = float(rng.uniform(66, 78))
    elif re.search(r"\bmiddle[- ]aged\b", text):
        age = float(rng.uniform(46, 58))
    elif re.search(r"\b(young|teen|teenager|student|youthful)\b", text):
        age = float(rng.uniform(18, 25))
    m = re.search(r"\b(\d{2})[- ]?(?:year|yr)s?[- ]?old\b", text)
    if m:
        age = float(m.group(1))

    skin = _find(text, SKIN, r"(?:skin|skinned|complexion|tone)")
    if skin is None:
        m = re.search(r"\b(black|african|asian|hispanic|latina|latino|indian|caucasian|white|european)\b(?![- ]*(hair|shirt|background|jacket|suit|dress|sweater|top))", text)
        eth = m.group(1) if m else None
        skin = {"black": SKIN["dark"], "african": SKIN["dark"], "asian": SKIN["light"], "hispanic": SKIN["olive"],
                "latina": SKIN["olive"], "latino": SKIN["olive"], "indian": SKIN["brown"], "caucasian": SKIN["fair"],
                "white": SKIN["fair"], "european": SKIN["fair"]}.get(eth or "")
    if skin is None:
        skin = list(SKIN.values())[int(rng.integers(0, len(SKIN)))]

    hair = _find(text, HAIR, r"(?:hair|haired|curls|bob|ponytail|locks)")
    if hair is None:
        hair = [HAIR[k] for k in ("black", "dark", "brown", "chestnut", "auburn", "blonde")][int(rng.integers(0, 6))]
    if age > 62 and not re.search(r"\bhair\b", text):
        hair = HAIR["grey"] if rng.random() < 0.6 else HAIR["silver"]

    if re.search(r"\b(bald|shaved head|shaven head)\b", text):
        length = "bald"
    elif re.search(r"\b(long|flowing|waist[- ]length)\b", text):
        length = "long"
    elif re.search(r"\b(shoulder[- ]length|medium[- ]length|bob)\b", text):
        length = "medium"
    elif re.search(r"\b(short|buzz|crew cut|pixie|cropped)\b", text):
        length = "short"
    else:
        length = ("long" if rng.random() < 0.6 else "medium") if female else ("short" if rng.random() < 0.8 else "medium")

    eyes = _find(text, EYES, r"eye") or list(EYES.values())[int(rng.integers(0, len(EYES)))]
    glasses = bool(re.search(r"\b(glasses|spectacles|specs|eyeglasses)\b", text))
    beard = "none"
    if not female:
        if re.search(r"\b(beard|bearded)\b", text):
            beard = "beard"
        elif re.search(r"\bstubble\b", text):
            beard = "stubble"
        elif re.search(r"\b(moustache|mustache)\b", text):
            beard = "moustache"
        elif re.search(r"\b(clean[- ]shaven|no beard)\b", text):
            beard = "none"

    clothes = _find(text, COLOURS, CLOTHES_WORDS)
    if clothes is None:
        clothes = [COLOURS[k] for k in ("navy", "charcoal", "burgundy", "teal", "denim", "olive", "black", "cream")][int(rng.integers(0, 8))]

    bg = None
    for word, pair in BACKGROUNDS.items():
        if re.search(rf"\b{word}\b", text):
            bg = pair
            break
    if bg is None:
        col = _find(text, COLOURS, r"(?:background|backdrop|wall)")
        if col is not None:
            c = np.array(col, float)
            bg = (tuple(int(v) for v in np.clip(c * 1.15 + 20, 0, 255)), tuple(int(v) for v in c * 0.55))
    if bg is None:
        bg = list(BACKGROUNDS.values())[int(rng.choice([0, 1, 5, 6, 2 if rng.random() < 0.1 else 0]))]
    smile = 0.0 if re.search(r"\b(serious|stern|neutral)\b", text) else (0.6 if re.search(r"\b(smil|happy|cheerful|friendly)", text) else 0.3)
    return Traits(female, age, skin, hair, length, eyes, glasses, beard, clothes, bg[0], bg[1], smile,
                  rng.uniform(-1, 1, 8))
