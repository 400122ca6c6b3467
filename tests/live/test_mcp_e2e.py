"""An agent drives a live session through ``selfcast mcp`` (stdio, the official MCP client): join
the built-in room with a portrait and a workspace card, speak, read the transcript (tool and
resource), see the participants, leave, read the notes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.live import harness as H

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


async def test_agent_joins_speaks_reads_the_transcript_and_leaves_over_mcp(tmp_path):
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    from selfcast.live.demo.launch import demo_assets
    from selfcast.meeting.room import RoomRegistry

    exe = shutil.which("selfcast") or str(Path(os.sys.executable).parent / "selfcast")
    srv = H.LiveServer(tmp_path / "data").start()
    try:
        rooms = RoomRegistry.from_settings(srv.settings)
        room = rooms.create_room("mcp")
        url = rooms.invite_url(srv.base_url, room.id, rooms.mint_token(room.id, name="Ada (AI)"))
        env = {**os.environ, "SELFCAST_API_URL": srv.base_url, "SELFCAST_DEV_KEY": srv.key}
        params = StdioServerParameters(command=exe, args=["mcp"], env=env)
        async with stdio_client(params) as (r, w), ClientSession(r, w) as mcp:
            await mcp.initialize()
            names = {t.name for t in (await mcp.list_tools()).tools}
            assert {"join_meeting", "leave_meeting", "speak", "send_chat", "get_transcript", "get_participants",
                    "get_notes", "session_status"} <= names

            async def call(name: str, **args) -> dict:
                res = await mcp.call_tool(name, args)
                assert not res.is_error, res.content[0].text
                return json.loads(res.content[0].text)

            s = await call("join_meeting", meet_url=url, bot_name="Ada (AI)",
                           avatar_image=str(demo_assets() / "avatar.jpg"),
                           workspace_dir=str(H.fixture_workspace(tmp_path)), wait_ready_s=120)
            assert s["status"] == "ready", s
            sid = s["session_id"]
            said = await call("speak", session_id=sid, text="Hello, I am speaking for the agent now.")
            assert said["interrupted"] is False and "speaking for the agent" in said["heard"], said
            chat = await call("send_chat", session_id=sid, text="notes follow by email")
            assert chat["ok"], chat
            tr = await call("get_transcript", session_id=sid, minutes=5)
            assert any("speaking for the agent" in seg["text"] for seg in tr["segments"]), tr
            res = await mcp.read_resource(f"selfcast://sessions/{sid}/transcript")
            assert "speaking for the agent" in res.contents[0].text
            assert (await call("get_participants", session_id=sid))["participants"] == []
            assert (await call("session_status", session_id=sid))["status"] == "ready"
            left = await call("leave_meeting", session_id=sid)
            assert left["status"] == "closed" and left["notes_ready"], left
            notes = await call("get_notes", session_id=sid)
            assert notes["ready"] and "speaking for the agent" in json.dumps(notes)
    finally:
        srv.stop()
