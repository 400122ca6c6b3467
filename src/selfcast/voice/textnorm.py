"""Spoken forms for what meetings say: numbers, money, dates, times, versions, acronyms, code, URLs.

espeak-ng reads raw text poorly in exactly the places meetings live ("v2.3" becomes "v two
point three" at best, "get_user_id" becomes one mangled word, "$1.5M" is lost), so text is
rewritten into plain words before phonemisation. Rules run in a fixed order: URLs and emails,
money, dates and times, versions, percentages and ordinals, code identifiers, acronyms, numbers.
"""

from __future__ import annotations

import re

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
         "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [(10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand")]
_ORD_IRREGULAR = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                  "nine": "ninth", "twelve": "twelfth"}
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_MONTH_ABBR = {m[:3].lower(): m for m in _MONTHS} | {"sept": "September"}
_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
             "£": ("pound", "pounds", "penny", "pence"), "¥": ("yen", "yen", "", "")}
_MAGNITUDE = {"k": "thousand", "m": "million", "mm": "million", "b": "billion", "bn": "billion",
              "t": "trillion"}
#: acronyms said as words, not letters
_WORD_ACRONYMS = {"NASA", "SCUBA", "LASER", "RADAR", "JSON", "YAML", "GIF", "JPEG", "PNG", "WAV",
                  "AJAX", "REST", "CRUD", "OKR", "OKRS", "NATO", "UNICEF", "ASAP", "FAQ", "SAAS", "PAAS",
                  "CORS", "OAUTH", "GIT", "TOML", "WASM", "LAN", "WAN", "RAM", "ROM", "SIM", "POSIX"}
_SPOKEN_ACRONYMS = {"SQL": "sequel", "GUI": "gooey", "SAAS": "sass", "OAUTH": "oh auth", "FAQ": "F A Q",
                    "JSON": "jason", "YAML": "yammel", "ASAP": "A S A P", "WASM": "wazzum"}
_SYMBOLS = {"&": " and ", "+": " plus ", "=": " equals ", "@": " at ", "#": " number ", "%": " percent ",
            "~": " about ", "→": " to ", "->": " to ", "=>": " to ", "/": " slash ", "<": " less than ",
            ">": " greater than "}


def number_words(n: int) -> str:
    """Cardinal words for a non-negative or negative integer."""
    if n < 0:
        return "minus " + number_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    for value, name in _SCALES:
        if n >= value:
            head, rest = divmod(n, value)
            return number_words(head) + " " + name + ("" if rest == 0 else " " + number_words(rest))
    raise AssertionError("unreachable")


def ordinal_words(n: int) -> str:
    words = number_words(n)
    head, _, last = words.rpartition(" ")
    hy_head, hy, last_part = last.rpartition("-")
    if last_part in _ORD_IRREGULAR:
        last_part = _ORD_IRREGULAR[last_part]
    elif last_part.endswith("y"):
        last_part = last_part[:-1] + "ieth"
    else:
        last_part += "th"
    last = hy_head + hy + last_part
    return (head + " " + last) if head else last


def digits_words(s: str) -> str:
    return " ".join(_ONES[int(c)] for c in s if c.isdigit())


def year_words(y: int) -> str:
    if 2000 <= y <= 2009:
        return number_words(y)
    if 1000 <= y <= 2099 and y % 100 != 0:
        return number_words(y // 100) + " " + (("oh " + _ONES[y % 100]) if y % 100 < 10 else number_words(y % 100))
    if 1000 <= y <= 2099:
        return number_words(y // 100) + " hundred"
    return number_words(y)


def decimal_words(s: str) -> str:
    """'3.14' -> 'three point one four'; '1,234.5' -> 'one thousand two hundred thirty-four point five'."""
    s = s.replace(",", "")
    neg = s.startswith("-")
    s = s.lstrip("-+")
    whole, _, frac = s.partition(".")
    words = number_words(int(whole or "0"))
    if frac:
        words += " point " + digits_words(frac)
    return ("minus " if neg else "") + words


def _money(m: re.Match) -> str:
    sym, amount, mag = m.group("sym"), m.group("amt").replace(",", ""), (m.group("mag") or "").lower()
    one, many, cent, cents = _CURRENCY[sym]
    if mag:
        return f"{decimal_words(amount)} {_MAGNITUDE[mag]} {many}"
    whole, _, frac = amount.partition(".")
    w = int(whole or "0")
    out = f"{number_words(w)} {one if w == 1 else many}"
    if frac and cent and int(frac[:2].ljust(2, "0")):
        c = int(frac[:2].ljust(2, "0"))
        out += f" and {number_words(c)} {cent if c == 1 else cents}"
    return out


def _time(m: re.Match) -> str:
    h, mins, ampm = int(m.group("h")), int(m.group("m")), (m.group("ampm") or "").lower().replace(".", "")
    if h > 24 or mins > 59:
        return m.group(0)
    if mins == 0:
        words = number_words(h) + ("" if ampm else " o'clock" if h <= 12 else " hundred")
    elif mins < 10:
        words = f"{number_words(h)} oh {number_words(mins)}"
    else:
        words = f"{number_words(h)} {number_words(mins)}"
    if ampm:
        words += " " + " ".join(ampm.upper())
    return words


def _iso_date(m: re.Match) -> str:
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return m.group(0)
    return f"{_MONTHS[mo - 1]} {ordinal_words(d)}, {year_words(y)}"


def _month_day(m: re.Match) -> str:
    month = _MONTH_ABBR[m.group("mon")[:4].lower().rstrip(".")] if m.group("mon")[:4].lower().rstrip(".") in _MONTH_ABBR \
        else _MONTH_ABBR[m.group("mon")[:3].lower()]
    out = f"{month} {ordinal_words(int(m.group('d')))}"
    if m.group("y"):
        out += f", {year_words(int(m.group('y')))}"
    return out


def _version(m: re.Match) -> str:
    parts = m.group("ver").split(".")
    return "version " + " point ".join(number_words(int(p)) for p in parts)


def _url(m: re.Match) -> str:
    url = m.group(0).rstrip(".,;:!?)")
    tail = m.group(0)[len(url):]
    url = re.sub(r"^https?://", "", url)
    url = re.sub(r"^www\.", "", url).rstrip("/")
    spoken = (url.replace(".", " dot ").replace("/", " slash ").replace("-", " dash ")
              .replace("_", " underscore ").replace("@", " at ").replace("?", " question mark ")
              .replace("=", " equals ").replace("&", " and "))
    spoken = re.sub(r"\b(com|org|net|io|dev|ai)\b", lambda x: {"io": "I O", "ai": "A I"}.get(x.group(1), x.group(1)),
                    spoken)
    return spoken + tail


def _split_identifier(word: str) -> str:
    """getUserId / get_user_id / HTTPServer -> 'get user id', 'HTTP server'."""
    word = word.replace("_", " ").replace("::", " ")
    word = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", word)
    word = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", " ", word)
    word = re.sub(r"\.(?=[A-Za-z])", " dot ", word)
    return word.replace("()", "").strip()


def _acronym(m: re.Match) -> str:
    word = m.group(0)
    plural = word.endswith("s") and word[:-1].isupper()
    core = word[:-1] if plural else word
    if core in _SPOKEN_ACRONYMS:
        spoken = _SPOKEN_ACRONYMS[core]
    elif core in _WORD_ACRONYMS:
        spoken = core.capitalize()
    else:
        spoken = " ".join(core)
    return spoken + ("s" if plural else "")


def normalize_text(text: str) -> str:
    """Rewrites written meeting talk into words espeak-ng reads the way a person would say them."""
    t = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    t = t.replace("\u2014", ", ").replace("\u2013", " to ").replace("\u2026", "...")
    t = re.sub(r"`([^`]*)`", r"\1", t)  # inline code ticks
    t = re.sub(r"\*\*|__|(?<!\w)\*(?!\s)|(?<!\s)\*(?!\w)", "", t)  # markdown emphasis
    t = re.sub(r"(?i)\b(?:https?://|www\.)\S+|\b[\w.-]+\.(?:com|org|net|io|dev|ai|edu|gov)(?:/\S*)?\b", _url, t)
    t = re.sub(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", lambda m: _url(m), t)
    t = re.sub(r"(?P<sym>[$€£¥])\s?(?P<amt>\d[\d,]*(?:\.\d+)?)\s?(?P<mag>bn|mm|[kKmMbBtT])?\b", _money, t)
    t = re.sub(r"\b(\d{4})-(\d{2})-(\d{2})\b", _iso_date, t)
    t = re.sub(r"\b(?P<mon>(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?|May)\s+(?P<d>\d{1,2})"
               r"(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{4}))?\b", _month_day, t)
    t = re.sub(r"\b(?P<h>\d{1,2}):(?P<m>\d{2})\s*(?P<ampm>[aApP]\.?[mM]\.?)?(?=\W|$)", _time, t)
    t = re.sub(r"\b(?P<h>\d{1,2})\s*(?P<ampm>[aApP]\.?[mM]\.?)(?=\W|$)",
               lambda m: number_words(int(m.group("h"))) + " " + " ".join(m.group("ampm").upper().replace(".", "")), t)
    t = re.sub(r"(?<![\w.])[vV](?P<ver>\d+(?:\.\d+){0,3})\b", _version, t)
    t = re.sub(r"\b(?i:version)\s+(\d+(?:\.\d+){1,3})\b",
               lambda m: "version " + " point ".join(number_words(int(p)) for p in m.group(1).split(".")), t)
    t = re.sub(r"\b(\d+(?:\.\d+)?)\s?%", lambda m: decimal_words(m.group(1)) + " percent", t)
    t = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: ordinal_words(int(m.group(1))), t)
    t = re.sub(r"\b(1[5-9]\d\d|20\d\d)s\b", lambda m: year_words(int(m.group(1))) + "s", t)
    t = re.sub(r"\b(in|of|since|from|by|until|before|after)\s+(1[5-9]\d\d|20\d\d)\b",
               lambda m: m.group(1) + " " + year_words(int(m.group(2))), t)
    t = re.sub(r"\b\w+(?:\(\))", lambda m: _split_identifier(m.group(0)), t)
    t = re.sub(r"\b[A-Za-z]+(?:_[A-Za-z0-9]+)+\b|\b[a-z]+(?:[A-Z][a-z0-9]*)+\b|\b\w+(?:::\w+)+\b",
               lambda m: _split_identifier(m.group(0)), t)
    t = re.sub(r"\b[a-z_]+\.[a-z_]+\.[a-z_]+\b", lambda m: _split_identifier(m.group(0)), t)
    t = re.sub(r"\b[A-Z]{2,6}s?\b", _acronym, t)
    t = re.sub(r"(?<![\d.])-?\d[\d,]*\.\d+\b", lambda m: decimal_words(m.group(0)), t)
    t = re.sub(r"\b\d{1,3}(?:,\d{3})+\b|\b\d+\b", lambda m: number_words(int(m.group(0).replace(",", "")))
               if len(m.group(0).replace(",", "")) <= 15 else digits_words(m.group(0)), t)
    for sym, word in sorted(_SYMBOLS.items(), key=lambda kv: -len(kv[0])):
        t = t.replace(sym, word) if sym not in "/<>" else re.sub(rf"\s{re.escape(sym)}\s|(?<=\w){re.escape(sym)}(?=\w)", word, t)
    t = re.sub(r"[\[\]{}|\\^*_]", " ", t)
    return re.sub(r"\s+", " ", t).strip()
