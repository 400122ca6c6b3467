"""Written text → what a person would say aloud. The one place text becomes speech.

Replies are written from workspace cards full of file names, paths, versions, hashes and code
identifiers; read raw, the voice spells them ("R-E-A-D-M-E-M-D"). A colleague would say "the
readme", "the test runner timeout", "version two point one", "a link to github", "a commit".
``speakable`` rewrites text that way, in a fixed order: markdown and code blocks out, links and
emails, hashes, file names and paths, ticket ids, money, dates and times, versions, percentages,
code identifiers, numbers, symbols. Numbers are worded by ``num2words``; identifiers by the rules
here. Acronyms stay as written (API, SQL): espeak-ng says them the way people do, and a word
written in capitals (README, TODO) is read as the word. The output is idempotent: speaking it
again changes nothing, so every path to the voice may pass through it.
"""

from __future__ import annotations

import re
import unicodedata

from num2words import num2words

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_MONTH_ABBR = {m[:3].lower(): m for m in _MONTHS} | {"sept": "September"}
_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
             "£": ("pound", "pounds", "penny", "pence"), "¥": ("yen", "yen", "", "")}
_MAGNITUDE = {"k": "thousand", "m": "million", "mm": "million", "b": "billion", "bn": "billion",
              "t": "trillion"}
#: capitalised names and acronyms people say as a word, with the word they say
_SAID_AS = {"README": "readme", "TODO": "to-do", "TODOS": "to-dos", "FIXME": "fix-me", "CHANGELOG": "changelog",
            "LICENSE": "license", "ROADMAP": "roadmap", "NOTES": "notes", "MEMORY": "memory", "WIP": "work in progress",
            "SQL": "sequel", "JSON": "jason", "YAML": "yammel", "GUI": "gooey", "OAUTH": "oh auth", "WASM": "wazzum",
            "NASA": "nasa", "ASAP": "as soon as possible", "TOML": "tommel", "CONTRIBUTING": "contributing guide",
            "AGENTS": "agents", "MAKEFILE": "makefile", "DOCKERFILE": "dockerfile", "ETA": "E.T.A."}
#: names that splitting by case would say wrongly
_NAMES = {"SQLite": "sequel light", "PostgreSQL": "postgres", "MySQL": "my sequel", "iOS": "eye OS",
          "macOS": "mac OS", "GraphQL": "graph Q L", "NoSQL": "no sequel", "OAuth": "oh auth", "DevOps": "dev ops",
          "GitHub": "github", "GitLab": "gitlab", "YouTube": "youtube", "LinkedIn": "linkedin",
          "JavaScript": "javascript", "TypeScript": "typescript", "PyTorch": "pytorch", "NumPy": "numpy",
          "PyPI": "pie pie", "OpenAI": "open AI", "WiFi": "wifi", "Wi-Fi": "wifi"}
#: known file names, said as a person names the file
_NAMED_FILES = {"readme": "readme", "changelog": "changelog", "license": "license", "todo": "to-do list",
                "roadmap": "roadmap", "contributing": "contributing guide", "makefile": "makefile",
                "dockerfile": "dockerfile", "memory": "memory file", "notes": "notes file", "plan": "plan",
                "status": "status file", "goals": "goals file", "package": "package file", "pyproject": "pyproject file",
                "__init__": "package init", "index": "index file", "agents": "agents file"}
_KIND = {**dict.fromkeys(("md", "markdown", "txt", "rst", "adoc", "tex", "bib"), "file"),
         **dict.fromkeys(("proto", "graphql", "gql", "tf", "hcl", "lkml", "mk", "cmake", "nix", "bzl"), "file"),
         **dict.fromkeys(("py", "pyi"), "module"),
         **dict.fromkeys(("js", "mjs", "cjs", "ts", "tsx", "jsx", "go", "rs", "java", "kt", "kts", "c", "h", "cc",
                          "cpp", "hpp", "cs", "rb", "php", "swift", "scala", "lua", "vue", "svelte", "ex", "exs",
                          "hs", "ml", "zig", "dart", "r", "m", "pl", "ipynb"), "file"),
         **dict.fromkeys(("json", "yaml", "yml", "toml", "ini", "cfg", "conf", "env", "lock", "xml", "plist",
                          "properties", "gradle"), "config"),
         **dict.fromkeys(("sh", "bash", "zsh", "ps1", "bat", "fish"), "script"),
         **dict.fromkeys(("sql",), "query file"),
         **dict.fromkeys(("css", "scss", "sass", "less"), "stylesheet"),
         **dict.fromkeys(("html", "htm", "jinja", "j2", "tmpl", "hbs"), "template"),
         **dict.fromkeys(("log", "out"), "log"),
         **dict.fromkeys(("csv", "tsv", "xlsx", "xls", "parquet", "jsonl", "ndjson"), "data file"),
         **dict.fromkeys(("png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp"), "image"),
         **dict.fromkeys(("pdf", "doc", "docx", "odt", "pptx", "key"), "document"),
         **dict.fromkeys(("wav", "mp3", "ogg", "flac", "m4a"), "recording"),
         **dict.fromkeys(("mp4", "mov", "webm", "mkv"), "video"),
         **dict.fromkeys(("zip", "gz", "tgz", "tar", "whl", "bz2", "xz", "7z"), "archive"),
         **dict.fromkeys(("gguf", "onnx", "pt", "pth", "safetensors", "bin", "ckpt"), "model file")}
#: vowel-less words that are said, not spelled
_INTERJECTIONS = frozenset({"hmm", "hm", "mm", "mmm", "shh", "sh", "psst", "pst", "brr", "tsk", "nth", "pfft", "grr",
                            "zzz", "st", "nd", "rd", "th", "s", "t", "ll", "ve", "re", "d", "m"})
#: abbreviations in names, said as the word they stand for
_ABBREV = {"src": "source", "std": "standard", "cfg": "config", "pkg": "package", "cmd": "command", "msg": "message",
           "ctx": "context", "tmp": "temp", "img": "image", "btn": "button", "impl": "implementation",
           "mgr": "manager", "svc": "service", "req": "request", "res": "response", "resp": "response",
           "idx": "index", "num": "number", "cnt": "count", "str": "string", "fn": "function", "func": "function",
           "params": "parameters", "args": "arguments", "dir": "directory", "prev": "previous", "calc": "calc"}
_EXT = "|".join(sorted(_KIND, key=len, reverse=True))
_DETERMINER = re.compile(r"(?i)\b(?:the|a|an|this|that|these|those|my|our|your|his|her|their|its|each|every)\s*$")
_TLDS = "com|org|net|io|dev|ai|app|edu|gov|co|uk|de|fr|me|sh|so|xyz|cloud|tech"
_SYMBOLS = (("->", " to "), ("=>", " to "), ("→", " to "), ("&", " and "), ("+", " plus "), ("=", " equals "),
            ("@", " at "), ("~", " about "), ("%", " percent "))


def number(n: int | float, *, to: str = "cardinal") -> str:
    """Words for a number, as said aloud (``num2words`` without its written commas)."""
    return num2words(n, lang="en", to=to).replace(",", "")


def _digits(s: str) -> str:
    return " ".join("oh" if c == "0" else number(int(c)) for c in s if c.isdigit())


def _year(y: int) -> str:
    return number(y, to="year") if 1100 <= y <= 2099 else number(y)


def _decimal(s: str) -> str:
    s = s.replace(",", "")
    neg = s.startswith("-")
    whole, _, frac = s.lstrip("-+").partition(".")
    words = number(int(whole or "0")) + (" point " + " ".join(number(int(c)) for c in frac) if frac else "")
    return ("minus " if neg else "") + words


def _version_part(p: str) -> str:
    return "oh" if p == "0" else number(int(p))


def _words_of(ident: str) -> str:
    """getUserId / get_user_id / HTTPServer / test-runner → 'get user id', 'HTTP server', 'test runner'."""
    w = re.sub(r"[_\-]+", " ", ident.strip("_-"))
    w = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", w)
    w = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", " ", w)
    w = re.sub(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", w)
    parts = []
    for p in w.split():
        up = p.upper()
        if up in _SAID_AS:
            parts.append(_SAID_AS[up])
        elif p.isupper() and len(p) > 1:
            parts.append(p if len(p) <= 4 or not re.search(r"[AEIOUY]", p) else p.lower())
        elif p.lower() in _ABBREV:
            parts.append(_ABBREV[p.lower()])
        elif len(p) > 1 and not re.search(r"[aeiouy\d]", p.lower()):
            parts.append(p.upper())  # llm, ci, css: an acronym, said letter by letter as people do
        else:
            parts.append(p.lower())
    return " ".join(parts)


# ----------------------------------------------------------------------------- rules
def _markdown(t: str) -> str:
    t = re.sub(r"```.*?(?:```|$)", " ", t, flags=re.S)
    t = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", t)  # images
    t = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", t)  # links: their text
    t = re.sub(r"^\s*(?:[-*+•]|\d+[.)]|#{1,6}|>+)\s+", "", t, flags=re.M)
    t = re.sub(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*$", " ", t, flags=re.M)  # table rules
    t = re.sub(r"`+([^`]*)`+", r"\1", t)
    t = re.sub(r"(?<!\w)(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1(?!\w)", r"\2", t)
    t = re.sub(r"\[( |x|X)\]\s*", lambda m: "done: " if m.group(1) != " " else "to do: ", t)
    return t


def _url(m: re.Match) -> str:
    host = re.sub(r"^(?:[a-z]+://)?(?:[^@/]+@)?", "", m.group(0), flags=re.I).split("/")[0].split(":")[0].lower()
    labels = [x for x in host.split(".") if x and x != "www"]
    if len(labels) >= 2 and labels[-1] in ("uk", "au", "jp", "nz", "br") and labels[-2] in ("co", "com", "org"):
        labels = labels[:-1]
    name = labels[-2] if len(labels) >= 2 else (labels[0] if labels else "")
    if not name or re.fullmatch(r"[\d.]+", host):
        return " a link "
    return f" a link to {_words_of(name)} "


def _domain(m: re.Match) -> str:
    """A bare domain is said as written ("example dot com"); a path after it makes it a link."""
    if "/" in m.group(0):
        return _url(m)
    labels = [x for x in m.group(0).lower().split(".") if x != "www"]
    return " dot ".join(_words_of(x) for x in labels)


def _email(m: re.Match) -> str:
    user, domain = m.group(1), m.group(2)
    return f"{_words_of(user)} at " + " dot ".join(_words_of(x) for x in domain.split("."))


def _hash(m: re.Match) -> str:
    art, token = m.group("art"), m.group("hex")
    what = "commit" if m.group("commit") or len(token) <= 40 else "hash"
    return f"{art or 'a'} {what}"


def _file(m: re.Match, text: str) -> str:
    path, ext = m.group("path"), m.group("ext").lower()
    parts = [p for p in path.split("/") if p and p not in (".", "..", "~")]
    stem = parts[-1][: -len(ext) - 1] if parts else ""
    dirs = [d for d in parts[:-1] if d not in ("src", "lib", "app") or len(parts) <= 3][-2:]
    low = stem.lower()
    if low.startswith("test_") or low.endswith(("_test", ".test", ".spec", "_spec")) or low == "conftest":
        core = re.sub(r"^test_|(?:[._]test|[._]spec|_spec)$", "", low)
        said = f"{_words_of(core)} tests" if low != "conftest" else "test setup"
    elif low in _NAMED_FILES:
        said = _NAMED_FILES[low]
    else:
        said = f"{_words_of(stem.replace('.', ' '))} {_KIND[ext]}".strip()
    if dirs:
        said += " in " + " ".join(_words_of(d.lstrip(".")) for d in dirs)
    line = m.group("line") or m.group("anchor")
    said = (said if _DETERMINER.search(text[: m.start()]) else f"the {said}")
    return f"line {number(int(line))} of {said}" if line else said


def _folder(m: re.Match) -> str:
    parts = [p for p in m.group(0).split("/") if p and p not in (".", "..", "~")]
    return f"the {_words_of(parts[-1])} folder" if parts else "a folder"


def _money(m: re.Match) -> str:
    sym, amount, mag = m.group("sym"), m.group("amt").replace(",", ""), (m.group("mag") or "").lower()
    one, many, cent, cents = _CURRENCY[sym]
    if mag:
        return f"{_decimal(amount)} {_MAGNITUDE[mag]} {many}"
    whole, _, frac = amount.partition(".")
    w = int(whole or "0")
    out = f"{number(w)} {one if w == 1 else many}"
    c = int(frac[:2].ljust(2, "0")) if frac else 0
    if c and cent:
        out += f" and {number(c)} {cent if c == 1 else cents}"
    return out


def _clock(h: int, mins: int, ampm: str) -> str:
    if not ampm and 13 <= h <= 23:
        h, ampm = h - 12, "PM"
    if mins == 0:
        words = number(h) + ("" if ampm else " o'clock" if h <= 12 else " hundred")
    elif mins < 10:
        words = f"{number(h)} oh {number(mins)}"
    else:
        words = f"{number(h)} {number(mins)}"
    return words + (f" {ampm}" if ampm else "")


def _time(m: re.Match) -> str:
    h, mins = int(m.group("h")), int(m.group("m"))
    ampm = (m.group("ampm") or "").upper().replace(".", "")
    if h > 23 or mins > 59:
        return m.group(0)
    return _clock(h, mins, ampm)


def _iso_date(m: re.Match) -> str:
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return m.group(0)
    return f"{_MONTHS[mo - 1]} {number(d, to='ordinal')}, {_year(y)}"


def _month_day(m: re.Match) -> str:
    key = m.group("mon").lower().rstrip(".")
    month = _MONTH_ABBR.get(key[:4]) or _MONTH_ABBR[key[:3]]
    d = int(m.group("d"))
    if not 1 <= d <= 31:
        return m.group(0)
    out = f"{month} {number(d, to='ordinal')}"
    return out + (f", {_year(int(m.group('y')))}" if m.group("y") else "")


def _day_month(m: re.Match) -> str:
    key = m.group("mon").lower().rstrip(".")
    month = _MONTH_ABBR.get(key[:4]) or _MONTH_ABBR[key[:3]]
    d = int(m.group("d"))
    if not 1 <= d <= 31:
        return m.group(0)
    return f"the {number(d, to='ordinal')} of {month}" + (f", {_year(int(m.group('y')))}" if m.group("y") else "")


_FRACTION = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def _slash_numbers(m: re.Match) -> str:
    """3/15 → March fifteenth (a day past 12 tells it is a date), 1/2 → one half, 3/4 → three
    quarters, 7/12 → seven out of twelve."""
    a, b = int(m.group(1)), int(m.group(2))
    if 1 <= a <= 12 and 13 <= b <= 31:
        return f"{_MONTHS[a - 1]} {number(b, to='ordinal')}"
    if 0 < a < b <= 10:
        one, many = _FRACTION.get(b, (number(b, to="ordinal"), number(b, to="ordinal") + "s"))
        return f"{number(a)} {one if a == 1 else many}"
    return f"{number(a)} out of {number(b)}"


def _version(m: re.Match) -> str:
    return "version " + " point ".join(_version_part(p) for p in m.group("ver").split("."))


def _integer(m: re.Match) -> str:
    s = m.group(0).replace(",", "")
    if len(s) > 15:
        return "a long number"
    if len(s) > 1 and s.startswith("0"):
        return _digits(s)
    return number(int(s))


def speakable(text: str) -> str:
    """What a person would say for ``text``: no markup, no spelled names, numbers in words."""
    t = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    t = t.replace("\u2014", ", ").replace("\u2013", " to ").replace("\u2026", "...").replace("\u00a0", " ")
    t = "".join(c for c in t if unicodedata.category(c) not in ("So", "Cs", "Co"))  # emoji, pictographs
    t = _markdown(t)
    t = re.sub(r"\(\s*[+-]\s*\)", "", t)  # git's "insertions(+)"
    t = re.sub(r"(?<![\w-])(" + "|".join(map(re.escape, _NAMES)) + r")(?![\w-])", lambda m: _NAMES[m.group(1)], t)
    t = re.sub(r"\b(?:e\.g\.|eg\.)(?=\s|,)", "for example", t)
    t = re.sub(r"\bi\.e\.(?=\s|,)", "that is", t)
    t = re.sub(r"\betc\.", "et cetera.", t)
    t = re.sub(r"(?i)\b(?:https?|ftp|ssh|git)://\S+|\bwww\.\S+|\bgit@[\w.-]+:\S+", _url, t)
    t = re.sub(r"\b([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)\b", _email, t)
    t = re.sub(r"(?i)\b(?:sha(?:1|256|512)?|md5)[:=]\s*[0-9a-f]{8,}\b", "a hash", t)
    t = re.sub(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "an I.D.", t)
    t = re.sub(r"(?:\b(?P<art>the|a|this|that|one|each)\s+)?(?P<commit>\bcommit\s+)?"
               r"\b(?P<hex>(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,64})\b",
               _hash, t)
    t = re.sub(r"(?<![\w/])(?=[A-Za-z0-9+/]*[a-z])(?=[A-Za-z0-9+/]*[A-Z])(?=[A-Za-z0-9+/]*\d)[A-Za-z0-9+/]{24,}={0,2}(?![\w/])",
               "a hash", t)
    t = re.sub(rf"(?<![\w@])(?P<path>(?:~|\.{{1,2}})?/?(?:[\w.@-]+/)*[\w@-][\w.@-]*?\.(?P<ext>{_EXT}))\b(?![.\w]*\w)(?::(?P<line>\d+)(?::\d+)?|#L(?P<anchor>\d+)(?:-L\d+)?)?",
               lambda m: _file(m, m.string), t, flags=re.I)
    t = re.sub(r"(?<![\w/])(?:(?:~|\.{1,2})?/)?(?:[A-Za-z_][\w.-]*/){2,}[A-Za-z_][\w.-]*/?(?![\w/])"
               r"|(?<![\w/])(?:~|\.{1,2})?/[A-Za-z_][\w.-]*(?:/[A-Za-z_][\w.-]*)*/?(?![\w/])"
               r"|(?<![\w/])[A-Za-z_][\w.-]*/(?:[A-Za-z_][\w.-]*/)+(?![\w/])", _folder, t)
    t = re.sub(rf"(?i)\b(?:[a-z0-9-]+\.)+(?:{_TLDS})\b(?!\.\w)(?:/\S*)?", _domain, t)
    t = re.sub(r"\b127\.0\.0\.1\b", "localhost", t)
    t = re.sub(r"\b(?:\d{1,3}\.){3}\d{1,3}\b", "an IP address", t)
    t = re.sub(r"\b(localhost|an IP address):(\d{2,5})\b", r"\1 port \2", t)
    t = re.sub(r"(?<![\w-])--([a-z][\w-]*)", lambda m: f"the {_words_of(m.group(1))} option", t)
    t = re.sub(r"(?<![\w-])-([a-zA-Z])\b(?!-)", lambda m: f"dash {m.group(1)}", t)
    t = t.replace("&&", " and ").replace("||", " or ")
    t = re.sub(r"\b24/7\b", "twenty-four seven", t)
    t = re.sub(r"(?<![\w/])(\d{1,2})/(\d{1,2})(?![\w/])", _slash_numbers, t)
    t = re.sub(r"\b([A-Z][A-Z0-9]{1,9})-(\d+)\b", r"\1 \2", t)  # ticket ids: PROJ-123
    t = re.sub(r"(?:\bPR|\bpull request|\bissue|\bticket|\bbug)\s*#\s*(?=\d)", lambda m: m.group(0).split("#")[0].rstrip() + " ", t)
    t = re.sub(r"#(\d+)\b", r"number \1", t)
    t = re.sub(r"(?P<sym>[$€£¥])\s?(?P<amt>\d[\d,]*(?:\.\d+)?)(?:\s?(?P<mag>bn|mm|[kKmMbBtT])\b|\b)", _money, t)
    t = re.sub(r"\b(\d{4})-(\d{2})-(\d{2})\b", _iso_date, t)
    t = re.sub(r"\b(?P<mon>(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?|May)\s+(?P<d>\d{1,2})"
               r"(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>\d{4})\b)?", _month_day, t)
    t = re.sub(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mon>(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?|May)"
               r"(?:,?\s+(?P<y>\d{4})\b)?", _day_month, t)
    t = re.sub(r"\b(?P<h>\d{1,2}):(?P<m>\d{2})(?::\d{2})?\s*(?P<ampm>[aApP]\.?[mM]\.?)?(?=\W|$)", _time, t)
    t = re.sub(r"\b(?P<h>\d{1,2})\s*(?P<ampm>[aApP]\.?[mM]\.?)(?=\W|$)",
               lambda m: _clock(int(m.group("h")), 0, m.group("ampm").upper().replace(".", "")), t)
    t = re.sub(r"(?<![\w.])[vV](?P<ver>\d+(?:\.\d+){0,3})\b(?!\.\d)", _version, t)
    t = re.sub(r"(?i)\b(version|release|python|node|java|go|rust|ruby|php)\s+(\d+(?:\.\d+){1,3})\b",
               lambda m: f"{m.group(1)} " + " point ".join(_version_part(p) for p in m.group(2).split(".")), t)
    t = re.sub(r"(?<![\w.])(?P<ver>\d+\.\d+\.\d+(?:\.\d+)?)\b(?!\.\d)",
               lambda m: " point ".join(_version_part(p) for p in m.group("ver").split(".")), t)
    t = re.sub(r"\b(\d+(?:\.\d+)?)\s?%", lambda m: _decimal(m.group(1)) + " percent", t)
    t = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: number(int(m.group(1)), to="ordinal"), t)
    t = re.sub(r"\b(1[2-9]\d\d|20\d\d)s\b", lambda m: _year(int(m.group(1)))[:-1] + "ies"
               if _year(int(m.group(1))).endswith("y") else _year(int(m.group(1))) + "s", t)
    t = re.sub(r"(?i)\b(in|of|since|from|by|until|before|after|year|early|late|mid)\s+(1[2-9]\d\d|20\d\d)\b",
               lambda m: m.group(1) + " " + _year(int(m.group(2))), t)
    t = re.sub(r"\b(\d+)\s?(?:-|to)\s?(\d+)\s+(minutes|hours|days|weeks|months|years|people|items|tests)\b",
               lambda m: f"{m.group(1)} to {m.group(2)} {m.group(3)}", t)
    t = re.sub(r"\b(\d+(?:\.\d+)?)(k|K|M|bn|B)\b",
               lambda m: _decimal(m.group(1)) + " " + _MAGNITUDE[m.group(2).lower()], t)
    t = re.sub(r"\b(\d+(?:\.\d+)?)x\b", lambda m: _decimal(m.group(1)) + " times", t)
    t = re.sub(r"\b(\d+(?:\.\d+)?)\s?(ms|s|KB|MB|GB|TB|kb|mb|gb)\b",
               lambda m: _decimal(m.group(1)) + " " + {"ms": "milliseconds", "s": "seconds", "kb": "kilobytes",
                                                        "mb": "megabytes", "gb": "gigabytes",
                                                        "tb": "terabytes"}[m.group(2).lower()], t)
    t = re.sub(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\(\)", lambda m: _words_of(m.group(0)[:-2].replace(".", " ")), t)
    t = re.sub(r"\b[a-z][a-z0-9]*(?:\.[a-z_][a-z0-9_]*){2,}\b", lambda m: _words_of(m.group(0).replace(".", " ")), t)
    t = re.sub(r"\b\w+(?:::\w+)+\b", lambda m: _words_of(m.group(0).replace("::", " ")), t)
    t = re.sub(r"\b_*[A-Za-z][A-Za-z0-9]*(?:_+[A-Za-z0-9]+)+_*\b|\b_+[A-Za-z0-9]+_*\b", lambda m: _words_of(m.group(0)), t)
    t = re.sub(r"\b[a-z]+(?:[A-Z][a-z0-9]*)+\b|\b(?:[A-Z][a-z0-9]+){2,}\b|\b[A-Z]{2,}[a-z]{2,}[A-Za-z]*\b",
               lambda m: _words_of(m.group(0)), t)
    t = re.sub(r"\b[a-z]+(?:-[a-z0-9]+){2,}\b", lambda m: _words_of(m.group(0)), t)  # kebab-case-names
    t = re.sub(r"\b[A-Z][A-Z0-9]*[A-Z]s?\b", lambda m: _SAID_AS.get(m.group(0), _caps(m.group(0))), t)
    t = re.sub(r"(?<![\w'-])[b-df-hj-np-tv-xz]{2,5}(?![\w'-])",
               lambda m: m.group(0) if m.group(0) in _INTERJECTIONS else m.group(0).upper(), t)  # npm, ssh
    t = re.sub(r"(?<![\d.])-?\d[\d,]*\.\d+\b", lambda m: _decimal(m.group(0)), t)
    t = re.sub(r"(?<![\w-])-(\d)", r"minus \1", t)
    t = re.sub(r"\b(\d+)-(\d+)\b", r"\1 to \2", t)
    t = re.sub(r"\b\d{1,3}(?:,\d{3})+\b|\b\d+\b", _integer, t)
    t = re.sub(r"\b(\d+)(?=[A-Za-z])", lambda m: _integer(m) + " ", t)
    t = re.sub(r"(?i)\band/or\b", "and or", t)
    for sym, word in _SYMBOLS:
        t = t.replace(sym, word)
    t = re.sub(r"(?<=\w)/(?=\w)", " or ", t)
    t = re.sub(r"\s[<>]\s", lambda m: " less than " if "<" in m.group(0) else " greater than ", t)
    t = re.sub(r"[\[\]{}|\\^*_<>#`$]", " ", t)
    t = re.sub(r"\s+([,.;:!?])", r"\1", t)
    t = re.sub(r"([,;:])(?=[^\s\d])", r"\1 ", t)
    t = re.sub(r"\b(the|a|an|file|module|folder|tests)\s+\1\b", r"\1", t, flags=re.I)
    return re.sub(r"\s+", " ", t).strip()


def _caps(word: str) -> str:
    """An all-caps word: an acronym stays (espeak-ng spells it like a person), a long word written
    in capitals for emphasis (DEADLINE, URGENT) is said as the word."""
    core = word[:-1] if word.endswith("s") and word[:-1].isupper() else word
    if len(core) >= 5 and re.search(r"[AEIOUY]", core) and not re.search(r"\d", core):
        return word.lower()
    return word
