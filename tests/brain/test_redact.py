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
    assert redact("postgres://bob:pa55word@db/x") == f"postgres://bob:{MASK}@db/x"
    assert MASK in redact("Authorization: Bearer abcdefghijkl1234")


def test_a_value_is_masked_to_the_end_of_its_quoted_string_or_line_not_its_first_word():
    # the old rule stopped at a space, quote, ';', ',' or ')' and left the rest of the value
    assert redact("mysql --password=abc123 db") == f"mysql --password={MASK}"
    assert redact('DB_PASSWORD="correct horse 71" # x') == f"DB_PASSWORD={MASK} # x"
    assert redact("Password=Pa55;Trail=1") == f"Password={MASK}"
    assert redact("login(user, secret=Rt9)zz)") == f"login(user, secret={MASK}"


def test_names_without_a_word_boundary_short_names_and_flags_are_credentials():
    for line, gone in [("PGPASSWORD=pgPw-88 psql", "pgPw-88"), ("MYSQL_PWD=x9y8z7 mysqldump", "x9y8z7"),
                       ("wifi pw=Gate-301", "Gate-301"), ("creds: ops:Cr3d", "Cr3d"),
                       ("mysql -u root -pMq8secret orders", "Mq8secret"), ("curl -u bob:curlPa55 https://x", "curlPa55"),
                       ("sshpass -p sshPw-44 ssh web1", "sshPw-44"), ("keytool -storepass st0rePw x", "st0rePw")]:
        assert gone not in redact(line), line


def test_natural_language_disclosure_is_masked():
    for line, gone in [("The password for the staging box is Tango-Lima-42.", "Tango-Lima-42"),
                       ("Yesterday the token was tw-Ke8Jm2 I think", "tw-Ke8Jm2"),
                       ("Just use Blue!Whale9 as the admin password.", "Blue!Whale9"),
                       ("I changed the db password to Maple#Leaf3 today", "Maple#Leaf3"),
                       ("The root password is:\nNextLine-5519", "NextLine-5519")]:
        assert gone not in redact(line), line
    assert redact("the token is expired") == "the token is expired"


def test_a_value_split_across_lines_is_masked_whole():
    assert "tail-9k2" not in redact('TOKEN = ("head-1x7"\n    "tail-9k2")\nafter = 1')
    assert "splitBs-44" not in redact("export DB_PASSWORD=\\\n  splitBs-44")
    assert "QuoteSplit" not in redact('secret = "first\nQuoteSplit-88"')
    assert redact('TOKEN = ("a1b2c3"\n  "d4e5")\nafter = 1').endswith("after = 1")


def test_drop_removes_the_whole_line_that_states_a_credential():
    text = "Ship the v2 API\nthe password is Hunter-77\nKeep the v1 shims"
    assert redact(text, drop=True) == "Ship the v2 API\nKeep the v1 shims"


def test_a_value_masked_once_is_masked_where_it_is_echoed():
    log = "password = 'locPw-44912'\nE   AssertionError: assert 'locPw-44912' == 'other'"
    assert "locPw-44912" not in redact(log)


def test_short_base64_and_lowercase_keys_are_masked_but_hashes_and_versions_are_not():
    for tok in ("Zm9vYmFyYmF6cXV4MTI=", "a8f3k2m9x7q1w4e6r5t0y2u8", "tok-4Fz9Qm2Lx7Rv1Np8"):
        assert redact(f"got {tok} ok") == f"got {MASK} ok", tok
    for s in ("HEAD is now at 3f2a9c1 fix pagination", "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
              "Bumped numpy 1.26.4 -> 2.1.0 and torch==2.4.1+cpu", "see src/selfcast/brain/workspace.py:120",
              "id 123e4567-e89b-12d3-a456-426614174000", "max_tokens: 200", "token_ttl_s = 3600"):
        assert redact(s) == s, s


def test_ordinary_engineering_prose_is_left_alone():
    for s in ("Refactor token refresh for the API", "git log --oneline -n 5", "commit 3f2a9c1d",
              "The password reset flow is done", "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef"):
        assert redact(s) == s


def test_secret_files_are_recognised_by_name():
    assert all(is_secret_file(n) for n in (".env", ".env.local", "id_rsa", "deploy.pem", ".netrc", "prod.env",
                                           ".git-credentials", "service-account-prod.json", "password_x1.txt"))
    assert not any(is_secret_file(n) for n in ("README.md", "env.py", "settings.py", "id_rsa.pub", "tokens.py"))


def test_logging_filter_scrubs_messages_and_arguments(caplog):
    import logging

    from selfcast.brain.redact import RedactingFilter

    log = logging.getLogger("selfcast.test.redact")
    log.addFilter(RedactingFilter())
    caplog.set_level(logging.INFO)
    log.info("calling with %s and api_key=%s", SECRETS["openai"], "abcdef123")
    log.info(f"token={SECRETS['generic_token']}")
    try:
        raise ValueError(f"bad password={SECRETS['db_password']}")
    except ValueError:
        log.exception("failed")  # the traceback is formatted by the handler: it must be scrubbed too
    assert leaked(caplog.text) == [] and "abcdef123" not in caplog.text
    assert "ValueError" in caplog.text
