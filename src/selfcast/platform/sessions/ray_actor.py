"""The node side of the Ray executor: one ``SessionActor`` per live session.

The actor is a supervisor, not a second implementation: it starts the very ``selfcast worker``
process the local executor starts (same arguments, same allow-listed environment, same
secret-stripped settings), so a session's lifecycle, heartbeats, metering, directives and notes
are the local ones. What Ray adds is where it runs (a node with a free ``selfcast_session`` slot),
a name the control plane can find it by, and a fate tied to its node: the worker dies with its
actor (``PR_SET_PDEATHSIG``), so a killed actor or a lost node leaves no bot in the meeting.

The node's model (``NodeModel``, one named actor per node) is the local executor's shared LLM
server: loaded at the node's first session that uses the embedded brain, then every session on the
node leases a slot of it (its own KV cache) and its worker is pointed at it, as a local worker is.

The settings travel as an argument of ``run`` rather than of the constructor: Ray keeps a detached
actor's constructor arguments in its control store, and the settings hold the database URL.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from selfcast.brain.llm.service import LocalLLM, SlotLeases
from selfcast.platform.sessions.executor import worker_env
from selfcast.platform.sessions.ray_node import ACTOR_PREFIX, SESSION_RESOURCE

__all__ = ["SESSION_RESOURCE", "NodeModel", "SessionActor", "WorkerLaunch", "actor_name"]
PR_SET_PDEATHSIG = 1
log = logging.getLogger("selfcast.platform.ray_actor")
MODEL_PREFIX = "selfcast-llm-"  # + the node id: one model server per node
LEASE_TIMEOUT_S = 30.0


def actor_name(session_id: str) -> str:
    return ACTOR_PREFIX + session_id


@dataclass(frozen=True)
class WorkerLaunch:
    """What the control plane hands a session actor: the worker's arguments (after the
    interpreter), the extra environment, the worker's settings and where its log goes."""

    argv: list[str]
    extra_env: dict[str, str]
    settings_json: str
    log_path: str


def _die_with_parent(parent: int) -> None:
    """In the child before exec: SIGKILL when the thread that started it (the actor's ``run``,
    blocked in ``wait`` for the child's whole life) is gone. Linux only; elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the actor died before prctl took effect
        os._exit(1)


@ray.remote(num_cpus=0)
class NodeModel:
    """This node's LLM server, shared by the node's sessions (one slot each)."""

    def __init__(self, brain_json: str) -> None:
        from selfcast.settings import BrainSettings

        brain = BrainSettings(**json.loads(brain_json))
        self.llm = LocalLLM(brain).start()
        self.slots = SlotLeases(max(1, brain.llm_slots))

    def lease(self, session_id: str) -> dict[str, str | int] | None:
        """Where this session's brain asks (url, key, slot); None when the model failed to load
        (the worker's brain then tries its own, and the extractive responder answers meanwhile)."""
        if self.llm.error:
            return None
        return self.llm.endpoint(self.slots.lease(session_id)).as_settings()

    def release(self, session_id: str) -> None:
        self.slots.release(session_id)


def _node_model():  # type: ignore[no-untyped-def]
    """This node's ``NodeModel``, started here (detached, pinned to the node) by its first session."""
    ctx = ray.get_runtime_context()
    node = ctx.get_node_id()
    return NodeModel.options(  # type: ignore[attr-defined]
        name=MODEL_PREFIX + node, namespace=ctx.namespace, get_if_exists=True, lifetime="detached",
        scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False),
    )  # fmt: skip


def with_node_model(settings_json: str, session_id: str) -> tuple[str, bool]:
    """The worker's settings pointed at this node's model when its brain is the embedded one and no
    server was named; returns (settings, whether a slot was leased)."""
    data = json.loads(settings_json)
    brain = dict(data.get("brain") or {})
    if brain.get("provider", "embedded") != "embedded" or brain.get("llm_url"):
        return settings_json, False
    model = _node_model().remote(json.dumps({**brain, "key": ""}))
    endpoint = ray.get(model.lease.remote(session_id), timeout=LEASE_TIMEOUT_S)
    if not endpoint:
        return settings_json, False
    data["brain"] = {**brain, **endpoint}
    return json.dumps(data), True


def release_node_model(session_id: str) -> None:
    with contextlib.suppress(Exception):
        ctx = ray.get_runtime_context()
        ray.get_actor(MODEL_PREFIX + ctx.get_node_id(), namespace=ctx.namespace).release.remote(session_id)


@ray.remote
class SessionActor:
    """Runs one session's worker on this node and leaves the cluster when the worker ends."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def run(self, launch: WorkerLaunch) -> int:
        """Start the worker, wait for it, then end this actor (its slot is free again), whatever
        happened: an actor left behind would hold its slot for good."""
        leased = False
        try:
            try:
                settings_json, leased = with_node_model(launch.settings_json, self.session_id)
            except Exception:  # as on one machine: the worker's brain tries its own, the extractive one answers
                log.exception("session %s: the node's model could not be reached", self.session_id)
                settings_json = launch.settings_json
            env = worker_env(os.environ, {**launch.extra_env, "SELFCAST_WORKER_SETTINGS": settings_json})
            log_path = Path(launch.log_path)
            log_path.parent.mkdir(parents=True, exist_ok=True)
            me = os.getpid()
            with open(log_path, "ab") as logf:
                proc = subprocess.Popen(
                    [sys.executable, *launch.argv],
                    stdin=subprocess.DEVNULL,
                    stdout=logf,
                    stderr=subprocess.STDOUT,
                    env=env,
                    preexec_fn=lambda: _die_with_parent(me),  # the thread waits for it below
                )
            with self._lock:
                self._proc = proc
            return proc.wait()
        except Exception:  # the session then ends worker_lost at the monitor's next sweep
            log.exception("session %s: its worker could not be run", self.session_id)
            return 70
        finally:
            if leased:
                release_node_model(self.session_id)
            ray.actor.exit_actor()

    def terminate(self) -> None:
        """Ask the worker to leave (SIGTERM: it says goodbye, writes notes and closes)."""
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
