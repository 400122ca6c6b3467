"""Chat-model providers against local servers speaking the real wire formats; failures and
slowness become a spoken apology, never an exception."""

import logging
import socket
import time

import pytest

from selfcast.brain import APOLOGY, BrainContext, Turn, get_brain
from selfcast.brain.base import APOLOGY_MIDWAY
from selfcast.settings import BrainSettings
from tests.brain.fixture import leaked
from tests.brain.servers import ChatServer

PIECES = ["The orders", " endpoints are", " moving to v2.", " Cursor pagination", " is still to do."]  # the voice says "v2" as "version two"


@pytest.fixture
def server(request):
    mode = getattr(request, "param", "ok")
    s = ChatServer(PIECES, mode=mode, delay=1.0, pause_after=3)  # pause right after the first sentence
    yield s
    s.close()


def _brain(provider: str, url: str, **kw):
    return get_brain(BrainSettings(provider=provider, url=url, key="sk-test-local-key-123456789012", model="m", **kw))


@pytest.mark.parametrize("provider,base", [("openai", "/v1"), ("anthropic", "")])
def test_provider_streams_sentences_over_real_http(server, provider, base, card):
    brain = _brain(provider, server.url + base)
    out = list(brain.reply([Turn("user", "What's the status of the API refactor?", "Tom")], BrainContext("Robin", card)))
    assert out == ["The orders endpoints are moving to version two.", "Cursor pagination is still to do."]
    req = server.requests[-1]
    body = req["body"]
    assert body["stream"] is True
    if provider == "openai":
        assert req["path"] == "/v1/chat/completions"
        assert req["headers"]["Authorization"] == "Bearer sk-test-local-key-123456789012"
        system = body["messages"][0]["content"]
        assert body["messages"][-1] == {"role": "user", "content": "What's the status of the API refactor?"}
    else:
        assert req["path"] == "/v1/messages"
        assert req["headers"]["x-api-key"] == "sk-test-local-key-123456789012"
        assert req["headers"]["anthropic-version"]
        system = body["system"]
    assert "orders endpoints moved to v2" in system  # the card went to the model ...
    assert leaked(str(body)) == []  # ... and no planted secret did


@pytest.mark.parametrize("server", ["drip"], indirect=True)
def test_first_sentence_is_out_before_the_stream_ends(server, card):
    brain = _brain("openai", server.url + "/v1")
    t0 = time.perf_counter()
    it = brain.reply([Turn("user", "Status?")], BrainContext("Robin", card))
    first = next(it)
    t_first = time.perf_counter() - t0
    rest = list(it)
    t_all = time.perf_counter() - t0
    assert first == "The orders endpoints are moving to version two."
    assert t_first < 0.8 <= t_all, (t_first, t_all)  # the server pauses 1 s after the first sentence
    assert rest == ["Cursor pagination is still to do."]


@pytest.mark.parametrize("server", ["broken"], indirect=True)
def test_broken_provider_becomes_an_apology(server, caplog):
    caplog.set_level(logging.DEBUG)
    out = list(_brain("openai", server.url + "/v1").reply([Turn("user", "Status?")], BrainContext("Robin")))
    assert " ".join(out) == APOLOGY
    assert "HTTP 500" in caplog.text and "sk-test-local-key" not in caplog.text


@pytest.mark.parametrize("provider,base", [("openai", "/v1"), ("anthropic", "")])
def test_a_dropped_connection_is_sent_again(server, provider, base, caplog):
    caplog.set_level(logging.INFO)
    server.drop = 1  # the first connection hangs up after the request, with no answer
    out = list(_brain(provider, server.url + base).reply([Turn("user", "Status?")], BrainContext("Robin")))
    assert out == ["The orders endpoints are moving to version two.", "Cursor pagination is still to do."]
    assert len(server.requests) == 2 and server.requests[0]["body"] == server.requests[1]["body"]
    assert "sending again (2/3)" in caplog.text


@pytest.mark.parametrize("provider,base,said", [("openai", "/v1", "Incorrect API key provided"),
                                                ("anthropic", "", "invalid x-api-key")])
def test_a_refused_key_becomes_an_apology_and_a_clear_log(server, provider, base, said, caplog):
    caplog.set_level(logging.WARNING)
    server.key = "sk-the-right-key-000000000000"
    out = list(_brain(provider, server.url + base).reply([Turn("user", "Status?")], BrainContext("Robin")))
    assert out == [APOLOGY]
    assert f"refused the key (HTTP 401: {said})" in caplog.text and "brain.key" in caplog.text
    assert "sk-test-local-key" not in caplog.text


def test_unreachable_provider_becomes_an_apology():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    out = " ".join(_brain("anthropic", f"http://127.0.0.1:{port}").reply([Turn("user", "Hi?")], BrainContext("Robin")))
    assert out == APOLOGY


@pytest.mark.parametrize("server", ["slow"], indirect=True)
def test_slow_provider_becomes_an_apology_in_bounded_time(server):
    brain = _brain("openai", server.url + "/v1", first_token_timeout_s=0.4)
    t0 = time.perf_counter()
    out = " ".join(brain.reply([Turn("user", "Status?")], BrainContext("Robin")))
    assert out == APOLOGY
    assert time.perf_counter() - t0 < 0.9


@pytest.mark.parametrize("server", ["drip"], indirect=True)
def test_provider_stalling_midway_finishes_with_a_short_apology(server):
    brain = _brain("openai", server.url + "/v1", first_token_timeout_s=0.5, timeout_s=0.6)
    out = list(brain.reply([Turn("user", "Status?")], BrainContext("Robin")))
    assert out == ["The orders endpoints are moving to version two.", APOLOGY_MIDWAY]


def test_unknown_provider_is_a_clear_configuration_error():
    from selfcast.errors import BadInput

    with pytest.raises(BadInput, match="unknown brain provider"):
        get_brain(BrainSettings(provider="telepathy"))
