"""``selfcast node start`` builds the right ``ray start`` and refuses what cannot work; the executor
is chosen by settings (the cluster itself is exercised in test_ray_executor.py, marked slow)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from selfcast.cli.main import main
from selfcast.errors import BadInput
from selfcast.platform.sessions.executor import LocalExecutor, executor_for
from selfcast.platform.sessions.ray_node import (
    HEAD_HEALTH_ENV,
    SESSION_RESOURCE,
    NodeSpec,
    default_sessions,
    parse_resources,
    start_command,
)
from selfcast.settings import Settings


def _flag(argv: list[str], name: str) -> str:
    return next(a.split("=", 1)[1] for a in argv if a.startswith(f"--{name}="))


def test_a_node_offers_two_and_a_half_sessions_per_core_by_default() -> None:
    assert [default_sessions(c) for c in (1, 2, 4, 16)] == [2, 5, 10, 40]
    argv, _ = start_command(NodeSpec(address="10.0.0.1:6379", gpus=0))
    assert json.loads(_flag(argv, "resources")) == {SESSION_RESOURCE: default_sessions()}


def test_the_head_declares_a_silent_node_dead_within_seconds_and_a_joining_node_keeps_rays_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for k in HEAD_HEALTH_ENV:
        monkeypatch.delenv(k, raising=False)
    argv, env = start_command(NodeSpec(head=True, sessions=0, port=6390, gpus=1, resources={"region_eu": 100}))
    assert argv[1] == "start" and "--head" in argv and "--port=6390" in argv and "--num-gpus=1" in argv
    assert json.loads(_flag(argv, "resources")) == {"region_eu": 100, SESSION_RESOURCE: 0}
    period, threshold = int(env["RAY_health_check_period_ms"]), int(env["RAY_health_check_failure_threshold"])
    assert period * threshold <= 5000  # plus the monitor's sweep: a lost node noticed well within 10 s
    argv, env = start_command(NodeSpec(address="10.0.0.1:6379", sessions=3, block=True, ray_args=("--temp-dir=/x",)))
    assert "--address=10.0.0.1:6379" in argv and "--block" in argv and argv[-1] == "--temp-dir=/x"
    assert not set(HEAD_HEALTH_ENV) & set(env)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (NodeSpec(), "say --head for the cluster's first node"),
        (NodeSpec(head=True, address="h:6379"), "not both"),
        (NodeSpec(head=True, sessions=-1), "--sessions must be 0 or more"),
        (NodeSpec(head=True, resources={SESSION_RESOURCE: 3}), "with --sessions"),
        (NodeSpec(head=True, resources={"gpu_big": 0}), "positive amount"),
    ],
)
def test_node_start_refuses_a_spec_that_cannot_work_naming_the_fix(spec: NodeSpec, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        start_command(spec)


def test_resources_must_be_a_json_object_of_numbers() -> None:
    assert parse_resources(' {"region_eu": 100} ') == {"region_eu": 100.0}
    assert parse_resources("") == {}
    for bad, message in (("{region_eu: 1}", "not JSON"), ('["a"]', "JSON object"), ('{"a": "x"}', "JSON object")):
        with pytest.raises(BadInput, match=message):
            parse_resources(bad)


def test_the_cli_says_what_is_wrong_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["node", "start", "--sessions", "4"]) == 2
    assert "--head" in capsys.readouterr().err
    assert main(["node", "start", "--head", "--resources", "{oops"]) == 2
    assert "--resources is not JSON" in capsys.readouterr().err


def test_the_executor_is_the_one_settings_name_and_a_bad_kind_is_refused(settings: Settings) -> None:
    import ray

    from selfcast.platform.sessions.ray_executor import RayExecutor

    assert isinstance(executor_for(settings), LocalExecutor)  # the embedded default
    ray_conf = settings.executor.model_copy(update={"kind": "ray", "ray_address": "10.0.0.1:6379"})
    executor = executor_for(settings.model_copy(update={"executor": ray_conf}))
    assert isinstance(executor, RayExecutor) and executor.name == "ray"
    assert not ray.is_initialized()  # it joins the cluster at the first session, not when built
    with pytest.raises(ValidationError, match=r"executor\.kind[\s\S]*'local' or 'ray'"):
        Settings(executor={"kind": "kubernetes"})  # type: ignore[arg-type]


@pytest.mark.parametrize("address", ["127.0.0.1:{port}", "auto"])
def test_an_unreachable_cluster_is_a_503_in_seconds_naming_the_setting(
    settings: Settings, address: str, tmp_path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    """Ray's own connect retries a dead head for minutes; a session request must not hang on it."""
    import time

    from selfcast.errors import Unavailable
    from selfcast.platform.sessions.ray_executor import RayExecutor
    from tests.platform.helpers import free_port

    monkeypatch.setenv("RAY_TMPDIR", str(tmp_path))  # "auto" finds no cluster file of this machine's
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    conf = settings.executor.model_copy(update={"kind": "ray", "ray_address": address.format(port=free_port())})
    executor = RayExecutor(settings.model_copy(update={"executor": conf}))
    t0 = time.monotonic()
    with pytest.raises(Unavailable, match=r"executor\.ray_address[\s\S]*Nothing was charged"):
        executor.preflight()
    assert time.monotonic() - t0 < 10
