"""Text reaches the voice the way a person would say it: names, paths, versions, hashes, numbers."""

from __future__ import annotations

import random
import re
import shutil
import subprocess

import pytest

from selfcast.brain.base import spoken
from selfcast.speakable import number, speakable

# what a reply written from a workspace card says -> what the voice should say
TABLE = [
    ('Recently edited README.md and notes.md', 'Recently edited the readme and the notes file'),
    ('I updated the README.md yesterday', 'I updated the readme yesterday'),
    ('Fix the test_runner_timeout flag', 'Fix the test runner timeout flag'),
    ('Renamed camelCaseName to snake_case_name', 'Renamed camel case name to snake case name'),
    ('Ship v2.1 today', 'Ship version two point one today'),
    ('We tagged 2.1.0 last night', 'We tagged two point one point oh last night'),
    ('Bumped to version 3.11.4', 'Bumped to version three point eleven point four'),
    ('Edited src/app/main.py', 'Edited the main module in source app'),
    ('Look at tests/test_auth.py', 'Look at the auth tests in tests'),
    ('The bug is in web/components/LoginForm.tsx', 'The bug is in the login form file in web components'),
    ('Changed config/settings.yaml and .github/workflows/ci.yml', 'Changed the settings config in config and the ci config in github workflows'),
    ('See https://github.com/ada/rain-gauge/pull/12', 'See a link to github'),
    ('Docs at https://docs.python.org/3/library/re.html', 'Docs at a link to python'),
    ('Fixed in commit a1b2c3d', 'Fixed in a commit'),
    ('Reverted 3f9e2c1b7a6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f yesterday', 'Reverted a commit yesterday'),
    ('The checksum is sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'The checksum is a hash'),
    ('Working on PROJ-123 today', 'Working on PROJ one hundred and twenty-three today'),
    ('Closed JIRA-4521 and PR #45', 'Closed JIRA four thousand five hundred and twenty-one and PR forty-five'),
    ('Issue #7 is open', 'Issue number seven is open'),
    ('It costs $4.50', 'It costs four dollars and fifty cents'),
    ('We raised $2.5M', 'We raised two point five million dollars'),
    ('Revenue is up 30%', 'Revenue is up thirty percent'),
    ('Budget is €1,200', 'Budget is one thousand two hundred euros'),
    ('Due 2026-03-15', 'Due March fifteenth, twenty twenty-six'),
    ('Ship by March 15', 'Ship by March fifteenth'),
    ('Demo on Mar 3rd', 'Demo on March third'),
    ('Meet on 15 March', 'Meet on the fifteenth of March'),
    ('Standup at 9:05', 'Standup at nine oh five'),
    ('Review at 14:00', 'Review at two PM'),
    ('Call at 10:30 AM', 'Call at ten thirty AM'),
    ('Lunch at 1 pm', 'Lunch at one PM'),
    ('We grew 1,250 users', 'We grew one thousand two hundred and fifty users'),
    ('Pi is 3.14', 'Pi is three point one four'),
    ('It dropped to -5 degrees', 'It dropped to minus five degrees'),
    ('The 21st item', 'The twenty-first item'),
    ('Back in the 1990s', 'Back in the nineteen nineties'),
    ('Since 2019 we have shipped', 'Since twenty nineteen we have shipped'),
    ('It took 250ms', 'It took two hundred and fifty milliseconds'),
    ('Now 3x faster', 'Now three times faster'),
    ('Takes 2-3 days', 'Takes two to three days'),
    ('## Goal: ship **v2** with multi-currency settlement', 'Goal: ship version two with multi-currency settlement'),
    ('- [x] write the parser', 'done: write the parser'),
    ('- [ ] add retries', 'to do: add retries'),
    ('Use `build_card()` here', 'Use build card here'),
    ('The API uses SQL and JSON', 'The API uses sequel and jason'),
    ('Moved HTTPServer into the core', 'Moved HTTP server into the core'),
    ('call get_user_id() and self.build_card()', 'call get user id and self build card'),
    ('Look in src/selfcast/brain/ for it', 'Look in the brain folder for it'),
    ('The key ZXhhbXBsZQ8mYWJjZGVmZ2hpams9aGVsbG9Xb3JsZA== leaked', 'The key a hash leaked'),
    ('Email ada@example.com', 'Email ada at example dot com'),
    ('Visit example.com', 'Visit example dot com'),
    ('DEADLINE is Friday', 'deadline is Friday'),
    ('Check the TODO list', 'Check the to-do list'),
    ('uses pyproject.toml and package.json', 'uses the pyproject file and the package file'),
    ('the README says so', 'the readme says so'),
    ('See CHANGELOG.md and docs/architecture.md', 'See the changelog and the architecture file in docs'),
    ('Tests live in conftest.py', 'Tests live in the test setup'),
    ('and/or', 'and or'),
    ('Use std::vector here', 'Use standard vector here'),
    ('Import selfcast.brain.workspace first', 'Import selfcast brain workspace first'),
    ('Run deploy.sh after build', 'Run the deploy script after build'),
    ('The id is 123e4567-e89b-12d3-a456-426614174000', 'The id is an I.D.'),
    ('The rain-gauge-calibration-script is flaky', 'The rain gauge calibration script is flaky'),
    ('Added __init__.py', 'Added the init module'),
    ('Opened data/rainfall_2024.csv', 'Opened the rainfall two thousand and twenty-four data file in data'),
    ('Saw errors in server.log', 'Saw errors in the server log'),
    ('The fix is in brain/llm/service.py', 'The fix is in the service module in brain LLM'),
    ('Renamed getHTTPResponse', 'Renamed get HTTP response'),
    ('Fixed parseConfig', 'Fixed parse config'),
    ('See [the docs](https://example.com/docs) for more', 'See the docs for more'),
    ('Q3 targets, e.g. churn, i.e. retention', 'Q3 targets, for example churn, that is retention'),
    ('Node 20 and Python 3.11', 'Node twenty and Python three point eleven'),
    ('Meeting is on 2026-12-01 at 18:30', 'Meeting is on December first, twenty twenty-six at six thirty PM'),
    ('Bumped numpy 1.26 to 2.0.1', 'Bumped numpy one point two six to two point oh point one'),
    ('We have 12,000,000 rows', 'We have twelve million rows'),
    ('Ship v2', 'Ship version two'),
    ('Cost went from $10 to $12.99', 'Cost went from ten dollars to twelve dollars and ninety-nine cents'),
    ('File ~/projects/selfcast/README.md', 'File the readme in projects selfcast'),
    ('Image at assets/logo.png', 'Image at the logo image in assets'),
    ('Cost went from $10 to $12.99', 'Cost went from ten dollars to twelve dollars and ninety-nine cents'),
    ('Raised $2.5M and $5k', 'Raised two point five million dollars and five thousand dollars'),
    ('Recently edited README.md file and notes.md file', 'Recently edited the readme file and the notes file'),
    ("See foo.py:42 and bar.js#L10", "See line forty-two of the foo module and line ten of the bar file"),
    ("Use --dry-run and -v flags", "Use the dry run option and dash v flags"),
    ("Run npm run build && make test", "Run NPM run build and make test"),
    ("It runs on localhost:8080, not 10.0.0.12", "It runs on localhost port eight thousand and eighty, not an IP address"),
    ("1/2 done, 3/4 left, 24/7 support", "one half done, three quarters left, twenty-four seven support"),
    ("Ship 3/15, 7/12 tests pass", "Ship March fifteenth, seven out of twelve tests pass"),
    ("Our OKRs: 10k users and 2M rows", "Our OKRs: ten thousand users and two million rows"),
    ("We use SQLite and PostgreSQL on iOS", "We use sequel light and postgres on eye OS"),
    ("6 files changed, 18 insertions(+), 2 deletions(-)", "six files changed, eighteen insertions, two deletions"),
    ("Edited analysis.tex and models/staging/stg_orders.sql", "Edited the analysis file and the STG orders query file in models staging"),
    ("Shipped 🚀 today ✅", "Shipped today"),
]


@pytest.mark.parametrize(("text", "said"), TABLE)
def test_written_text_is_said_like_a_person_would(text: str, said: str) -> None:
    assert speakable(text) == said


def test_the_table_is_broad() -> None:
    assert len(TABLE) >= 60


def test_every_brain_sentence_passes_through_speakable() -> None:
    assert spoken("Recently edited `README.md` and **notes.md**.") == "Recently edited the readme and the notes file."


def test_code_blocks_and_markdown_are_not_read_out() -> None:
    text = "## Plan\n- Use `build_card()`:\n```python\nprint('hi')\n```\n1. Ship **v2**"
    assert speakable(text) == "Plan Use build card: Ship version two"


def test_numbers_are_worded_without_written_commas() -> None:
    assert number(1_250) == "one thousand two hundred and fifty"
    assert number(21, to="ordinal") == "twenty-first"


# ----------------------------------------------------------------------------- properties
_NAMES = ["README.md", "notes.md", "CHANGELOG.md", "src/app/main.py", "tests/test_api.py", "pkg/util/strings.go",
          "web/LoginForm.tsx", "config/settings.yaml", "deploy.sh", "server.log", "data/rain_2024.csv", "TODO.md",
          "test_runner_timeout", "camelCaseName", "HTTPServer", "get_user_id()", "self.build_card()", "std::vector",
          "MAX_RETRY_COUNT", "__init__.py", "rain-gauge-calibration-script", "v2.1", "2.1.0", "v10.4.2", "PROJ-123",
          "PR #45", "a1b2c3d", "3f9e2c1b7a6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f", "https://github.com/ada/x/pull/12",
          "ada@example.com", "example.com", "$4.50", "$2.5M", "30%", "2026-03-15", "March 15th", "10:30 AM", "14:00",
          "1,250", "3.14", "-5", "21st", "250ms", "3x", "`cfg`", "**bold**", "src/selfcast/brain/", "DEADLINE",
          "ZXhhbXBsZQ8mYWJjZGVmZ2hpams9aGVsbG9Xb3JsZA==", "docs/architecture.md", "package.json", "Makefile"]
_GLUE = ["I edited", "and", "then fixed", "see", "the", "in", "by", "we shipped", "after", "for", "with", ",", "."]
_EXTENSIONS = re.compile(r"\.(?:md|py|go|tsx|ts|js|yaml|yml|json|toml|sh|csv|log|txt)\b", re.I)
_SPELLED = re.compile(r"\b[A-Za-z](?:[ .\-][A-Za-z]\b){2,}")  # "R E A D", "R-E-A-D", "r.e.a"


def _texts(n: int = 400) -> list[str]:
    rng = random.Random(13)
    return [" ".join(rng.choice(_GLUE if i % 2 else _NAMES) for i in range(rng.randint(1, 9))) for _ in range(n)]


def test_output_has_no_spelled_letters_underscores_extensions_or_digits() -> None:
    for text in _texts():
        said = speakable(text)
        assert not _SPELLED.search(said), (text, said)
        assert "_" not in said, (text, said)
        assert not _EXTENSIONS.search(said), (text, said)
        assert not re.search(r"\d", said), (text, said)
        assert not re.search(r"[`*#\[\]{}|\\]", said), (text, said)


def test_speaking_twice_changes_nothing() -> None:
    for text in _texts(200) + [t for t, _ in TABLE]:
        once = speakable(text)
        assert speakable(once) == once, (text, once)


# ----------------------------------------------------------------------------- the voice
def _ipa(words: list[str]) -> list[str]:
    binary = shutil.which("espeak-ng")
    assert binary, "espeak-ng is not installed; the voice needs it (apt-get install espeak-ng)"
    out = subprocess.run([binary, "-q", "-v", "en-us", "--ipa"], input="\n\n".join(words).encode(),
                         capture_output=True, check=True, timeout=60).stdout.decode()
    lines = [re.sub(r"[ˈˌ\s]", "", ln) for ln in out.splitlines() if ln.strip()]
    assert len(lines) == len(words), "espeak-ng did not answer one line per word"
    return lines


def test_the_voice_spells_nothing_it_is_given() -> None:
    """A word espeak-ng reads as the names of its letters is a word spelled out; only acronyms
    written in capitals (API, PR) may be, because people say those letter by letter too."""
    words = sorted({w for text, _ in TABLE for w in re.findall(r"[A-Za-z]+", speakable(text))
                    if len(w) >= 3 and not w.isupper()})
    letters = _ipa([c.upper() for c in "abcdefghijklmnopqrstuvwxyz"])
    name = dict(zip("abcdefghijklmnopqrstuvwxyz", letters, strict=True))
    for word, ipa in zip(words, _ipa(words), strict=True):
        assert ipa != "".join(name[c] for c in word.lower()), f"espeak-ng spells {word!r} letter by letter"
