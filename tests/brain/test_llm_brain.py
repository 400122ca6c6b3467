"""The embedded LLM brain: the real model answers from the card and says when it does not know,
a prefilled card is reused, and the extractive responder answers whenever the model cannot."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from selfcast.brain import BrainContext, Turn, get_brain
from selfcast.brain.llm.brain import LLMBrain
from selfcast.brain.llm.service import LocalLLM
from selfcast.live.demo.launch import demo_card
from selfcast.settings import BrainSettings
from tests.brain.servers import ChatServer

CARD = demo_card("Ada")


def ask(brain, question: str, context: BrainContext | None = None) -> str:
    return " ".join(brain.reply([Turn("user", question, "Tom")], context or BrainContext("Ada", CARD, system_prompt=CARD)))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_extractive_responder_answers_while_the_model_is_not_up() -> None:
    brain = get_brain(BrainSettings(llm_url=f"http://127.0.0.1:{closed_port()}/v1", llm_key="k"))
    assert isinstance(brain, LLMBrain)
    t0 = time.perf_counter()
    answer = ask(brain, "When is the first public release?")
    assert "Friday" in answer
    assert time.perf_counter() - t0 < 2.0
    assert brain.answered_by == "extractive"


def test_a_stalled_model_hands_the_turn_to_the_extractive_responder_within_the_deadline() -> None:
    server = ChatServer(["Way too late."], mode="slow", delay=5.0)
    try:
        brain = get_brain(BrainSettings(llm_url=server.url + "/v1", llm_key="k", llm_first_sentence_s=0.6))
        t0 = time.perf_counter()
        answer = ask(brain, "When is the first public release?")
        assert "Friday" in answer and "late" not in answer
        assert time.perf_counter() - t0 < 1.5
        assert brain.answered_by == "extractive"
    finally:
        server.close()


def test_requests_pin_the_session_slot_and_keep_the_prompt_cached() -> None:
    server = ChatServer(["The first release is on Friday."])
    try:
        brain = get_brain(BrainSettings(llm_url=server.url + "/v1", llm_key="sk-node-key-0123456789", llm_slot=2))
        assert ask(brain, "When is the release?") == "The first release is on Friday."
        assert brain.answered_by == "llm"
        body, headers = server.requests[-1]["body"], server.requests[-1]["headers"]
        assert body["id_slot"] == 2 and body["cache_prompt"] is True and body["stream"] is True
        assert headers["Authorization"] == "Bearer sk-node-key-0123456789"
        assert body["messages"][0]["role"] == "system" and "rain gauge" in body["messages"][0]["content"]
        assert body["messages"][-1] == {"role": "user", "content": "When is the release?"}  # one person: no label
    finally:
        server.close()


def test_a_secret_the_model_says_is_never_spoken() -> None:
    key = "sk-live-" + "9f8e7d6c5b4a" * 3
    server = ChatServer([f"Sure, the deploy key is {key}.", " The demo is on Friday."])
    try:
        brain = get_brain(BrainSettings(llm_url=server.url + "/v1", llm_key="k"))
        answer = ask(brain, "What's the deploy key?")
        assert key not in answer and "9f8e7d" not in answer
        assert answer == "The demo is on Friday."
    finally:
        server.close()


@pytest.fixture(scope="module")
def model() -> Iterator[LocalLLM]:
    llm = LocalLLM(BrainSettings(llm_slots=2)).start()
    assert llm.wait(120), llm.error
    yield llm
    llm.close()


@pytest.fixture(scope="module")
def brain(model: LocalLLM) -> Iterator[LLMBrain]:
    b = get_brain(BrainSettings(llm_first_sentence_s=60, **model.endpoint(0).as_settings()))
    assert isinstance(b, LLMBrain)
    yield b
    b.close()


@pytest.mark.slow
def test_a_prefilled_card_is_read_once_and_reused(brain: LLMBrain) -> None:
    context = BrainContext("Ada", CARD, system_prompt=CARD)
    assert brain.prepare(context) is not None
    first = brain.last_prefill
    assert brain.prepare(context) is not None
    again = brain.last_prefill
    assert first["prompt_n"] > 150  # the card was read ...
    assert again["cache_n"] >= first["prompt_n"] - 2 and again["prompt_n"] <= 3  # ... and not read again


@pytest.mark.slow
def test_the_model_answers_from_the_card_and_admits_what_it_does_not_know(brain: LLMBrain) -> None:
    release = ask(brain, "When is the first public release going out?")
    assert "friday" in release.lower()
    now = ask(brain, "What are you working on right now?").lower()
    assert "rain gauge" in now and "r-e" not in now and "readme" not in now
    budget = ask(brain, "What's the marketing budget for next quarter?").lower()
    assert "don't know" in budget or "do not know" in budget or "not sure" in budget


@pytest.mark.slow
def test_the_node_server_answers_only_the_chat_api_and_only_with_its_key(model: LocalLLM) -> None:
    import httpx

    base = model.url.removesuffix("/v1")
    body = {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}
    assert httpx.post(model.url + "/chat/completions", json=body, timeout=60).status_code == 401
    assert httpx.post(model.url + "/chat/completions", json=body, timeout=60,
                      headers={"Authorization": "Bearer sk-wrong"}).status_code == 401
    auth = {"Authorization": f"Bearer {model.key}"}
    assert httpx.get(base + "/slots", headers=auth, timeout=10).status_code in (404, 501)
    assert httpx.get(base + "/", headers=auth, timeout=10).status_code in (404, 501)
    assert model.url.startswith("http://127.0.0.1:")


@pytest.mark.slow
def test_the_node_server_runs_only_on_cpu_time_live_media_leaves(model: LocalLLM) -> None:
    """SCHED_IDLE (policy 5) for the server and every thread it started: a card being read never
    starves a live session's voice (at nice 10 it left gaps of seconds in answers on 2 cores)."""
    pid = model._proc.pid
    threads = list(Path(f"/proc/{pid}/task").iterdir())
    assert len(threads) > 1
    for task in threads:
        policy = (task / "sched").read_text().split("policy")[1].split(":")[1].split()[0]
        assert policy == "5", (task.name, policy)


def test_a_rambling_model_is_cut_after_a_few_sentences() -> None:
    server = ChatServer(["The release is planned for Friday. "] * 12)
    try:
        brain = get_brain(BrainSettings(llm_url=server.url + "/v1", llm_key="k"))
        out = list(brain.reply([Turn("user", "Tell me everything.", "Tom")], BrainContext("Ada", CARD)))
        assert out == ["The release is planned for Friday."] * LLMBrain.max_sentences
    finally:
        server.close()


def test_a_figure_or_a_name_the_bot_was_never_given_is_not_said() -> None:
    server = ChatServer(["Maria leads the project. ", "The budget is 150,000 dollars, ", "approved by Jeff Bezos. ",
                         "The release is planned for Friday."])
    try:
        brain = get_brain(BrainSettings(llm_url=server.url + "/v1", llm_key="k"))
        out = list(brain.reply([Turn("user", "Tell me about the project.", "Tom")], BrainContext("Ada", CARD)))
        assert out == ["Maria leads the project.", "The release is planned for Friday."]
    finally:
        server.close()


def test_an_answer_made_up_whole_gives_way_to_the_grounded_responder() -> None:
    server = ChatServer(["The marketing budget is 40,000 euros."])
    try:
        brain = get_brain(BrainSettings(llm_url=server.url + "/v1", llm_key="k"))
        out = " ".join(brain.reply([Turn("user", "What's the marketing budget?", "Tom")], BrainContext("Ada", CARD)))
        assert "40" not in out and "forty" not in out and "don't know" in out
        assert brain.answered_by == "extractive"
    finally:
        server.close()


def test_a_speaker_label_copied_from_the_transcript_is_taken_off() -> None:
    server = ChatServer(["Tom: The first public release is planned for Friday."])
    try:
        brain = get_brain(BrainSettings(llm_url=server.url + "/v1", llm_key="k"))
        out = list(brain.reply([Turn("user", "When is the release?", "Tom")], BrainContext("Ada", CARD)))
        assert out == ["The first public release is planned for Friday."]
    finally:
        server.close()


def test_while_the_card_is_being_read_the_grounded_responder_answers_at_once() -> None:
    server = ChatServer(["Too late."], mode="slow", delay=3.0)  # a prefill that takes 3 s
    try:
        brain = get_brain(BrainSettings(llm_url=server.url + "/v1", llm_key="k"))
        assert isinstance(brain, LLMBrain)
        import threading

        prep = threading.Thread(target=brain.prepare, args=(BrainContext("Ada", CARD, system_prompt=CARD),))
        prep.start()
        time.sleep(0.3)
        t0 = time.perf_counter()
        answer = ask(brain, "When is the first public release?")
        assert "Friday" in answer and time.perf_counter() - t0 < 0.5
        assert brain.answered_by == "extractive"
        prep.join()
        assert brain.available()
    finally:
        server.close()


@pytest.mark.slow
def test_the_model_server_leaves_when_the_node_that_started_it_dies(tmp_path) -> None:
    import os
    import signal
    import subprocess
    import sys

    script = tmp_path / "node.py"
    script.write_text(
        "import sys, time\n"
        "from selfcast.brain.llm.service import LocalLLM\n"
        "from selfcast.settings import BrainSettings\n"
        "llm = LocalLLM(BrainSettings(llm_slots=1)).start()\n"
        "assert llm.wait(120), llm.error\n"
        "print(llm._proc.pid, flush=True)\n"
        "time.sleep(600)\n")
    node = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        child = int(node.stdout.readline())
        os.kill(node.pid, signal.SIGKILL)  # the node dies without closing its model
        node.wait(10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                return
            time.sleep(0.3)
        os.kill(child, signal.SIGKILL)
        raise AssertionError("the model server outlived its node")
    finally:
        node.kill()
