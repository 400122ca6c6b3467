"""A private Ray cluster on this machine for tests and benches: each node a separate
``selfcast node start --block`` process group (so ``ray start``) with its own temp dir, ports and
custom resource ``node_<name>``, on 127.0.0.1. Killing the group is losing the node."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import ray

from selfcast.platform.sessions.ray_node import DRIVER_PATIENCE_S
from tests.platform.helpers import free_port, wait_for


@dataclass
class Node:
    """One ``selfcast node start --block`` process group: killing the group is losing the node."""

    name: str
    proc: subprocess.Popen[bytes]
    temp_dir: str
    log: Path

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Finalizer: TERM, then KILL what is left; the temp dir goes too."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def _ports(n: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < n:
        ports.add(free_port())
    return list(ports)


def start_node(
    name: str, log_dir: Path, *, sessions: int, head_port: int | None = None, address: str = "",
    env: dict[str, str] | None = None,
) -> Node:  # fmt: skip
    temp = tempfile.mkdtemp(prefix=f"sc-{name}-", dir="/tmp")  # short: Ray's unix sockets live under it
    p = _ports(8)
    ray_args = [
        f"--temp-dir={temp}", "--node-ip-address=127.0.0.1", "--num-cpus=2", "--object-store-memory=80000000",
        f"--node-manager-port={p[0]}", f"--object-manager-port={p[1]}", f"--dashboard-agent-listen-port={p[2]}",
        f"--dashboard-agent-grpc-port={p[3]}", f"--runtime-env-agent-port={p[4]}", f"--metrics-export-port={p[5]}",
        "--include-log-monitor=false",  # nobody reads the workers' output through the driver here
    ]  # fmt: skip
    if head_port:
        ray_args += [f"--dashboard-port={p[6]}", f"--ray-client-server-port={p[7]}", "--include-dashboard=true"]
    cmd = [sys.executable, "-m", "selfcast.cli.main", "node", "start", "--block", f"--sessions={sessions}",
           "--gpus=0", f"--resources={json.dumps({f'node_{name}': 10})}"]  # fmt: skip
    cmd += ["--head", f"--port={head_port}"] if head_port else [f"--address={address}"]
    cmd += [f"--ray-arg={a}" for a in ray_args]
    log = log_dir / f"node-{name}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, **(env or {})}, start_new_session=True)  # fmt: skip
    return Node(name, proc, temp, log)


def node_id(resource: str) -> str | None:
    for n in ray.nodes():
        if n.get("Alive") and resource in n.get("Resources", {}):
            return str(n["NodeID"])
    return None


def wait_node(node: Node, timeout: float = 90.0) -> str:
    def up() -> str | None:
        if node.proc.poll() is not None:
            raise AssertionError(f"node {node.name} exited: {node.log.read_text()[-3000:]}")
        return node_id(f"node_{node.name}")

    return str(wait_for(up, timeout=timeout, every=0.3))


def join_node(name: str, log_dir: Path, *, sessions: int, address: str, env: dict[str, str] | None = None,
              tries: int = 2) -> tuple[Node, str]:  # fmt: skip
    """A node joined to ``address`` and registered (its node id). ``ray start`` gives up when its
    raylet has not registered within 30 s, which happened here at load average 10: one more try."""
    for attempt in range(tries):
        node = start_node(name, log_dir, sessions=sessions, address=address, env=env)
        try:
            return node, wait_node(node)
        except AssertionError:
            node.stop()
            if attempt == tries - 1:
                raise
    raise AssertionError("unreachable")


def connect(head: Node, port: int, namespace: str, timeout: float = 90.0) -> None:
    """Join the head's cluster as a driver once its port answers."""

    def up() -> bool:
        if head.proc.poll() is not None:
            raise AssertionError(f"the head exited: {head.log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return False
        # as the server does: this process must outlive a head killed on purpose
        os.environ.setdefault("RAY_gcs_rpc_server_reconnect_timeout_s", str(DRIVER_PATIENCE_S))
        ray.init(address=f"127.0.0.1:{port}", namespace=namespace, log_to_driver=False, logging_level="WARNING")
        return True

    wait_for(up, timeout=timeout, every=0.3)
