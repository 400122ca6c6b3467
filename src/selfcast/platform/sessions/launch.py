"""Starting a session, shared by the v1 and Pika-compatible routes (and anything else).

Order matters: check the input (400), then that this machine can join meetings at all (503 when
its Chromium is missing), then reserve credits and insert the row (402 when short), then start
the worker. A failure at any step leaves nothing half-written: no row, no hold, no files — or, if
the worker cannot be started, a session in ``error`` with its hold released.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from selfcast.errors import Unavailable
from selfcast.platform.ids import new_id
from selfcast.platform.sessions import page
from selfcast.platform.sessions.executor import Executor
from selfcast.platform.sessions.platforms import resolve_platform
from selfcast.platform.sessions.registry import SessionRegistry, SessionRequest
from selfcast.platform.sessions.states import State
from selfcast.platform.store.models import MeetingSession
from selfcast.platform.uploads import decode_image, save_png


def launch(
    registry: SessionRegistry,
    executor: Executor,
    account_id: str,
    *,
    meet_url: str | None,
    platform: str | None,
    bot_name: str | None,
    voice_id: str | None,
    image: bytes | None = None,
    avatar_path: Path | None = None,
    system_prompt: str | None = None,
    meeting_password: str | None = None,
    max_duration_s: float | None = None,
    language: str | None = None,
    announce: bool | None = None,
    consent_text: str | None = None,
    server_base_url: str,
) -> MeetingSession:
    from selfcast.errors import BadInput
    from selfcast.hearing.languages import check_language

    if page.is_page(platform):  # its own private room, opened below once the request has passed every check
        page.check_page_request(meet_url)
        link = None
    else:
        link = resolve_platform(meet_url, platform, server_base_url=server_base_url,
                                meeting=registry.settings.meeting)
    # What the request leaves out comes from the account's agent defaults (Model Settings).
    from selfcast.platform import avatars, consent
    from selfcast.platform.portal import defaults as agent_defaults

    with registry.store.read() as db:
        fallback = agent_defaults.get(db, account_id)
        if image is None and avatar_path is None and fallback.avatar_id:
            avatar_path = Path(avatars.get(db, account_id, fallback.avatar_id).path)
        bot_name = bot_name or fallback.bot_name
        announcement = consent.resolve(db, account_id, announce=announce, text=consent_text, bot_name=bot_name or "")
    voice_id = voice_id or fallback.voice_id
    language = language or fallback.language
    if max_duration_s is None and fallback.max_duration_min:
        max_duration_s = fallback.max_duration_min * 60
    if image is None and avatar_path is None:
        raise BadInput(
            "an avatar image is required: upload `image` (PNG/JPEG), pass avatar_id, "
            "or choose a default avatar in Model Settings"
        )
    img = decode_image(image) if image is not None else None
    req = SessionRequest(
        meet_url=link.url if link else "",
        platform=link.platform if link else page.PAGE,
        bot_name=bot_name or "",
        voice_id=(voice_id or registry.settings.voice.default_voice_id).strip(),
        avatar_path=avatar_path,
        system_prompt=system_prompt or "",
        meeting_password=meeting_password or "",
        max_duration_s=max_duration_s,
        language=check_language(language) if language else "",  # 400 naming the accepted codes
        consent_text=announcement,
    )
    with registry.store.read() as db:
        registry.validate(db, account_id, req)
    executor.preflight()

    sid = new_id("sess")
    work = registry.work_dir(sid)
    rooms = room = None
    try:
        if link is None:
            from selfcast.meeting.room import RoomRegistry

            rooms = RoomRegistry.from_settings(registry.settings)
            room = page.open_page_room(rooms, server_base_url, bot_name=req.bot_name.strip(),
                                       max_duration_s=req.max_duration_s)
            req = SessionRequest(**{**req.__dict__, "meet_url": room.bot_url})
        if img is not None:
            req = SessionRequest(**{**req.__dict__, "avatar_path": save_png(img, work / "avatar.png")})
        row = registry.create(account_id, sid, req, executor=executor.name)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if rooms is not None and room is not None:
            rooms.end(room.room_id)  # nobody will join it: its links stop working
        raise
    try:
        pid = executor.start(sid)
        registry.set_worker(sid, pid)
    except Exception as exc:
        registry.set_state(
            sid,
            State.ERROR.value,
            error_code="worker_start_failed",
            error_message=f"could not start the session worker: {exc}",
        )
        raise Unavailable(f"could not start the session worker: {exc}") from exc
    return row
