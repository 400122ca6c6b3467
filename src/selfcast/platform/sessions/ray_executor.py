"""``RayExecutor``: every live session is a Ray actor (its own process) on a node of a Ray cluster.

Chosen by ``executor.kind = "ray"``. The control plane connects to the cluster at
``executor.ray_address`` as a driver and places each session as a detached, named actor
(``selfcast-session-<id>``) asking for one ``selfcast_session`` slot, ``executor.session_cpus``
and any ``executor.session_resources``; the actor runs the local executor's worker (see
``ray_actor``). The database stays the source of truth: cancel sets nothing but a nudge, and a
session's life is its worker's heartbeat. Ray adds one more signal: a session whose actor is gone
from the cluster (it died, or its node did) is not alive, so the monitor ends it as
``worker_lost`` as soon as Ray knows, without waiting for the heartbeat deadline.

Actors are detached so that sessions outlive the control-plane process that placed them (a restart,
or one of several servers): any server finds them by name. ``shutdown`` disconnects and leaves them
running. The connection is made from a request or the monitor's thread, never at import or from the
main thread, where ``ray.init`` would replace the server's own SIGTERM handler.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from selfcast.errors import Unavailable
from selfcast.platform.ids import utcnow
from selfcast.platform.sessions.executor import pid_alive, worker_argv, worker_settings_json
from selfcast.platform.store.models import MeetingSession
from selfcast.settings import Settings

try:
    import ray
except ImportError as exc:  # pragma: no cover - the ray extra is part of `all`
    raise Unavailable(
        "executor.kind is 'ray' but Ray is not installed here: pip install 'selfcast[ray]' "
        "(or set SELFCAST_EXECUTOR__KIND=local)"
    ) from exc

from selfcast.platform.sessions.ray_actor import SESSION_RESOURCE, SessionActor, WorkerLaunch, actor_name
from selfcast.platform.sessions.ray_node import join_cluster

log = logging.getLogger("selfcast.platform.ray_executor")
T = TypeVar("T")
NAMES_TTL_S = 0.5  # one listing of the cluster's session actors serves a whole monitor sweep
RECONNECT_S = 30.0  # the monitor tries to join an unreachable cluster at most this often
ASK_TIMEOUT_S = 5.0  # a call to Ray's head that takes longer is treated as "the head is down"
PLACE_GRACE_S = 5.0  # a session row this young without its actor's name is still being placed


class RayExecutor:
    name = "ray"

    def __init__(
        self,
        settings: Settings,
        *,
        runner: str | None = None,  # module:function for tests; None = the live session runner
        heartbeat_s: float = 2.0,
        kill_after_s: float | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.conf = settings.executor
        self.runner = runner
        self.heartbeat_s = heartbeat_s
        self.kill_after_s = self.conf.kill_after_s if kill_after_s is None else kill_after_s
        self.extra_env = extra_env or {}
        self._lock = threading.Lock()
        self._starting: set[str] = set()  # row written, actor not yet named: alive
        self._names: tuple[float, frozenset[str]] = (0.0, frozenset())
        self._connected = False
        self._last_try = -RECONNECT_S
        self._closed = False  # shut down: no reconnecting
        self._timers: list[threading.Timer] = []
        # Ray's calls wait as long as its head is away; the server asks through these threads so a
        # request or the monitor gives up after ASK_TIMEOUT_S (at most 4 calls stay stuck meanwhile)
        self._calls = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ray-call")

    def _ask(self, fn: Callable[[], T]) -> T:
        try:
            return self._calls.submit(fn).result(timeout=ASK_TIMEOUT_S)
        except FutureTimeout:
            raise Unavailable(
                f"the Ray cluster's head ({self.conf.ray_address!r}, executor.ray_address) does not answer; "
                "sessions already running go on and report to the database. Nothing was charged."
            ) from None

    # ---- the connection ----------------------------------------------------------------------
    def connect(self) -> None:
        """Join the cluster as a driver (once per process; a second executor shares it)."""
        with self._lock:
            if ray.is_initialized():
                return
            try:
                join_cluster(self.conf.ray_address, self.conf.ray_namespace)
            except Unavailable as exc:
                raise Unavailable(
                    f"{exc.message} (executor.ray_address; or set SELFCAST_EXECUTOR__KIND=local to run "
                    "sessions on this machine). Nothing was charged."
                ) from None
            self._connected = True

    def _reconnect(self) -> bool:
        """Connected, or tried to be (at most every ``RECONNECT_S``): a server restarted under
        running sessions watches them from its first sweep, without waiting for a request."""
        if ray.is_initialized():
            return True
        if self._closed or time.monotonic() - self._last_try < RECONNECT_S:
            return False
        self._last_try = time.monotonic()
        try:
            self.connect()
        except Unavailable as exc:
            log.warning("%s", exc)
            return False
        return True

    def free_slots(self) -> float:
        """Session slots free in the whole cluster now (Ray's view, refreshed every second or so)."""
        self.connect()
        return self._ask(lambda: float(ray.available_resources().get(SESSION_RESOURCE, 0.0)))

    # ---- the Executor protocol ---------------------------------------------------------------
    def preflight(self) -> None:
        """Refuse (503, nothing charged) when no node has a free session slot: an actor would wait
        for one, and the session would sit in ``created`` until the start grace ran out."""
        free = self.free_slots()
        if free < 1:
            total = self._ask(lambda: float(ray.cluster_resources().get(SESSION_RESOURCE, 0.0)))
            raise Unavailable(
                f"no free session slot in the Ray cluster ({total:.0f} slots, all busy); add a node with "
                "`selfcast node start --address <head>:6379` or wait for a session to end. Nothing was charged."
            )
        available = self._ask(ray.available_resources)
        for res, amount in self.conf.session_resources.items():
            if float(available.get(res, 0.0)) < amount:
                raise Unavailable(
                    f"no node offers {amount:g} of {res!r} (executor.session_resources) right now; start one "
                    f"with `selfcast node start --resources '{{\"{res}\": 100}}'`. Nothing was charged."
                )

    def start(self, session_id: str) -> None:
        self.connect()
        with self._lock:
            self._starting.add(session_id)
        launch = WorkerLaunch(
            argv=worker_argv(session_id, self.heartbeat_s, self.runner),
            extra_env=dict(self.extra_env),
            settings_json=worker_settings_json(self.settings),
            log_path=str(self.settings.data_dir / "sessions" / session_id / "worker.log"),
        )

        def place() -> None:
            actor = SessionActor.options(  # type: ignore[attr-defined]
                name=actor_name(session_id),
                namespace=self.conf.ray_namespace,
                lifetime="detached",
                num_cpus=self.conf.session_cpus,
                resources={SESSION_RESOURCE: 1, **self.conf.session_resources},
                max_restarts=0,
                max_concurrency=4,  # run() blocks for the session's life; terminate() and where() must get in
            ).remote(session_id)
            actor.run.remote(launch)

        try:
            self._ask(place)
            self._names = (0.0, frozenset())  # the next is_alive lists afresh
        finally:
            with self._lock:
                self._starting.discard(session_id)
        log.info("session %s: actor %s placed with Ray", session_id, actor_name(session_id))
        return None

    def _actor(self, session_id: str):  # type: ignore[no-untyped-def]
        self.connect()

        def find():  # type: ignore[no-untyped-def]
            try:
                return ray.get_actor(actor_name(session_id), namespace=self.conf.ray_namespace)
            except ValueError:
                return None

        return self._ask(find)

    def cancel(self, session_id: str) -> None:
        try:
            actor = self._actor(session_id)
        except Unavailable as exc:  # the database's leave flag stands: the worker reads it at its next heartbeat
            log.warning("session %s: could not nudge its actor: %s", session_id, exc)
            return
        if actor is None:
            return
        actor.terminate.remote()
        timer = threading.Timer(self.kill_after_s, self._kill_if_running, args=(session_id,))
        timer.daemon = True
        timer.start()
        self._timers.append(timer)

    def _kill_if_running(self, session_id: str) -> None:
        if not ray.is_initialized():
            return
        try:
            actor = self._actor(session_id)
            if actor is not None:
                log.warning("session %s: actor did not leave within %ss; killing it", session_id, self.kill_after_s)
                self._ask(lambda: ray.kill(actor, no_restart=True))
        except Unavailable as exc:
            log.warning("session %s: could not kill its actor: %s", session_id, exc)

    def _live_names(self) -> frozenset[str]:
        """Names of this namespace's live actors (Ray's control store drops a name when its actor
        dies, or its node does), listed at most every ``NAMES_TTL_S``: one call per sweep."""
        at, names = self._names
        if time.monotonic() - at > NAMES_TTL_S:
            listed = self._ask(lambda: ray.util.list_named_actors(all_namespaces=True))
            names = frozenset(a["name"] for a in listed if a.get("namespace") == self.conf.ray_namespace)
            self._names = (time.monotonic(), names)
        return names

    def is_alive(self, row: MeetingSession) -> bool:
        if row.executor != self.name:  # placed by a local executor of an earlier run on this machine
            return row.worker_pid is None or pid_alive(row.worker_pid, row.id)
        with self._lock:
            if row.id in self._starting:
                return True
        if row.heartbeat_at is None and (utcnow() - row.created_at).total_seconds() < PLACE_GRACE_S:
            return True  # written, maybe by another server, and being placed: its actor may not be named yet
        if not self._reconnect():
            return True  # the cluster is out of reach: only the heartbeat deadline applies
        try:
            return actor_name(row.id) in self._live_names()
        except Exception as exc:  # Ray unreachable: do not end a session on a blind guess
            log.warning("ray: listing session actors failed (%s); the heartbeat deadline still applies", exc)
            return True

    def running(self) -> list[str]:
        """Session ids whose actor is alive in the cluster (any server's)."""
        self.connect()
        prefix = actor_name("")
        return sorted(n.removeprefix(prefix) for n in self._live_names() if n.startswith(prefix))

    def shutdown(self) -> None:
        """Disconnect; sessions keep running on their nodes (another server, or this one restarted,
        finds them by name)."""
        self._closed = True
        for t in self._timers:
            t.cancel()
        self._calls.shutdown(wait=False, cancel_futures=True)
        if self._connected and ray.is_initialized():
            ray.shutdown()
        self._connected = False
