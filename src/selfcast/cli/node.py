"""``selfcast node start|list|stop``: this machine as a Ray node that holds live sessions
(``executor.kind = "ray"``; docs/deploy.md has the three-machine walk-through)."""

from __future__ import annotations

import json
import re
import subprocess

import typer

from selfcast.settings import Settings

node_app = typer.Typer(help="Ray nodes for live sessions: start, list, stop.", no_args_is_help=True)


@node_app.command("start")
def start(
    head: bool = typer.Option(False, "--head", help="Start the cluster's first node (on the control plane's machine)"),
    address: str = typer.Option("", help="Join the cluster whose head is HOST:PORT"),
    sessions: int = typer.Option(None, help="Session slots this node offers (default: 2.5 per core; 0: none)"),
    port: int = typer.Option(6379, help="The head's port (with --head)"),
    resources: str = typer.Option("", help="More custom resources to advertise, as JSON: '{\"region_eu\": 100}'"),
    gpus: int = typer.Option(None, help="GPUs to advertise (default: the /dev/nvidiaN devices present)"),
    block: bool = typer.Option(False, "--block", help="Stay in the foreground until stopped (systemd)"),
    ray_arg: list[str] = typer.Option([], "--ray-arg", help="Passed to `ray start` as is (ports, --temp-dir=...)"),
) -> None:
    """Start a Ray node here with session slots; print its capacity and how others join."""
    from selfcast.platform.sessions.ray_node import (
        NodeSpec,
        default_sessions,
        gpu_count,
        parse_resources,
        start_command,
    )

    spec = NodeSpec(head=head, address=address, sessions=sessions, port=port, resources=parse_resources(resources),
                    gpus=gpus, block=block, ray_args=tuple(ray_arg))  # fmt: skip
    argv, env = start_command(spec)
    slots = default_sessions() if sessions is None else sessions
    n_gpus = gpu_count() if gpus is None else gpus
    typer.echo(f"node: {slots} session slots, {n_gpus} GPU(s); running: {' '.join(argv[1:])}", err=True)
    if block:
        raise SystemExit(subprocess.call(argv, env=env))
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        typer.echo(proc.stdout[-3000:] + proc.stderr[-3000:], err=True)
        raise SystemExit(proc.returncode)
    said = re.search(r"--address='([^']+)'", proc.stdout + proc.stderr)  # ray prints how others join
    join = f"selfcast node start --address {said.group(1) if said else f'<this address>:{port}'}" if head else ""
    typer.echo(f"node started with {slots} session slots and {n_gpus} GPU(s)" + (f"; other nodes join with: {join}"
               if join else ""))  # fmt: skip


@node_app.command("list")
def list_(
    address: str = typer.Option(None, help="The cluster (default: executor.ray_address)"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per node"),
) -> None:
    """Nodes, their free and used session slots, and the sessions on each (with their state)."""
    from selfcast.platform.sessions.ray_node import list_nodes

    settings = Settings()
    views = list_nodes(address or settings.executor.ray_address, settings.executor.ray_namespace)
    states = _states(settings, [s for v in views for s in v.sessions])
    for v in views:
        if as_json:
            typer.echo(json.dumps({"node_id": v.node_id, "ip": v.ip, "alive": v.alive, "slots": v.slots,
                                   "free": v.free, "cpus": v.cpus, "gpus": v.gpus,
                                   "sessions": {s: states.get(s, "?") for s in v.sessions}}))  # fmt: skip
            continue
        sess = ", ".join(f"{s} ({states.get(s, '?')})" for s in v.sessions) or "-"
        typer.echo(f"{v.ip:15} {'alive' if v.alive else 'DEAD ':5} slots {len(v.sessions)}/{v.slots} used, "
                   f"{v.free} free  cpus {v.cpus:g}  gpus {v.gpus:g}  {v.node_id[:12]}  sessions: {sess}")  # fmt: skip


def _states(settings: Settings, ids: list[str]) -> dict[str, str]:
    """The sessions' states from the store, when this machine can reach it (else none)."""
    if not ids:
        return {}
    from sqlalchemy import select

    from selfcast.platform.store import Store
    from selfcast.platform.store.models import MeetingSession

    try:
        store = Store.open(settings.db_url, migrate=False)
    except Exception:
        return {}
    try:
        with store.read() as db:
            rows = db.execute(select(MeetingSession.id, MeetingSession.state).where(MeetingSession.id.in_(ids)))
            return {sid: state for sid, state in rows}
    except Exception:
        return {}
    finally:
        store.dispose()


@node_app.command("stop")
def stop(grace_s: int = typer.Option(30, help="Seconds Ray's processes get to leave before they are killed")) -> None:
    """Stop this machine's Ray node (every Ray process here). Its sessions end as worker_lost,
    their holds released, once the control plane notices (within seconds)."""
    from selfcast.platform.sessions.ray_node import stop_command

    raise SystemExit(subprocess.call(stop_command(grace_s)))


def register(app: typer.Typer) -> None:
    app.add_typer(node_app, name="node")
