"""A corpus of planted secrets, each in the kind of line people really leave it in, and the
realistic workspaces that carry them (README and memory files, git commit subjects, shell
history, terminal and test logs, file names) plus meeting talk for notes and memory.

``PLANTS`` lists (value, line, place); ``leaks(text)`` names every planted value found in a text
(whole, or a telling 10-character head or tail of a long one). Nothing here may ever surface.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Plant:
    value: str
    line: str
    place: str  # readme | memory | history | log | commit | filename | talk
    kind: str


def _p(place: str, kind: str, value: str, line: str) -> Plant:
    assert value in line, (value, line)
    return Plant(value, line, place, kind)


PEM = ("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDf7Hq2Lm9XvB3nR8t",)

PLANTS: list[Plant] = [
    # ---- values with spaces or quotes after a keyword
    _p("readme", "quoted value with spaces", "correct horse battery 71", 'DB_PASSWORD="correct horse battery 71"'),
    _p("readme", "single-quoted phrase", "my secret phrase 42", "- password: 'my secret phrase 42'"),
    _p("memory", "spaced value", "orchid lantern 9", "- api_key = orchid lantern 9"),
    _p("log", "quoted with comma", "Qz7,Wx8", 'connect(password="Qz7,Wx8", host="db")'),
    # ---- the rest of a value after ; , )
    _p("readme", "value after semicolon", "Pa55w0rd;Trail", "- Server=db01;User Id=sa;Password=Pa55w0rd;Trail=1"),
    _p("log", "value after paren", "Rt9)zz", "login(user, secret=Rt9)zz)"),
    _p("memory", "value after comma", "kL2,mN4,oP6", "- db creds: kL2,mN4,oP6"),
    _p("history", "semicolon shell", "Xy7;echo", "TOKEN=Xy7;echo done"),
    # ---- keywords without a word boundary
    _p("history", "PGPASSWORD", "pgPw-88213", "PGPASSWORD=pgPw-88213 psql -h db -U app orders"),
    _p("history", "MYSQL_PWD", "myPwd-55102", "MYSQL_PWD=myPwd-55102 mysqldump orders"),
    _p("history", "REDISCLI_AUTH", "rdAuth-9912", "REDISCLI_AUTH=rdAuth-9912 redis-cli ping"),
    _p("readme", "dbpass", "dbPass-44120", "- dbpass=dbPass-44120 for the local stack"),
    _p("memory", "camelCase adminPassword", "adm1nP4ss", "- adminPassword: adm1nP4ss"),
    _p("log", "stripeSecretKey", "strSec-77a1", "config loaded stripeSecretKey=strSec-77a1"),
    _p("commit", "glued NPM_AUTHTOKEN", "npmAuth-5521", "ci: set NPM_AUTHTOKEN=npmAuth-5521"),
    _p("readme", "SECRET_KEY django", "dj-insecure-4kz9q", "- SECRET_KEY = 'dj-insecure-4kz9q'"),
    # ---- short keywords and flags
    _p("memory", "pw", "pw-Gate-301", "- wifi pw=pw-Gate-301"),
    _p("memory", "pwd", "Pwd-Vault-17", "- router pwd: Pwd-Vault-17"),
    _p("history", "mysql -p glued", "Mq8secret", "mysql -u root -pMq8secret orders"),
    _p("history", "mysql -p spaced", "Mq9secret", "mysql -h db -u app -p Mq9secret orders"),
    _p("memory", "creds", "ops:Cr3ds-x1", "- creds: ops:Cr3ds-x1"),
    _p("history", "curl -u user:pass", "curlPa55-7", "curl -u admin:curlPa55-7 https://ci.internal/api"),
    _p("history", "sshpass -p", "sshPw-4410", "sshpass -p sshPw-4410 ssh deploy@web1"),
    _p("history", "redis-cli -a", "redisA-8812", "redis-cli -h cache -a redisA-8812 info"),
    _p("history", "docker login -p", "dockPw-3390", "docker login -u bot -p dockPw-3390 registry.internal"),
    _p("history", "--pass flag", "flagPass-221", "backup-tool --pass flagPass-221 --target s3"),
    _p("history", "single-dash -storepass", "storePw-661", "keytool -list -keystore app.jks -storepass storePw-661"),
    _p("history", "openssl pass:", "osslPw-120", "openssl enc -aes-256-cbc -in a -out b -pass pass:osslPw-120"),
    _p("history", "--from-literal", "k8sPw-9921", "kubectl create secret generic db --from-literal=password=k8sPw-9921"),
    _p("history", "docker -e", "pgEnv-55309", "docker run -e POSTGRES_PASSWORD=pgEnv-55309 postgres:16"),
    _p("history", "echo | sudo -S", "sudoPw-8812", "echo sudoPw-8812 | sudo -S apt-get update"),
    _p("history", "--password-stdin", "stdinPw-4471", "echo stdinPw-4471 | docker login --username bot --password-stdin"),
    _p("history", "heroku config", "hkSecret-0912", "heroku config:set SECRET_KEY=hkSecret-0912 -a orderdesk"),
    _p("history", "git clone with token", "ghTok-77120", "git clone https://oauth2:ghTok-77120@gitlab.internal/ops/infra.git"),
    _p("history", "npm authToken", "npmTok-99001", "npm config set //registry.npmjs.org/:_authToken=npmTok-99001"),
    _p("history", "aws configure", "awsSec-11209", "aws configure set aws_secret_access_key awsSec-11209"),
    _p("history", "zsh extended history", "zshTok-4410", ": 1700000000:0;export API_TOKEN=zshTok-4410"),
    _p("history", "gh with token", "ghp_Q8wE4rT6yU2iO0pA9sD7fG5hJ3kL1zX8cV6b", "gh auth login --with-token ghp_Q8wE4rT6yU2iO0pA9sD7fG5hJ3kL1zX8cV6b"),
    _p("history", "httpie auth", "httpPw-3319", "http -a bob:httpPw-3319 GET https://api.internal/me"),
    _p("history", "psql url", "psqlUrl-5512", "psql postgresql://app:psqlUrl-5512@db.internal:5432/orders"),
    # ---- natural-language disclosure
    _p("talk", "the password is", "Tango-Lima-42", "The password for the staging box is Tango-Lima-42."),
    _p("talk", "token was", "tw-Ke8Jm2", "Yesterday the token was tw-Ke8Jm2 but I think it changed."),
    _p("talk", "my password is", "Sunflower_1984", "My password is Sunflower_1984, don't tell anyone."),
    _p("talk", "pin is", "4821-77", "The door pin is 4821-77 for the server room."),
    _p("talk", "use X as the password", "Blue!Whale9", "Just use Blue!Whale9 as the admin password."),
    _p("talk", "changed the password to", "Maple#Leaf3", "I changed the db password to Maple#Leaf3 this morning."),
    _p("talk", "api key for prod", "prodKey-x92mq", "The API key for prod is prodKey-x92mq."),
    _p("talk", "credentials are", "root/Ch4ng3me", "The credentials are root/Ch4ng3me on the old box."),
    _p("talk", "secret is now", "sEcr3t-NowX", "The webhook secret is now sEcr3t-NowX."),
    _p("talk", "passphrase", "purple monkey dishwasher 8", "The passphrase is purple monkey dishwasher 8."),
    _p("memory", "memory note disclosure", "Kestrel-2290", "- Tom said the VPN password is Kestrel-2290"),
    _p("memory", "memory note token", "memTok-66120", "- our deploy token was memTok-66120 until March"),
    _p("readme", "readme disclosure", "ReadMePw-551", "- The demo password is ReadMePw-551 (ask Maya to rotate)"),
    _p("commit", "commit disclosure", "CommitPw-9017", "fix staging: the password is CommitPw-9017 now"),
    _p("log", "log disclosure", "LogPw-41207", "note: admin password was LogPw-41207"),
    _p("talk", "login is", "bob / Hunter77x", "His login is bob / Hunter77x if you need it."),
    # ---- short base64 and lower-case-only keys
    _p("readme", "short base64", "Zm9vYmFyYmF6cXV4MTI=", "- encoded blob Zm9vYmFyYmF6cXV4MTI= in the config"),
    _p("memory", "k8s secret base64", "cGFzc3dvcmQxMjM0NQ==", "- db: cGFzc3dvcmQxMjM0NQ== (k8s secret)"),
    _p("log", "standalone base64", "dGhpc2lzYXNlY3JldDk=", "loaded dGhpc2lzYXNlY3JldDk= from vault"),
    _p("readme", "lowercase key standalone", "a8f3k2m9x7q1w4e6r5t0y2u8", "- the mailgun key a8f3k2m9x7q1w4e6r5t0y2u8 lives here"),
    _p("memory", "lowercase key after keyword", "qx7vm2kd9wp4zt6r", "- sentry key qx7vm2kd9wp4zt6r"),
    _p("log", "hex api key after keyword", "4f9c2e7a1b8d3f6e0a5c9b2d7e4f1a3c", "api key 4f9c2e7a1b8d3f6e0a5c9b2d7e4f1a3c rejected"),
    _p("commit", "lowercase token in subject", "m4k9x2p7q8w3e6r1t5y0", "add mapbox token m4k9x2p7q8w3e6r1t5y0 for the map view"),
    # ---- split across lines
    _p("readme", "backslash continuation", "splitBs-4412", "- export DB_URL_PASSWORD=\\\n  splitBs-4412"),
    _p("log", "open quote over lines", "QuoteSplit-88", 'secret = "first-part\nQuoteSplit-88"'),
    _p("log", "parenthesised concatenation", "parenTail-9k2", 'TOKEN = ("parenHead-1x7"\n    "parenTail-9k2")'),
    _p("talk", "value on the next line", "NextLine-5519", "The root password is:\nNextLine-5519"),
    _p("memory", "yaml block value", "yamlBlock-771", "- password: |\n  yamlBlock-771"),
    _p("readme", "private key block", PEM[0], "-----BEGIN PRIVATE KEY-----\n" + PEM[0] + "\n-----END PRIVATE KEY-----"),
    # ---- test logs and tracebacks
    _p("log", "HTTPError url api_key", "qk-77812abc", "requests.exceptions.HTTPError: 401 Client Error for url: https://api.x.io/v1?api_key=qk-77812abc"),
    _p("log", "db error url", "dbErrPw-201", "sqlalchemy.exc.OperationalError: could not connect to postgresql://app:dbErrPw-201@db/orders"),
    _p("log", "invalid token message", "inv-Tok-3399x", "ValueError: invalid token 'inv-Tok-3399x'"),
    _p("log", "KeyError with key", "sk-proj-Kf8Lm2Nq4Pr6St8Uv0Wx2Yz", "KeyError: 'sk-proj-Kf8Lm2Nq4Pr6St8Uv0Wx2Yz'"),
    _p("log", "failed test message", "Hunter7-expected", "FAILED tests/test_auth.py::test_login - AssertionError: password=Hunter7-expected"),
    _p("log", "pytest locals", "locPw-44912", "password   = 'locPw-44912'"),
    _p("log", "error line token", "errTok-7712", "error: authentication failed, token errTok-7712 expired"),
    _p("log", "auth header", "hdrTok-55120abcd", 'curl: (22) 403 with header "X-Api-Key: hdrTok-55120abcd"'),
    _p("log", "bearer", "b3arerT0k-889911", "Authorization: Bearer b3arerT0k-889911"),
    # ---- commit subjects
    _p("commit", "github token subject", "ghp_R4nD0mT0k3nV4lu3F0rT3st1ngX9Yz8Wq7Zz", "rotate CI token ghp_R4nD0mT0k3nV4lu3F0rT3st1ngX9Yz8Wq7Zz"),
    _p("commit", "PGPASSWORD subject", "ciPg-44021", "ci: export PGPASSWORD=ciPg-44021 for integration tests"),
    _p("commit", "hardcoded api_key subject", "hardKey-99102", "temporarily hardcode api_key=hardKey-99102 (revert later)"),
    _p("commit", "stripe key subject", "sk_live_51HqLyjWDarjtT1zdp7dcXZz", "remove sk_live_51HqLyjWDarjtT1zdp7dcXZz from settings"),
    _p("commit", "use as password subject", "demoAdm-5510", "seed: use demoAdm-5510 as the admin password for the demo"),
    _p("commit", "url creds subject", "cmUrl-7781", "point staging at https://svc:cmUrl-7781@staging.internal"),
    # ---- file names
    _p("filename", "token in file name", "fnTok-8812x", "backup-token=fnTok-8812x.md"),
    _p("filename", "provider key as file name", "sk_live_51FnLyjWDarjtT1zdp7dcXa", "sk_live_51FnLyjWDarjtT1zdp7dcXa.md"),
    _p("filename", "password in file name", "fnPw-2290", "password_fnPw-2290.txt"),
    _p("filename", "github token file name", "ghp_FnT0k3nV4lu3F0rT3st1ngX9Yz8Wq7Ab99", "notes-ghp_FnT0k3nV4lu3F0rT3st1ngX9Yz8Wq7Ab99.md"),
    # ---- provider shapes in prose
    _p("readme", "openai key", "sk-proj-Q7fJ2kLm9XvB3nR8tY1wZ4pA6sD0gH5x", "- OpenAI: sk-proj-Q7fJ2kLm9XvB3nR8tY1wZ4pA6sD0gH5x"),
    _p("readme", "anthropic key", "sk-ant-api03-Zx8Kq2Lw7Rt5Yp1Nm4Bv6Cj9Hs3Dg0Fb", "- Claude key sk-ant-api03-Zx8Kq2Lw7Rt5Yp1Nm4Bv6Cj9Hs3Dg0Fb"),
    _p("memory", "aws access key", "AKIAZ7Q4LMNOP2RSTUVX", "- AWS access key id AKIAZ7Q4LMNOP2RSTUVX"),
    _p("memory", "slack webhook", "https://hooks.slack.com/services/T024BE7LD/B01ABCDEF/Xy7Zk2Lm9Qw4Er6Ty8Ui0Oq",
       "- alerts go to https://hooks.slack.com/services/T024BE7LD/B01ABCDEF/Xy7Zk2Lm9Qw4Er6Ty8Ui0Oq"),
    _p("talk", "slack bot token", "xoxb-2648201937-5527193820-Jk8Lm2Nq4Pr6St8Uv0Wz", "Use xoxb-2648201937-5527193820-Jk8Lm2Nq4Pr6St8Uv0Wz for the bot."),
    _p("log", "jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYXlhIn0.c2lnbmF0dXJlLWxvbmctZW5vdWdo",
       "session cookie eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYXlhIn0.c2lnbmF0dXJlLWxvbmctZW5vdWdo"),
    _p("readme", "google key", "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWZ", "- Maps: AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWZ"),
    _p("memory", "huggingface", "hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456780", "- HF hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456780"),
    _p("talk", "stripe webhook secret", "whsec_Mf8Kd2Lq9Wn4Rt6Yp1Zx3Cv9", "The Stripe one is whsec_Mf8Kd2Lq9Wn4Rt6Yp1Zx3Cv9."),
    _p("talk", "pika dev key", "dk_9fK2mQ7xL4pR8vN1zT6wY3bQ", "My dev key: dk_9fK2mQ7xL4pR8vN1zT6wY3bQ"),
    _p("readme", "sendgrid", "SG.aB3dE5gH7jK9mN1pQ3sT5v.wX7yZ9bC1dF3hJ5kL7nP9rS1tV3xZ5", "- SG.aB3dE5gH7jK9mN1pQ3sT5v.wX7yZ9bC1dF3hJ5kL7nP9rS1tV3xZ5"),
    _p("memory", "gitlab token", "glpat-Xy7Zk2Lm9Qw4Er6Ty8Ui", "- gitlab glpat-Xy7Zk2Lm9Qw4Er6Ty8Ui"),
    _p("log", "pypi token", "pypi-AgEIcHlwaS5vcmcCJGQ4YjM5", "twine: using pypi-AgEIcHlwaS5vcmcCJGQ4YjM5"),
    _p("readme", "netrc line", "netrcPw-2281", "- machine api.internal login bob password netrcPw-2281"),
    _p("readme", "xml password", "xmlPw-7719", "- <password>xmlPw-7719</password>"),
    _p("memory", "json client secret", "jsonCs-55190", '- {"client_secret": "jsonCs-55190", "client_id": "abc"}'),
    _p("log", "dockerfile env", "dfTok-33012", "Step 4/9 : ENV API_TOKEN=dfTok-33012"),
    _p("readme", "toml secret", "tomlSec-4490", '- webhook_secret = "tomlSec-4490"'),
    _p("talk", "spoken token word", "spkTok-55k1", "Here is the token spkTok-55k1 for the dashboard."),
    _p("commit", "auth header in subject", "cmHdr-88120", "debug: send Authorization: Basic cmHdr-88120"),
    _p("talk", "database password to", "dbTo-4412z", "Set the database password to dbTo-4412z before the demo."),
    # ---- more kinds
    _p("log", "setenv with two arguments", "goEnv-77102", 'os.Setenv("API_KEY", "goEnv-77102")'),
    _p("log", "header put", "hdrPut-55012", "headers.put('Authorization', 'hdrPut-55012')"),
    _p("readme", "azure connection string", "azAcct-Key99==",
       "- DefaultEndpointsProtocol=https;AccountName=ledger;AccountKey=azAcct-Key99==;EndpointSuffix=core.windows.net"),
    _p("history", "set -x trace header", "glTrace-88120", "+ curl -H 'PRIVATE-TOKEN: glTrace-88120' https://gitlab.internal/api"),
    _p("memory", "twilio auth token", "twAuth-44019", "- TWILIO_AUTH_TOKEN=twAuth-44019"),
    _p("log", "session id cookie", "sessCk-99012x", "Set-Cookie: sessionid=sessCk-99012x; HttpOnly"),
    _p("commit", "otp in subject", "OtpSeed-7719", "2fa: seed otp_secret=OtpSeed-7719 for the test user"),
    _p("talk", "spelled-out login", "Walrus!88", "Log in as admin, the password is Walrus!88"),
]


def leaks(text: str) -> list[Plant]:
    """Every planted value that shows in ``text`` (whole, or a 10-character head or tail)."""
    out = []
    for p in PLANTS:
        v = p.value
        probes = {v} | ({v[:10], v[-10:]} if len(v) >= 16 else set())
        if any(x in text for x in probes):
            out.append(p)
    return out


# ----------------------------------------------------------------------------- workspaces
CONTROL = {  # one harmless line per place, which must reach the card (proof the place was read)
    "readme": "- Ship the invoice export before the audit",
    "memory": "- Priya owns the invoice export rollout",
    "history": "pytest tests/test_invoice_export.py",
    "log": "FAILED tests/test_invoice_export.py::test_totals - AssertionError: totals differ",
    "commit": "invoice export: add the totals row",
    "filename": "invoice_export.py",
}
PER_PLACE = 3  # the card shows a few items of each place, so each workspace carries a few


def chunks() -> list[list[Plant]]:
    """The non-talk plants in groups with at most ``PER_PLACE`` of each place."""
    by_place: dict[str, list[Plant]] = {}
    for p in PLANTS:
        if p.place != "talk":
            by_place.setdefault(p.place, []).append(p)
    n = max((len(v) + PER_PLACE - 1) // PER_PLACE for v in by_place.values())
    return [[p for v in by_place.values() for p in v[i * PER_PLACE:(i + 1) * PER_PLACE]] for i in range(n)]


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env={**os.environ, **(env or {})})


def build(root: Path, plants: list[Plant]) -> dict[str, Path]:
    """A git workspace carrying ``plants``; returns repo, log and history paths."""
    repo = root / "ws"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.name", "Maya Chen")
    _git(repo, "config", "user.email", "maya@example.dev")
    at = {place: [p.line for p in plants if p.place == place] for place in CONTROL}
    (repo / "README.md").write_text("# Ledger\n\nLedger keeps the books for the shop.\n\n## Goals\n\n"
                                    + "\n".join(at["readme"] + [CONTROL["readme"]]) + "\n")
    (repo / "MEMORY.md").write_text("# Memory\n\n" + "\n".join(at["memory"] + [CONTROL["memory"]]) + "\n")
    (repo / ".gitignore").write_text("logs/\n")
    _git(repo, "add", "-A")
    now = time.time()
    subjects = at["commit"] + [CONTROL["commit"]]
    for i, subj in enumerate(subjects):
        (repo / f"change{i}.txt").write_text(f"{i}\n")
        _git(repo, "add", "-A")
        stamp = f"@{int(now - (len(subjects) - i) * 3600)}"
        _git(repo, "commit", "-q", "-m", subj, env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
    for name in at["filename"] + [CONTROL["filename"]]:
        (repo / name).write_text("x = 1\n")
    log = root / "terminal.log"
    log.write_text("$ pytest\n" + "\n".join(at["log"] + [CONTROL["log"]]) + "\n")
    (repo / "test-run.log").write_text("\n".join(f"error: {line}" for line in at["log"]) + "\n")
    history = root / ".bash_history"
    history.write_text("\n".join(at["history"] + [CONTROL["history"]]) + "\n")
    return {"repo": repo, "log": log, "history": history}
