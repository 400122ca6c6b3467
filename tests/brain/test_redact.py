from selfcast.brain.redact import MASK, is_secret_file, redact
from tests.brain.fixture import (
    HISTORY,
    MEMORY,
    PRIVATE_KEY,
    README,
    SECRETS,
    SETTINGS_PY,
    TERMINAL_LOG,
    leaked,
)


def test_every_planted_secret_kind_is_redacted_from_every_fixture_text():
    for text in (README, MEMORY, SETTINGS_PY, TERMINAL_LOG, HISTORY, PRIVATE_KEY):
        assert leaked(redact(text)) == [], text[:60]


def test_each_provider_key_shape_is_masked_on_its_own():
    for name, value in SECRETS.items():
        if name in ("db_password", "url_password", "env_token", "generic_token", "private_key_body", "aws_secret"):
            continue  # these are only secret by context; covered below
        assert MASK in redact(f"here it is {value} ok"), name


def test_context_makes_ordinary_words_secret():
    assert redact("password=hunter2") == f"password={MASK}"
    assert redact('DB_PASS: "abc123xyz"') == f"DB_PASS: {MASK}"
    assert redact("mysql --password=abc123 db") == f"mysql --password={MASK} db"
    assert redact("postgres://bob:pa55word@db/x") == f"postgres://bob:{MASK}@db/x"
    assert MASK in redact("Authorization: Bearer abcdefghijkl1234")


def test_ordinary_engineering_prose_is_left_alone():
    for s in ("Refactor token refresh for the API", "git log --oneline -n 5", "commit 3f2a9c1d",
              "The password reset flow is done", "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef"):
        assert redact(s) == s


def test_secret_files_are_recognised_by_name():
    assert all(is_secret_file(n) for n in (".env", ".env.local", "id_rsa", "deploy.pem", ".netrc"))
    assert not any(is_secret_file(n) for n in ("README.md", "env.py", "settings.py"))


def test_logging_filter_scrubs_messages_and_arguments(caplog):
    import logging

    from selfcast.brain.redact import RedactingFilter

    log = logging.getLogger("selfcast.test.redact")
    log.addFilter(RedactingFilter())
    caplog.set_level(logging.INFO)
    log.info("calling with %s and api_key=%s", SECRETS["openai"], "abcdef123")
    log.info(f"token={SECRETS['generic_token']}")
    assert leaked(caplog.text) == [] and "abcdef123" not in caplog.text
