"""The leave policy: who decides to leave, with which goodbye, and the one-time credit warning."""

from selfcast.live.policy import Leave, LeavePolicy, Warn


def test_out_of_credits_leaves_with_a_spoken_goodbye_after_one_warning():
    p = LeavePolicy(low_balance_minutes=2)
    p.ready(0.0)
    w = p.low_balance(True)
    assert isinstance(w, Warn) and "2 minutes" in w.text
    assert p.low_balance(True) is None  # warned once only
    leave = p.cancelled("out_of_credits")
    assert leave == Leave("out_of_credits", leave.goodbye) and "credits" in leave.goodbye


def test_no_warning_before_ready():
    p = LeavePolicy()
    assert p.low_balance(True) is None


def test_first_reason_wins_and_silent_reasons_say_nothing():
    p = LeavePolicy()
    first = p.on_outcome("ended")
    assert first == Leave("ended", "")
    assert p.cancelled("user") is first
    assert LeavePolicy().on_outcome("left") == Leave("alone", "")
    assert LeavePolicy().on_outcome("timed_out").reason == "waiting_room_timeout"
    assert LeavePolicy().on_outcome("joined") is None


def test_max_duration_backstop_counts_from_ready():
    p = LeavePolicy(max_duration_s=60)
    assert p.tick(1000.0) is None  # not ready yet
    p.ready(1000.0)
    assert p.tick(1059.0) is None
    leave = p.tick(1060.0)
    assert leave.reason == "max_duration" and leave.goodbye


def test_unknown_cancel_reason_is_a_user_leave():
    assert LeavePolicy().cancelled("").reason == "user"
    assert LeavePolicy().cancelled("no-such-reason").reason == "user"


def test_a_pause_inside_a_question_makes_one_turn_for_the_brain():
    from selfcast.live.conversation import Conversation
    from selfcast.transcript import TranscriptLine
    from tests.live.fakes import CannedBrain

    conv = Conversation("Ada (AI)", brain=CannedBrain({}))
    conv.heard("Alice", "When is the first release planned?", 10.0, 12.0)
    conv.heard("Alice", "Ada?", 12.8, 13.1)
    conv.lines.append(TranscriptLine("Ada (AI)", "Friday.", 14, 15, bot=True))
    conv.heard("Alice", "Thanks.", 20.0, 20.5)
    h = conv.history()
    assert [t.role for t in h] == ["user", "assistant", "user"]
    assert h[0].text == "When is the first release planned? Ada?"
