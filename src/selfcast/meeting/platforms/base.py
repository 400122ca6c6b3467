"""One join/probe/leave engine for every platform; each platform is a table of selectors.

Selectors drift, so each platform lists several candidates per role, tried in order, and every
page state maps to a named :class:`Outcome`. The engine reads the page in one ``evaluate`` per
tick (a JS function that takes the table) and acts with real pointer/keyboard input.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from selfcast.meeting.outcomes import EventKind, JoinResult, MeetingEvent, Outcome

TERMINAL = (Outcome.DENIED, Outcome.BLOCKED, Outcome.NOT_FOUND, Outcome.SIGN_IN_REQUIRED,
            Outcome.REMOVED, Outcome.ENDED)

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page


@dataclass(frozen=True)
class PlatformSpec:
    """Everything platform-specific, as data. Texts match case-insensitively, apostrophes folded."""

    name: str
    headful: bool = True  # third-party platforms: headful on Xvfb
    name_inputs: tuple[str, ...] = ()
    password_inputs: tuple[str, ...] = ()
    join_texts: tuple[str, ...] = ()  # button labels, in order of preference
    join_selectors: tuple[str, ...] = ()
    pre_join_texts: tuple[str, ...] = ()  # e.g. "Continue on this browser"
    post_join_texts: tuple[str, ...] = ()  # dialogs after admission, e.g. "Got it"
    waiting_texts: tuple[str, ...] = ()
    waiting_selectors: tuple[str, ...] = ()
    state_texts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # outcome -> texts
    state_selectors: dict[str, tuple[str, ...]] = field(default_factory=dict)  # outcome -> CSS
    not_in_call_texts: tuple[str, ...] = ()  # present => not in yet, whatever else is there
    in_call_selectors: tuple[str, ...] = ()  # proof of being in the call
    captcha_selectors: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()  # participant items
    participant_name_attr: str = ""  # empty = the item's text
    self_selectors: tuple[str, ...] = ()  # items that are the bot itself
    self_texts: tuple[str, ...] = ("(You)", "(you)")
    speaker: tuple[str, ...] = ()  # the item lit as speaking
    speaker_name_attr: str = ""
    chat_open: tuple[str, ...] = ()  # buttons that open the chat panel
    chat_input: tuple[str, ...] = ()
    chat_send: tuple[str, ...] = ()
    chat_messages: tuple[str, ...] = ()
    chat_id_attr: str = ""
    chat_author: tuple[str, ...] = ()
    chat_text: tuple[str, ...] = ()
    captions_on: tuple[str, ...] = ()
    captions: tuple[str, ...] = ()  # caption blocks
    caption_speaker: tuple[str, ...] = ()
    caption_text: tuple[str, ...] = ()
    leave: tuple[str, ...] = ()
    leave_confirm: tuple[str, ...] = ()
    leave_confirm_texts: tuple[str, ...] = ()
    reload_on_blocked: bool = False  # Zoom's bot wall sometimes clears on a reload

    def table(self) -> dict:
        return asdict(self)

    def rewrite_url(self, url: str, *, bot_name: str, password: str | None) -> str:
        return url


# The page side of the engine: one function, handed the table, returns what it sees. It marks
# the elements to act on with data-selfcast so Python can click them with real input.
DETECT_JS = r"""
(spec) => {
  const fold = (s) => (s || '').replace(/[\u2018\u2019]/g, "'").replace(/\u2026/g, '...').toLowerCase().replace(/\s+/g, ' ').trim();
  const visible = (el) => { if (!el) return false; const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none'; };
  const q = (sels) => { for (const s of sels || []) { for (const el of document.querySelectorAll(s)) if (visible(el)) return el; } return null; };
  const body = fold(document.body ? document.body.innerText : '');
  const hasText = (texts) => (texts || []).find((t) => body.includes(fold(t))) || null;
  const buttons = () => [...document.querySelectorAll('button, [role="button"], a[role="button"], input[type="submit"], input[type="button"]')].filter(visible);
  const byText = (texts) => { const bs = buttons();
    for (const t of texts || []) { const ft = fold(t);
      for (const b of bs) { const lab = fold(b.innerText || b.value || ''); const aria = fold(b.getAttribute('aria-label'));
        if (lab === ft || aria === ft) return b; } }
    return null; };
  const mark = (el, role) => { document.querySelectorAll(`[data-selfcast="${role}"]`).forEach((e) => e.removeAttribute('data-selfcast'));
    if (el) { el.setAttribute('data-selfcast', role); return true; } return false; };
  const out = {terminal: null, reason: '', waiting: false, inCall: false, name: false, nameEmpty: false,
               password: false, join: false, pre: false, post: false};
  // A state found by a selector is described in our words: the page's own text never leaves it.
  const SAID = {removed: 'removed from the meeting', ended: 'the meeting has ended', denied: 'the request to join was denied',
                blocked: 'the meeting is full or refuses this bot', not_found: 'the meeting does not exist',
                sign_in_required: 'the meeting requires signing in'};
  for (const outcome of ['removed', 'ended', 'denied', 'blocked', 'not_found', 'sign_in_required']) {
    const t = hasText((spec.state_texts || {})[outcome]);
    if (t) { out.terminal = outcome; out.reason = t; return out; }
    const el = q((spec.state_selectors || {})[outcome]);
    if (el) { out.terminal = outcome; out.reason = SAID[outcome]; return out; }
  }
  for (const s of spec.captcha_selectors || []) for (const f of document.querySelectorAll(s)) {
    const r = f.getBoundingClientRect();
    if (visible(f) && r.width >= 250 && r.height >= 60) { out.terminal = 'blocked'; out.reason = 'a captcha challenge is shown'; return out; }
  }
  const notIn = hasText(spec.not_in_call_texts);
  out.inCall = !notIn && !!q(spec.in_call_selectors);
  out.post = mark(byText(spec.post_join_texts), 'post');
  if (out.inCall) return out;
  const w = hasText(spec.waiting_texts) || (q(spec.waiting_selectors) ? 'waiting' : null);
  if (w) { out.waiting = true; out.reason = w; return out; }
  const nameEl = q(spec.name_inputs);
  out.name = mark(nameEl, 'name'); out.nameEmpty = !!nameEl && !nameEl.value;
  out.password = mark(q(spec.password_inputs), 'password');
  out.pre = mark(byText(spec.pre_join_texts), 'pre');
  out.join = mark(byText(spec.join_texts) || q(spec.join_selectors), 'join');
  return out;
}
"""

PROBE_JS = r"""
(spec) => {
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const all = (sels) => { for (const s of sels || []) { const els = [...document.querySelectorAll(s)]; if (els.length) return els; } return []; };
  const sub = (el, sels) => { for (const s of sels || []) { const f = el.querySelector(s); if (f) return (f.innerText || f.textContent || '').trim(); } return ''; };
  const isSelf = (el) => (spec.self_selectors || []).some((s) => el.matches(s)) ||
    (spec.self_texts || []).some((t) => (el.innerText || '').includes(t));
  const nameOf = (el, attr) => ((attr ? el.getAttribute(attr) : '') || (el.innerText || '').split('\n')[0] || '').trim();
  const participants = [...new Set(all(spec.participants).filter((e) => !isSelf(e)).map((e) => nameOf(e, spec.participant_name_attr)).filter(Boolean))];
  const sp = all(spec.speaker).filter((e) => !isSelf(e));
  const speaker = sp.length ? nameOf(sp[0], spec.speaker_name_attr || spec.participant_name_attr) : '';
  const chat = all(spec.chat_messages).map((m, i) => {
    const author = sub(m, spec.chat_author); const text = sub(m, spec.chat_text) || (m.innerText || '').trim();
    return {id: (spec.chat_id_attr && m.getAttribute(spec.chat_id_attr)) || `${i}:${author}:${text}`, author, text};
  });
  const captions = all(spec.captions).filter(visible).map((c) => ({speaker: sub(c, spec.caption_speaker), text: sub(c, spec.caption_text) || (c.innerText || '').trim()}));
  return {participants, speaker, chat, captions};
}
"""


@dataclass
class ProbeState:
    participants: list[str] = field(default_factory=list)
    speaker: str = ""
    chat_ids: set[str] = field(default_factory=set)
    captions: dict[str, str] = field(default_factory=dict)


class PlatformAdapter:
    """Drives one page through a platform's join flow, watches the call, and leaves."""

    def __init__(self, spec: PlatformSpec, *, tick_s: float = 0.3) -> None:
        self.spec = spec
        self.tick_s = tick_s
        self._table = spec.table()
        self._probe = ProbeState()
        self._own_chat: list[str] = []

    async def _detect(self, page: Page) -> dict | None:
        try:
            return await page.evaluate(DETECT_JS, self._table)
        except Exception as exc:
            if page.is_closed():
                raise
            if "context was destroyed" in str(exc) or "navigation" in str(exc).lower():
                return None  # the page is navigating; look again next tick
            raise

    async def _click(self, page: Page, role: str) -> bool:
        loc = page.locator(f'[data-selfcast="{role}"]').first
        try:
            await loc.hover(timeout=2000)
            await asyncio.sleep(random.uniform(0.05, 0.15))
            await loc.click(timeout=2000)
            return True
        except Exception:
            return False

    async def _type(self, page: Page, role: str, text: str) -> bool:
        loc = page.locator(f'[data-selfcast="{role}"]').first
        try:
            await loc.click(timeout=2000)
            await loc.fill("")
            await loc.press_sequentially(text, delay=random.uniform(25, 60))
            return True
        except Exception:
            return False

    async def join(
        self, page: Page, *, bot_name: str, password: str | None, timeout_s: float,
        on_event: Callable[[MeetingEvent], None] | None = None, screenshot_dir: Path | None = None,
    ) -> JoinResult:
        t0 = time.monotonic()
        steps: list[str] = []
        waited_since: float | None = None
        last_join = 0.0
        reloaded = False
        typed_name = typed_pw = False
        emit = on_event or (lambda e: None)

        async def fail(outcome: Outcome, message: str) -> JoinResult:
            shot = None
            if screenshot_dir is not None and not page.is_closed():
                screenshot_dir.mkdir(parents=True, exist_ok=True)
                shot = str(screenshot_dir / f"{self.spec.name}-{outcome.value}-{int(time.time())}.png")
                with contextlib.suppress(Exception):
                    await page.screenshot(path=shot, timeout=5000)
            steps.append(f"{outcome.value}: {message}")
            return JoinResult(outcome, message, shot, waited_s=_since(waited_since), steps=steps)

        while True:
            if page.is_closed():
                return await fail(Outcome.CRASHED, "the page closed during the join")
            try:
                st = await self._detect(page)
            except Exception as exc:
                return await fail(Outcome.CRASHED, f"the page stopped responding: {exc}")
            elapsed = time.monotonic() - t0
            if st is not None:
                if st["terminal"]:
                    outcome = Outcome(st["terminal"])
                    if outcome is Outcome.BLOCKED and self.spec.reload_on_blocked and not reloaded:
                        reloaded = True
                        steps.append(f"blocked ({st['reason']}); reloading once")
                        with contextlib.suppress(Exception):
                            await page.reload(timeout=15000)
                        typed_name = typed_pw = False
                        continue
                    return await fail(outcome, st["reason"])
                if st["inCall"]:
                    for _ in range(3):  # post-join dialogs ("Got it", recording notice)
                        if not st or not st.get("post"):
                            break
                        steps.append("dismissed a post-join dialog")
                        await self._click(page, "post")
                        await asyncio.sleep(0.3)
                        st = await self._detect(page)
                    outcome = Outcome.ADMITTED if waited_since is not None else Outcome.JOINED
                    steps.append(f"{outcome.value} after {elapsed:.1f} s")
                    emit(MeetingEvent(EventKind.STATE, {"outcome": outcome.value}))
                    return JoinResult(outcome, "in the call", waited_s=_since(waited_since), steps=steps)
                if st["waiting"]:
                    if waited_since is None:
                        waited_since = time.monotonic()
                        steps.append(f"waiting room: {st['reason']}")
                        emit(MeetingEvent(EventKind.STATE, {"outcome": Outcome.WAITING_ROOM.value, "text": st["reason"]}))
                else:
                    if st["pre"] and await self._click(page, "pre"):
                        steps.append("clicked a pre-join step")
                    want_name = st["name"] and (st["nameEmpty"] or not typed_name)
                    if want_name and await self._type(page, "name", bot_name):
                        typed_name = True
                        steps.append(f"typed the name {bot_name!r}")
                    if st["password"] and password and not typed_pw and await self._type(page, "password", password):
                        typed_pw = True
                        steps.append("typed the meeting password")
                    if st["join"] and time.monotonic() - last_join > 3.0:
                        last_join = time.monotonic()
                        if await self._click(page, "join"):
                            steps.append("clicked join")
            if elapsed > timeout_s:
                if waited_since is not None:
                    return await fail(Outcome.TIMED_OUT, f"not admitted after {_since(waited_since):.0f} s in the waiting room")
                # What was found on the page, never its text: a hostile page's text must not reach the API.
                found = [k for k in ("name", "password", "pre", "join") if (st or {}).get(k)] or ["no known join control"]
                return await fail(Outcome.TIMED_OUT, f"no join step completed in {timeout_s:.0f} s "
                                                     f"(the page showed: {', '.join(found)})")
            await asyncio.sleep(self.tick_s)

    async def check(self, page: Page) -> Outcome | None:
        """A terminal state seen during the call (removed, ended, ...), else None."""
        st = await self._detect(page)
        if st and st["terminal"]:
            return Outcome(st["terminal"])
        return None

    async def probe(self, page: Page) -> list[MeetingEvent]:
        """Diff participants, active speaker, chat and captions against the last look."""
        snap = await page.evaluate(PROBE_JS, self._table)
        ev: list[MeetingEvent] = []
        p = self._probe
        now = list(dict.fromkeys(snap["participants"]))
        for name in now:
            if name not in p.participants:
                ev.append(MeetingEvent(EventKind.PARTICIPANT_JOINED, {"name": name}))
        for name in p.participants:
            if name not in now:
                ev.append(MeetingEvent(EventKind.PARTICIPANT_LEFT, {"name": name}))
        p.participants = now
        if snap["speaker"] != p.speaker:
            p.speaker = snap["speaker"]
            ev.append(MeetingEvent(EventKind.ACTIVE_SPEAKER, {"name": p.speaker}))
        for m in snap["chat"]:
            if m["id"] in p.chat_ids:
                continue
            p.chat_ids.add(m["id"])
            if m["text"] in self._own_chat:  # our own message echoed back
                self._own_chat.remove(m["text"])
                continue
            ev.append(MeetingEvent(EventKind.CHAT, {"id": m["id"], "author": m["author"], "text": m["text"]}))
        for c in snap["captions"]:
            key = c["speaker"] or "?"
            if c["text"] and p.captions.get(key) != c["text"]:
                p.captions[key] = c["text"]
                ev.append(MeetingEvent(EventKind.CAPTION, {"speaker": c["speaker"], "text": c["text"]}))
        return ev

    @property
    def participants(self) -> list[str]:
        return list(self._probe.participants)

    async def send_chat(self, page: Page, text: str) -> None:
        if not text.strip():
            from selfcast.errors import BadInput

            raise BadInput("chat message is empty")
        box = await self._first_visible(page, self.spec.chat_input)
        if box is None:
            for sel in self.spec.chat_open:
                btn = await self._first_visible(page, (sel,))
                if btn is not None:
                    await btn.click(timeout=3000)
                    break
            await asyncio.sleep(0.3)
            box = await self._first_visible(page, self.spec.chat_input)
        if box is None:
            from selfcast.errors import Unavailable

            raise Unavailable(f"no chat box found on this {self.spec.name} page")
        self._own_chat.append(text.strip())
        await box.fill(text)
        send = await self._first_visible(page, self.spec.chat_send)
        if send is not None:
            await send.click(timeout=3000)
        else:
            await box.press("Enter")

    async def leave(self, page: Page) -> bool:
        btn = await self._first_visible(page, self.spec.leave)
        if btn is None:
            return False
        with contextlib.suppress(Exception):
            await btn.click(timeout=3000)
        await asyncio.sleep(0.3)
        confirm = await self._first_visible(page, self.spec.leave_confirm)
        if confirm is None and self.spec.leave_confirm_texts:
            with contextlib.suppress(Exception):
                st = await page.evaluate(
                    "(texts) => { const f = (s) => (s||'').toLowerCase().trim();"
                    " const b = [...document.querySelectorAll('button,[role=button]')].find((e) => texts.map(f).includes(f(e.innerText)));"
                    " if (b) { b.setAttribute('data-selfcast', 'confirm'); return true; } return false; }",
                    list(self.spec.leave_confirm_texts))
                if st:
                    confirm = page.locator('[data-selfcast="confirm"]').first
        if confirm is not None:
            with contextlib.suppress(Exception):
                await confirm.click(timeout=3000)
        return True

    @staticmethod
    async def _first_visible(page: Page, selectors: tuple[str, ...]) -> Locator | None:
        for sel in selectors:
            loc = page.locator(sel).first
            with contextlib.suppress(Exception):
                if await loc.count() and await loc.is_visible():
                    return loc
        return None


def _since(t: float | None) -> float:
    return 0.0 if t is None else time.monotonic() - t
