"""Secret redaction: the one function every text passes through before it reaches a reference
card, a log, a prompt, meeting notes or memory.

Three layers, applied to each *logical* line (backslash continuations joined, an open quote or
bracket followed to its close, so a value split across lines is one value):

* credential shapes found anywhere (provider keys, JWTs, private key blocks, URL passwords,
  random-looking tokens, short base64);
* a credential *name* followed by a value (``PGPASSWORD=…``, ``"api_key": "…"``, ``--token …``,
  ``-pSecret`` for mysql, ``-u user:pass``, ``<password>…</password>``): the whole value is
  masked, to the end of its quoted string or else to the end of the line, never only its first
  word; a name with no value on its line masks the next line;
* natural-language disclosure ("the password for staging is …", "token was …", "use … as the
  password", "changed the db password to …"): the rest of the line is masked.

Every value masked once is then masked wherever else it appears in the same text (a traceback
that echoes it, a second mention). ``drop=True`` removes each line that stated a credential
instead of keeping its masked remains: cards, memory and notes use it, logs do not.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections import Counter
from collections.abc import Callable

MASK = "[REDACTED]"

# ----------------------------------------------------------------------------- shapes
_KEY_BLOCK = re.compile(
    r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)", re.S)
_SHAPES: list[re.Pattern[str]] = [
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    re.compile(r"\bsk-ant-[A-Za-z0-9_-]{12,}"),
    re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}"),
    re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{8,}"),
    re.compile(r"\bwhsec_[A-Za-z0-9]{12,}"),
    re.compile(r"\bdk_[A-Za-z0-9_-]{10,}"),
    re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"),
    re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{30,})"),
    re.compile(r"\bglpat-[A-Za-z0-9_-]{16,}"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/]+"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"),
    re.compile(r"\bhf_[A-Za-z0-9]{20,}"),
    re.compile(r"\bnpm_[A-Za-z0-9]{20,}"),
    re.compile(r"\bpypi-[A-Za-z0-9_-]{20,}"),
    re.compile(r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"),
    re.compile(r"\bSK[0-9a-fA-F]{32}\b"),
    re.compile(r"\bsk_[A-Za-z0-9]{24,}"),
    re.compile(r"\b(?:Bearer|Basic|DevKey|BEARER|bearer)\s+(?=[A-Za-z._~+/-]*[0-9=])[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\b(?:bearer|token|devkey)\s+(?=[A-Za-z._~+/=-]*[0-9])[A-Za-z0-9._~+/=-]{8,}", re.I),
]
# a password inside a URL or a user:pass@host pair
_URL_PASS = re.compile(r"(?P<keep>\b[a-z][a-z0-9+.-]*://[^\s:/@\"'<>]+:)(?P<v>[^\s@/\"'<>]+)(?=@)", re.I)
_PAIR_PASS = re.compile(r"(?P<keep>(?<![\w/:])[\w.+-]+:)(?P<v>[^\s@:/\"']{3,})(?=@[\w-]+(?:\.[\w-]+)+)")
_TOKENISH = re.compile(r"(?<![\w/+=-])[A-Za-z0-9+/_=-]{16,}(?![\w/+=-])")

# ----------------------------------------------------------------------------- names
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SECRET_PARTS = _words(
    "password passwords passwd passphrase passcode passkey pass pwd pw secret secrets token apikey "
    "credential credentials creds cred auth authorization bearer cookie otp psk salt privatekey signingkey "
    "devkey secretkey accesskey sessionid sessionkey pat pin passin passout")
_NOT_GLUED = _words("tokenizer tokenizers tokenize tokenized tokenization secretary secretariat")
_GLUED = ("password", "passwd", "passphrase", "secret", "token", "apikey", "creds", "pwd")
_NOT_PASS = ("bypass", "compass", "surpass", "encompass", "trespass", "overpass", "underpass")
_SAFE_PARTS = _words(
    "url uri endpoint host ttl timeout expiry expires expiration expire len length count limit max min size "
    "type name names path dir file reset policy field header prompt label format mode provider scope scopes "
    "issuer hint style usage budget estimate strategy per n num enabled required rotation prefix kind manager "
    "store class validator regex pattern input placeholder tokenizer user username id ids env var method "
    "algorithm alg lifetime age days hours minutes seconds second rate level strength rules")
_KEY_NOT_SECRET = _words(
    "primary foreign sort cache partition idempotency public pub lookup dict row unique composite group range "
    "shard routing map object hot short keyboard music sign")


def _parts(name: str) -> list[str]:
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [p for p in re.split(r"[^A-Za-z0-9]+", name.lower()) if p]


_HINT = re.compile(r"pas|pw|secret|token|key|auth|cred|bearer|cookie|otp|psk|salt|pat|pin|session|login", re.I)


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Whether an identifier names a credential (``PGPASSWORD``, ``db_pass``, ``stripeKey``)."""
    if not _HINT.search(name):
        return False
    parts = _parts(name)
    while len(parts) > 1 and parts[-1] in ("s", "ms", "sec", "secs", "h", "m", "kb", "mb", "bytes", "chars"):
        parts.pop()  # a unit: judge the name it measures
    if not parts or (len(parts) > 1 and (parts[-1] in _SAFE_PARTS or parts[0] in ("max", "min", "num", "n"))):
        return False
    for i, p in enumerate(parts):
        if p == "pass" and i > 0 and parts[i - 1] in ("proxy", "fastcgi", "uwsgi", "scgi", "grpc", "by", "first", "second"):
            continue
        if p in _SECRET_PARTS:
            return True
        if p == "key" and i > 0 and parts[i - 1] not in _KEY_NOT_SECRET:
            return True
        if p.endswith("pass") and p not in _NOT_PASS and len(p) <= 10:
            return True
        if any(p.endswith(g) or p.startswith(g) for g in _GLUED) and p not in _NOT_GLUED:
            return True
        if len(p) > 3 and p.endswith("key") and p[:-3] in ("api", "secret", "access", "private", "signing", "dev",
                                                             "session", "auth", "master", "encryption", "license"):
            return True
    return False


_NAME = r"[A-Za-z_][\w.-]*"
_ASSIGN = re.compile(
    r"(?P<name>" + _NAME + r")(?P<close>[\"'`*\]]*)\s*(?P<sep>=>|:=|=(?!=)|:(?![:/]))[ \t]*(?P<v>.*)$")
# a name and its value as two arguments: setenv("API_KEY", "v"), headers.put('Authorization', "v")
_ARGS = re.compile(r"(?P<name>" + _NAME + r")(?P<close>[\"'`])\s*,\s*(?P<v>[\"'`].*)$")
_FLAG = re.compile(r"(?P<keep>(?<![\w-])--?(?P<name>[A-Za-z][\w-]*)(?:=|[ \t]+))(?P<v>\S.*)$")
_XML = re.compile(r"<(?P<name>[\w.-]+)>(?P<v>[^<]*)</(?P=name)>")
_SPACED = re.compile(r"(?P<keep>(?P<name>[A-Za-z_][\w-]*(?: (?:key|token|secret|password))?)[ \t]+)(?P<v>\S.*)$")
_NL_KW = (r"(?:pass(?:word|wd|code|key)s?|pass\s?phrase|pwd|pw|pin(?:\s?code)?|token|secret|creds|credentials?|"
          r"login|otp|(?:api|access|secret|private|signing|dev|ssh|master|encryption|license|stripe|aws|openai|"
          r"anthropic|github|deploy|admin|root|db|database)[ _-]?keys?)")
_NL_IS = re.compile(
    r"(?P<keep>\b" + _NL_KW + r"(?:'s)?(?:\s+(?:for|on|of|to|in|at)\s+(?:[\w.@:/-]+\s+){0,2}?[\w.@:/-]+)?"
    r"(?:\s+(?:is|was|are|were|=|equals|reads|says)(?:\s+(?:now|still|just|actually|literally|currently|simply))?"
    r"|\s+(?:changed|set|reset|rotated|updated|switched)\s+to)\s*:?)(?P<v>(?:\s+\S.*)?)$", re.I)
_NL_TO = re.compile(r"(?P<keep>\b(?:chang|set|reset|rotat|updat|switch)\w*\s+(?:\w+\s+){0,3}?" + _NL_KW
                    + r"\s+(?:to|=|:|as)\b)(?P<v>.*)$", re.I)
_NL_AS = re.compile(r"\b(?:use[sd]?|using|try|tried|enter(?:ed)?|type[sd]?|typing)\s+(?P<v>\S+)\s+(?:as|for)\s+"
                    r"(?:the\s+|my\s+|our\s+|your\s+|a\s+)?(?:[\w-]+\s+)?" + _NL_KW + r"\b", re.I)
_NL_HARMLESS = re.compile(
    r"^\s*(?:expired|invalid|wrong|incorrect|missing|required|rotated|revoked|empty|valid|correct|broken|"
    r"deprecated|optional|case-sensitive|too|not\s+(?:set|required|needed|valid|working)|to\s+(?:be|keep|ship|"
    r"use|make|do|start)|in\s+(?:the|1password|vault|keychain|bitwarden)|stored|kept|managed|handled|needed|"
    r"rotated|generated|a\s+secret|being|different|fine|ok|okay)\b", re.I)
_MYSQL_LIKE = re.compile(r"\b(?:mysql\w*|mariadb\w*|mongo\w*|sshpass|mysqldump|mysqladmin|(?:docker|podman|helm\s+registry|"
                         r"oras|skopeo)\s+login)\b")
_SHORT_P = re.compile(r"(?P<keep>(?<!\S)-p)(?P<v>(?:[ \t]+(?!-)\S+|[^\s-]\S*).*)$")
_REDIS_A = re.compile(r"(?P<keep>\bredis-cli\b.*?(?<!\S)-a[ \t]+)(?P<v>\S.*)$")
_USER_PASS = re.compile(r"(?P<keep>(?<!\S)(?:-u|-a|--user|--auth|--proxy-user|-U)[ \t=]*[\"']?[^\s:\"']+:)(?P<v>\S.*)$")
_GLUED_VALUE = re.compile(r"(?P<keep>(?:password|passwd|secret|token|api[_-]?key|pwd|creds?)[_-])"
                          r"(?P<v>(?=[^\s_.]*[a-z])(?=[^\s_.]*[A-Z])(?=[^\s_.]*[0-9])[^\s_.\"'/]{6,})", re.I)
_OPENSSL_PASS = re.compile(r"(?P<keep>(?<![\w-])pass:)(?P<v>\S+)")
_ECHO_PIPE = re.compile(r"\becho\s+(?P<v>\S+)\s*\|\s*(?:sudo\s+-S|\w*passwd|chpasswd|.*--password-stdin|.*login\b)")
_HARMLESS_VALUE = re.compile(
    r"^(?:str|bytes|int|bool|Optional\[str\]|None|null|nil|true|false|\$\{?\w+\}?|<[^<>]*>|\.\.\.|…|\*+|x{3,}|"
    r"os\.environ\S*|os\.getenv\([^)]*\)|process\.env\.\w+|settings\.[\w.]+|env\([^)]*\)|\"\"|''|\[REDACTED\]|"
    r"[A-Za-z_][\w.]*\([^\"'`]*\))"  # a call with no literal in it: the value comes from elsewhere
    r"[\s,;.)\]}`*\"']*$", re.I)


_REFERENCE = re.compile(r"\$\{?\w+\}?[,;)\]}]*|<[^<>\s]+>[,;)\]}]*")  # $VAR, <your-key>: where the value would go


def _entropy(s: str) -> float:
    counts = Counter(s)
    return -sum(c / len(s) * math.log2(c / len(s)) for c in counts.values())


def _looks_random(tok: str) -> bool:
    """Machine-made credentials (base64, random lowercase-and-digit keys), not words, paths,
    identifiers, versions or hex hashes (commit ids stay readable)."""
    core = tok.strip("=")
    if "/" in core:  # a path is judged by its parts; a base64 secret has a random-looking one
        return any(_looks_random(seg) for seg in core.split("/") if "/" not in seg and len(seg) >= 16)
    if re.fullmatch(r"[0-9a-fA-F-]+", core) or re.fullmatch(r"[0-9._-]+", core):
        return False
    longest_alpha = max((len(r) for r in re.findall(r"[a-z]+|[A-Z]+", core)), default=0)
    lower, upper, digit = (bool(re.search(p, core)) for p in ("[a-z]", "[A-Z]", "[0-9]"))
    digits = sum(c.isdigit() for c in core)
    if lower and upper and (digit or tok.endswith("=") or "+" in core) and len(core) >= 16:
        return longest_alpha <= 5 and _entropy(core) >= 3.5
    if (lower or upper) and digit and len(core) >= 20 and digits >= 4:
        return longest_alpha <= 6 and _entropy(core) >= 3.6
    return False


# ----------------------------------------------------------------------------- values
def _value_end(rest: str) -> tuple[str, str, bool]:
    """(value, what follows it, open): a quoted value ends at its closing quote, anything else
    at the end of the line; ``open`` when a quote or bracket is still open at the line's end."""
    s = rest.lstrip()
    if s[:3] in ('"""', "'''"):
        end = s.find(s[:3], 3)
        return (s, "", True) if end < 0 else (s[: end + 3], s[end + 3:], False)
    if s and s[0] in "\"'`":
        end = s.find(s[0], 1)
        return (s, "", True) if end < 0 else (s[: end + 1], s[end + 1:], False)
    depth = sum(s.count(c) for c in "([{") - sum(s.count(c) for c in ")]}")
    return s, "", depth > 0


class _Line:
    """One logical line being redacted: found values, and whether it stated a credential."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.values: list[str] = []
        self.stated = False
        self.carry = False  # the value continues on the next line(s)
        self.needs_next = False  # a name with no value: the next line is the value

    def mask(self, keep: str, value: str, tail: str = "", *, check: bool = True) -> str:
        v = value.strip()
        if v.startswith(MASK):
            return keep + value + tail
        if not v or v in ("|", ">", "|-", ">-", "|+", ">+"):  # nothing here, or a YAML block: the next line is it
            self.needs_next = True
            self.stated = True
            return keep
        if check and (_HARMLESS_VALUE.match(v) or _REFERENCE.fullmatch(v.split()[0])):
            return keep + value + tail
        self.stated = True
        lead = " " if value[:1].isspace() and keep[-1:] not in (" ", "\t") else ""
        self.values.append(v.strip("\"'`"))
        # its telling words too, so an echo of the value elsewhere (a traceback) is masked
        self.values += [w.strip("\"'`,;.()") for w in v.split()[:3] if re.search(r"[0-9!@#$%^&*+=_~]", w)]
        return keep + lead + MASK + tail


def _redact_line(raw: str) -> _Line:
    ln = _Line(raw)
    t = raw
    ln.stated = MASK in raw  # shapes were masked across the whole text already
    if "@" in t:
        for pat in (_URL_PASS, _PAIR_PASS):
            t = pat.sub(lambda m: ln.mask(m.group("keep"), m.group("v"), check=False), t)

    hinted = bool(_HINT.search(t))

    def assign(m: re.Match[str]) -> str:
        if not is_secret_name(m.group("name")):
            return m.group(0)
        value, tail, still_open = _value_end(m.group("v"))
        ln.carry |= still_open
        pre = m.group(0)[: m.start("v") - m.start(0)]
        return ln.mask(pre, value, tail)

    if hinted:
        t = _sub_first(_ASSIGN, t, assign)
        t = _sub_first(_ARGS, t, assign)
        t = _XML.sub(lambda m: ln.mask(f"<{m.group('name')}>", m.group("v"), f"</{m.group('name')}>")
                     if is_secret_name(m.group("name")) else m.group(0), t)

    def flag(m: re.Match[str]) -> str:
        if not is_secret_name(m.group("name")) or m.group("v").startswith("-"):
            return m.group(0)
        value, tail, still_open = _value_end(m.group("v"))
        ln.carry |= still_open
        return ln.mask(m.group("keep"), value, tail)

    if hinted:
        t = _sub_first(_FLAG, t, flag, _FLAG_START)
    if _MYSQL_LIKE.search(t):
        t = _SHORT_P.sub(lambda m: ln.mask(m.group("keep"), m.group("v"), check=False), t)
    if "redis-cli" in t:
        t = _REDIS_A.sub(lambda m: ln.mask(m.group("keep"), m.group("v"), check=False), t)
    if " -" in t:
        t = _USER_PASS.sub(lambda m: m.group(0) if re.fullmatch(r"\d+", m.group("v").split()[0])
                           else ln.mask(m.group("keep"), m.group("v"), check=False), t)
    if "pass:" in t:
        t = _OPENSSL_PASS.sub(lambda m: ln.mask(m.group("keep"), m.group("v"), check=False), t)
    if hinted:
        t = _GLUED_VALUE.sub(lambda m: ln.mask(m.group("keep"), m.group("v"), check=False), t)  # password_Xy9-2.txt
    if "echo" in t:
        t = _ECHO_PIPE.sub(lambda m: m.group(0).replace(m.group("v"), ln.mask("", m.group("v"), check=False), 1), t)

    def nl(m: re.Match[str]) -> str:
        v = m.group("v")
        if v.strip() and _NL_HARMLESS.match(v):
            return m.group(0)
        return ln.mask(m.group("keep"), v, check=False) if v.strip() else ln.mask(m.group("keep"), "")

    if hinted:
        t = _NL_IS.sub(nl, t)
        t = _NL_TO.sub(lambda m: ln.mask(m.group("keep"), m.group("v"), check=False), t)
        t = _NL_AS.sub(lambda m: m.group(0).replace(m.group("v"), ln.mask("", m.group("v"), check=False), 1), t)

    def spaced(m: re.Match[str]) -> str:
        v = m.group("v").split()[0]
        if not is_secret_name(m.group("name")) or _parts(m.group("name")) in (["pass"], ["auth"], ["cookie"], ["pin"], ["salt"]) \
                or MASK in v or not re.search(r"[0-9!@#$%^&*+=_~-]", v) or re.fullmatch(r"v?\d+(?:\.\d+)+", v) or len(v) < 4:
            return m.group(0)
        return ln.mask(m.group("keep"), m.group("v"), check=False)

    if hinted:
        t = _sub_first(_SPACED, t, spaced)

    ln.text = t
    return ln


_NAME_START = re.compile(r"(?<![\w.-])" + _NAME)


_FLAG_START = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")


def _sub_first(pat: re.Pattern[str], text: str, fn: Callable[[re.Match[str]], str],
               starts: re.Pattern[str] = _NAME_START) -> str:
    """Try ``pat`` at each ``starts`` position from the left and apply ``fn`` to the first match
    it changes (a value runs to the line's end, so later ones on the line are inside it)."""
    for start in starts.finditer(text):
        if not _HINT.search(text, start.start(), start.end() + 9):  # no credential word here
            continue
        m = pat.match(text, start.start())
        if m is not None:
            new = fn(m)
            if new != m.group(0):
                return text[: m.start()] + new
    return text


def _logical_lines(text: str) -> list[str]:
    """Physical lines joined where a backslash continues them."""
    out: list[str] = []
    buf = ""
    for line in text.split("\n"):
        if line.endswith("\\"):
            buf += line + "\n"
            continue
        out.append(buf + line)
        buf = ""
    if buf:
        out.append(buf)
    return out


def _closes(line: str) -> bool:
    return bool(re.search(r"[\"'`)\]}]\s*[,;]?\s*$", line)) or line.strip() in ('"""', "'''")


def redact(text: str, *, drop: bool = False) -> str:
    """``text`` with every credential masked as ``[REDACTED]``; with ``drop``, each line that
    stated a credential is removed whole instead."""
    if not text:
        return text
    text = _KEY_BLOCK.sub(MASK, text)  # a block spans lines: masked before the text is split
    for pat in _SHAPES:  # shapes never span lines: once over the whole text is the same, and fast
        text = pat.sub(MASK, text)
    text = _TOKENISH.sub(lambda m: MASK if _looks_random(m.group(0)) else m.group(0), text)
    out: list[str] = []
    values: set[str] = set()
    carry = next_line = False
    carried = 0
    for raw in _logical_lines(text):
        if carry:  # inside a value that opened on an earlier line (at most 50 lines of it)
            carried += 1
            carry = not _closes(raw) and carried < 50
            if not drop:
                out.append(MASK)
            continue
        if next_line and raw.strip():  # the line after "the password is:"
            next_line = False
            values.add(raw.strip())
            if not drop:
                out.append(MASK)
            continue
        ln = _redact_line(raw.replace("\\\n", " "))  # a continued line is one line
        if not ln.stated:
            ln.text = raw
        values.update(v for v in ln.values if len(v) >= 6 and re.search(r"[^A-Za-z ]", v))
        carry, next_line, carried = ln.carry, ln.needs_next and not ln.carry, 0
        if drop and ln.stated:
            continue
        out.append(ln.text)
    result = "\n".join(out)
    for v in sorted(values, key=len, reverse=True):  # a value masked once is masked everywhere
        if v and v != MASK and MASK not in v and v in result:
            if drop:
                result = "\n".join(x for x in result.split("\n") if v not in x)
            else:
                result = result.replace(v, MASK)
    return result


def is_secret_file(name: str) -> bool:
    """Files whose whole content is credentials: never opened."""
    n = name.rsplit("/", 1)[-1].lower()
    if n.endswith(".pub"):
        return False
    return (n == ".env" or n.startswith(".env.") or n.endswith((".env", ".envrc", ".pem", ".key", ".p12", ".pfx",
                                                                ".keystore", ".jks", ".kdbx", ".ppk", ".tfstate",
                                                                ".tfvars", ".asc", ".gpg"))
            or n.startswith(("id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "secrets.", "credentials", "service-account"))
            or n in {".netrc", "_netrc", ".pgpass", ".npmrc", ".pypirc", "devkey", ".git-credentials", ".my.cnf",
                     ".htpasswd", ".dockercfg", ".s3cfg", ".boto", "kubeconfig", "token.json", "auth.json",
                     ".vault-token", "htpasswd", "shadow"}
            or (is_secret_name(n.split(".")[0]) and n.split(".")[-1] in ("txt", "json", "yaml", "yml", "ini", "cfg", "conf", "")))


class RedactingFilter(logging.Filter):
    """Scrubs a record's message, arguments and traceback (attach with :func:`redacted_logger`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())  # format first: a secret may span message and argument
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def redacted_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` with one :class:`RedactingFilter` on it, for code whose log
    lines carry workspace, meeting or memory text."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    return logger


def redact_lines(lines: list[str], *, drop: bool = False) -> list[str]:
    """Each of ``lines`` redacted as one text, so a credential named on one line and given on
    the next (a speaker's "the password is" then the value) is caught; one result per line,
    ``""`` for a line that stated a credential when ``drop``."""
    flat = [" ".join(x.split()) for x in lines]
    out = redact("\n".join(flat)).split("\n")
    if len(out) != len(flat):  # a trailing backslash joined two lines: judge each on its own
        out = [redact(x) for x in flat]
    return ["" if drop and MASK in o else o for o in out]
