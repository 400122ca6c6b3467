"""The MCP door's pure parts: latest-N-minutes transcripts and participants from events."""

import pytest

from selfcast.door.mcp.server import format_transcript, latest_minutes, participants_from_events
from selfcast.errors import BadInput

SEGS = [{"speaker": "Alice", "text": "hi", "start_s": 0.0, "end_s": 1.0},
        {"speaker": "Ada (AI)", "text": "hello", "start_s": 100.0, "end_s": 101.0},
        {"speaker": "Alice", "text": "when is the release?", "start_s": 200.0, "end_s": 202.0}]


def test_latest_minutes_counts_back_from_the_last_line():
    assert latest_minutes(SEGS, None) == SEGS
    assert [s["text"] for s in latest_minutes(SEGS, 2)] == ["hello", "when is the release?"]
    assert [s["text"] for s in latest_minutes(SEGS, 0.5)] == ["when is the release?"]
    with pytest.raises(BadInput):
        latest_minutes(SEGS, -1)


def test_participants_follow_the_latest_join_or_leave_event():
    ev = [{"kind": "ready", "data": {}},
          {"kind": "participant_joined", "data": {"name": "Alice", "participants": ["Alice"]}},
          {"kind": "participant_joined", "data": {"name": "Bob", "participants": ["Alice", "Bob"]}},
          {"kind": "participant_left", "data": {"name": "Alice", "participants": ["Bob"]}}]
    assert participants_from_events(ev) == ["Bob"]
    assert "Alice: when is the release?" in format_transcript(SEGS)
