"""A machine's Ray node for live sessions: what ``selfcast node start/list/stop`` run.

A node advertises ``selfcast_session`` slots, one per session it can hold. The default is the
measured capacity of this machine: about five talking sessions on a 2-core box (docs/benchmarks.md:
a session's media, hearing and rendering take ~0.4 of a core at 640x360, 25 fps), so
``floor(2.5 x cores)``. GPUs are advertised when ``/dev/nvidia<N>`` devices are present, for engines
that can use one.

The head also tells Ray's control store to check nodes every second and give one up after three
missed checks, so a lost node (and every session actor on it) is known dead within about four
seconds instead of Ray's default thirty.
"""

from __future__ import annotations

import glob
import json
import math
import os
import shutil
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

from selfcast.errors import BadInput, Unavailable

SESSIONS_PER_CORE = 2.5
SESSION_RESOURCE = "selfcast_session"  # the custom resource a node advertises, one slot per session
ACTOR_PREFIX = "selfcast-session-"  # session actors are named this plus the session id
DEFAULT_PORT = 6379
DRIVER_PATIENCE_S = 365 * 24 * 3600  # measured: with Ray's default a driver died 60 s after its head
CONNECT_TIMEOUT_S = 3.0  # a head that does not accept a connection in this long is taken as down
# Ray's control store (GCS): how fast a node that stopped answering is declared dead
HEAD_HEALTH_ENV = {
    "RAY_health_check_period_ms": "1000",
    "RAY_health_check_timeout_ms": "1000",
    "RAY_health_check_failure_threshold": "3",
}


def default_sessions(cores: int | None = None) -> int:
    return max(1, math.floor(SESSIONS_PER_CORE * (cores or os.cpu_count() or 1)))


def gpu_count() -> int:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    return len(glob.glob("/dev/nvidia[0-9]*"))


def ray_binary() -> str:
    """``ray`` beside this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "ray"
    found = str(beside) if beside.is_file() else shutil.which("ray")
    if not found:
        raise Unavailable("the `ray` command is not installed here: pip install 'selfcast[ray]'")
    return found


@dataclass(frozen=True)
class NodeSpec:
    """What ``selfcast node start`` was asked for."""

    head: bool = False
    address: str = ""  # the head's host:port when joining
    sessions: int | None = None  # None = default_sessions()
    port: int = DEFAULT_PORT  # the head's port
    resources: dict[str, float] = field(default_factory=dict)  # more custom resources to advertise
    gpus: int | None = None  # None = gpu_count()
    block: bool = False  # stay in the foreground (systemd, tests)
    ray_args: tuple[str, ...] = ()  # passed to `ray start` as they are (ports, --temp-dir, ...)

    def check(self) -> None:
        if self.head == bool(self.address):
            raise BadInput(
                "say --head for the cluster's first node (on the control plane's machine) "
                "or --address HEAD_HOST:PORT to join one, not both and not neither"
            )
        if self.sessions is not None and self.sessions < 0:
            raise BadInput(f"--sessions must be 0 or more (got {self.sessions}); 0 = a node that holds none")
        if SESSION_RESOURCE in self.resources:
            raise BadInput(f"set the session slots with --sessions, not with --resources {SESSION_RESOURCE}")
        for name, amount in self.resources.items():
            if not name or amount <= 0:
                raise BadInput(f"--resources: {name!r} must name a resource with a positive amount")


def parse_resources(raw: str) -> dict[str, float]:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadInput(f"--resources is not JSON ({exc.msg}); write it as '{{\"region_eu\": 100}}'") from None
    if not isinstance(data, dict) or not all(isinstance(v, int | float) for v in data.values()):
        raise BadInput("--resources must be a JSON object of names to numbers, e.g. '{\"region_eu\": 100}'")
    return {str(k): float(v) for k, v in data.items()}


def start_command(spec: NodeSpec) -> tuple[list[str], dict[str, str]]:
    """The ``ray start`` command line and the environment it runs with."""
    spec.check()
    sessions = default_sessions() if spec.sessions is None else spec.sessions
    resources = {**spec.resources, SESSION_RESOURCE: sessions}
    gpus = gpu_count() if spec.gpus is None else spec.gpus
    argv = [ray_binary(), "start", f"--resources={json.dumps(resources)}", f"--num-gpus={gpus}",
            "--disable-usage-stats"]  # fmt: skip
    env = dict(os.environ)
    if spec.head:
        argv += ["--head", f"--port={spec.port}"]
        env |= HEAD_HEALTH_ENV
    else:
        argv += [f"--address={spec.address}"]
    if spec.block:
        argv += ["--block"]
    return argv + list(spec.ray_args), env


def stop_command(grace_s: int = 30) -> list[str]:
    """``ray stop``: every Ray process of this machine leaves (its sessions end ``worker_lost`` as
    the control plane notices, their holds released)."""
    return [ray_binary(), "stop", f"--grace-period={grace_s}"]


@dataclass(frozen=True)
class NodeView:
    node_id: str
    ip: str
    alive: bool
    slots: int
    cpus: float
    gpus: float
    sessions: tuple[str, ...]  # session ids whose actor runs here

    @property
    def free(self) -> int:
        return max(0, self.slots - len(self.sessions)) if self.alive else 0


def join_cluster(address: str, namespace: str, *, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """``ray.init`` as a driver, after checking within ``timeout_s`` that the head answers: Ray's
    own connect keeps retrying a dead head for minutes (measured: still waiting after 200 s)."""
    import ray
    from ray._private.services import canonicalize_bootstrap_address

    if ray.is_initialized():
        return
    try:
        gcs = canonicalize_bootstrap_address(address) if not address.startswith("ray://") else None
    except Exception as exc:  # "auto" with no node on this machine
        raise Unavailable(
            f"no Ray cluster found for {address!r}: {exc}; start its head with `selfcast node start --head` "
            "or name it as HOST:PORT"
        ) from None
    if gcs:
        host, _, port = gcs.rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=timeout_s).close()
        except (OSError, ValueError) as exc:
            raise Unavailable(
                f"the Ray cluster's head at {gcs} (from {address!r}) does not answer ({exc}); is "
                "`selfcast node start --head` running there, and its port open to this machine?"
            ) from None
    # Ray ends a driver's whole process when its head has been away for a minute (its default
    # gcs_rpc_server_reconnect_timeout_s): the control plane must outlive a head restart instead
    os.environ.setdefault("RAY_gcs_rpc_server_reconnect_timeout_s", str(DRIVER_PATIENCE_S))
    try:
        ray.init(address=address, namespace=namespace, log_to_driver=False, logging_level="WARNING")
    except Exception as exc:
        raise Unavailable(f"cannot join the Ray cluster at {address!r}: {exc}") from None


def list_nodes(address: str, namespace: str) -> list[NodeView]:
    """The cluster's nodes from Ray's control store, with the session actors on each from Ray's
    state API (the dashboard on the head)."""
    import ray
    from ray.util.state import list_actors

    join_cluster(address, namespace)
    on: dict[str, list[str]] = {}
    for a in list_actors(filters=[("state", "=", "ALIVE")], limit=10_000, raise_on_missing_output=False):
        if a.name and a.name.startswith(ACTOR_PREFIX) and a.ray_namespace == namespace and a.node_id:
            on.setdefault(a.node_id, []).append(a.name.removeprefix(ACTOR_PREFIX))
    out = []
    for n in ray.nodes():
        res = n.get("Resources", {})
        out.append(NodeView(
            node_id=n["NodeID"], ip=n.get("NodeManagerAddress", ""), alive=bool(n.get("Alive")),
            slots=int(res.get(SESSION_RESOURCE, 0)), cpus=float(res.get("CPU", 0)), gpus=float(res.get("GPU", 0)),
            sessions=tuple(sorted(on.get(n["NodeID"], []))),
        ))  # fmt: skip
    return sorted(out, key=lambda v: (not v.alive, v.ip, v.node_id))
