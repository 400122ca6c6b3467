"""The MCP server: tools that drive live sessions, and each session's transcript as a resource.

Tools: ``join_meeting``, ``leave_meeting``, ``speak`` (reports whether people cut it off and what
they heard), ``send_chat``, ``get_transcript`` (all, or the latest N minutes), ``get_participants``,
``get_notes``, ``session_status``. Resource ``selfcast://sessions/{session_id}/transcript``: the
live transcript; subscribers get ``resources/updated`` as new lines arrive, so an agent can be the
brain and answer with its own intelligence (``speak``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.shared.subscriptions import ResourceUpdated

from selfcast.door.mcp.client import TERMINAL, PlatformClient
from selfcast.errors import BadInput, SelfcastError

log = logging.getLogger(__name__)

TRANSCRIPT_URI = "selfcast://sessions/{session_id}/transcript"
INSTRUCTIONS = """selfcast sends an AI avatar (a face and a cloned voice) into a video meeting.
join_meeting returns a session_id once the avatar is in the call. Read what people say with
get_transcript (or subscribe to the transcript resource), answer with speak, leave with
leave_meeting, then read get_notes."""


def latest_minutes(segments: list[dict], minutes: float | None) -> list[dict]:
    """The segments that ended within the last ``minutes`` of the meeting (all when None)."""
    if not minutes or not segments:
        return segments
    if minutes <= 0:
        raise BadInput("minutes must be positive (or omitted for the whole transcript)")
    last = max(float(s.get("end_s", 0.0)) for s in segments)
    return [s for s in segments if float(s.get("end_s", 0.0)) >= last - minutes * 60.0]


def participants_from_events(events: list[dict]) -> list[str]:
    names: list[str] = []
    for e in events:
        if e["kind"] in ("participant_joined", "participant_left") and "participants" in (e.get("data") or {}):
            names = list(e["data"]["participants"])
    return names


def format_transcript(segments: list[dict]) -> str:
    return "\n".join(f"[{s['start_s']:7.1f}s] {s['speaker']}: {s['text']}" for s in segments) or "(nothing said yet)"


class TranscriptWatcher:
    """Polls the transcripts of watched sessions and publishes ``resources/updated`` on growth."""

    def __init__(self, client: PlatformClient, bus: InMemorySubscriptionBus, interval_s: float = 1.0) -> None:
        self.client, self.bus, self.interval = client, bus, interval_s
        self.counts: dict[str, int] = {}

    def watch(self, session_id: str) -> None:
        self.counts.setdefault(session_id, 0)

    async def run(self) -> None:
        while True:
            for sid in list(self.counts):
                try:
                    n = len(await self.client.transcript(sid))
                    status = (await self.client.session(sid))["status"]
                except SelfcastError:
                    continue
                if n != self.counts.get(sid):
                    self.counts[sid] = n
                    await self.bus.publish(ResourceUpdated(uri=TRANSCRIPT_URI.format(session_id=sid)))
                if status in TERMINAL:
                    self.counts.pop(sid, None)
            await asyncio.sleep(self.interval)


def build_server(base_url: str, dev_key: str, *, poll_s: float = 1.0) -> MCPServer:
    client = PlatformClient(base_url, dev_key)
    bus = InMemorySubscriptionBus()
    watcher = TranscriptWatcher(client, bus, poll_s)

    @asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[None]:
        task = asyncio.create_task(watcher.run(), name="transcript-watcher")
        try:
            yield None
        finally:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            await client.close()

    mcp = MCPServer("selfcast", instructions=INSTRUCTIONS, subscriptions=bus, lifespan=lifespan)

    @mcp.tool()
    async def join_meeting(
        meet_url: str,
        bot_name: str,
        avatar_image: str = "",
        avatar_id: str = "",
        voice_id: str = "",
        system_prompt: str = "",
        workspace_dir: str = "",
        max_duration_s: float | None = None,
        wait_ready_s: float = 120.0,
    ) -> dict[str, Any]:
        """Send an avatar into a meeting (Google Meet, Zoom, Teams, Jitsi or a selfcast room link).

        avatar_image: path of a portrait to upload (or avatar_id of one uploaded before).
        voice_id: a cloned voice (default: the server's default voice). system_prompt: who the
        avatar is and what it knows; workspace_dir: a folder to condense into a reference card
        appended to it. Returns when the avatar is ready in the call (or failed)."""
        if not avatar_id:
            if not avatar_image:
                raise BadInput("pass avatar_image (a portrait file) or avatar_id")
            avatar_id = await client.upload_avatar(Path(avatar_image))
        prompt = system_prompt
        if workspace_dir:
            from selfcast.brain.workspace import build_card

            card = await asyncio.to_thread(build_card, Path(workspace_dir).expanduser())
            prompt = (prompt + "\n\n" + card.text).strip()
        s = await client.create_session(meet_url=meet_url, bot_name=bot_name, avatar_id=avatar_id,
                                        voice_id=voice_id or None, system_prompt=prompt or None,
                                        max_duration_s=max_duration_s)
        watcher.watch(s["session_id"])
        s = await client.wait_state(s["session_id"], ("ready",), wait_ready_s)
        return s

    @mcp.tool()
    async def leave_meeting(session_id: str, wait_s: float = 30.0) -> dict[str, Any]:
        """Make the avatar say goodbye and leave; returns the final status and whether notes are ready."""
        await client.leave(session_id)
        s = await client.wait_state(session_id, TERMINAL, wait_s)
        notes = await client.notes(session_id)
        return {**s, "notes_ready": notes.get("ready", False)}

    @mcp.tool()
    async def speak(session_id: str, text: str, wait: bool = True, timeout_s: float = 120.0) -> dict[str, Any]:
        """Have the avatar say ``text`` in the meeting, lip-synced, in its voice.

        With wait (default) returns after it was said: ``interrupted`` tells whether someone
        talked over it and ``heard`` holds the words that were played before that."""
        cmd = await client.command(session_id, "speak", text)
        if not wait:
            return cmd
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            res = await client.command_result(session_id, cmd["id"])
            if res["done"]:
                r = res["result"]
                return {"id": cmd["id"], "interrupted": bool(r.get("interrupted")), "heard": r.get("heard", ""),
                        "duration_s": r.get("duration_s"), "error": r.get("error", "")}
            await asyncio.sleep(0.3)
        return {"id": cmd["id"], "done": False, "error": f"not finished after {timeout_s:.0f} s"}

    @mcp.tool()
    async def send_chat(session_id: str, text: str) -> dict[str, Any]:
        """Post ``text`` in the meeting's chat as the avatar."""
        cmd = await client.command(session_id, "chat", text)
        for _ in range(60):
            res = await client.command_result(session_id, cmd["id"])
            if res["done"]:
                return {"id": cmd["id"], "ok": bool(res["result"].get("ok")), "error": res["result"].get("error", "")}
            await asyncio.sleep(0.25)
        return {"id": cmd["id"], "ok": False, "error": "the session did not confirm the message in 15 s"}

    @mcp.tool()
    async def get_transcript(session_id: str, minutes: float | None = None) -> dict[str, Any]:
        """What was said so far (speaker, text, times in seconds); ``minutes``: only the latest N minutes."""
        segs = latest_minutes(await client.transcript(session_id), minutes)
        return {"session_id": session_id, "segments": segs, "text": format_transcript(segs)}

    @mcp.tool()
    async def get_participants(session_id: str) -> dict[str, Any]:
        """Who is in the call besides the avatar (display names)."""
        return {"session_id": session_id, "participants": participants_from_events(await client.events(session_id))}

    @mcp.tool()
    async def get_notes(session_id: str) -> dict[str, Any]:
        """The meeting notes (Markdown and structured); ``ready`` is false until the avatar left."""
        return await client.notes(session_id)

    @mcp.tool()
    async def session_status(session_id: str) -> dict[str, Any]:
        """The session's state (joining, waiting_room, ready, leaving, closed, error) and details."""
        return await client.session(session_id)

    @mcp.resource(TRANSCRIPT_URI, name="live transcript", mime_type="text/plain",
                  description="The meeting's transcript so far; subscribe for updates as people speak.")
    async def transcript_resource(session_id: str) -> str:
        watcher.watch(session_id)
        return format_transcript(await client.transcript(session_id))

    return mcp


def from_env() -> tuple[str, str]:
    from selfcast.settings import Settings

    base = os.environ.get("SELFCAST_API_URL") or os.environ.get("PIKA_API_BASE_URL") or Settings().base_url
    key = os.environ.get("SELFCAST_DEV_KEY") or os.environ.get("PIKA_DEV_KEY") or ""
    return base, key
