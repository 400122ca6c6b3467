"""Meeting notes from a transcript: summary, decisions, action items with owners and due dates,
open questions, attendees; as JSON and Markdown.

With a language model (``model``, see ``notes_llm``) the model writes them and the transcript
checks them, and what the rules find from explicit cues that the model left out is added;
without one, or when it fails, rules extract them from the words people said.
Either way redacted: a sentence that states a credential never reaches the model or the notes.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from selfcast.brain.notes_llm import NotesModel, NotesModelError, Said, similar, write
from selfcast.brain.redact import MASK, redact, redact_lines
from selfcast.brain.retrieval import STOPWORDS, terms
from selfcast.errors import Unavailable
from selfcast.sentences import split_sentences

if TYPE_CHECKING:
    from selfcast.transcript import TranscriptLine

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ActionItem:
    owner: str
    task: str
    due: str = ""  # as said ("Friday", "March 3"); empty when nobody gave one


@dataclass
class MeetingNotes:
    summary: str
    decisions: list[str] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    open_questions: list[str] = field(default_factory=list)
    attendees: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @classmethod
    def from_dict(cls, d: dict) -> MeetingNotes:
        return cls(summary=d.get("summary", ""), decisions=list(d.get("decisions", [])),
                   action_items=[ActionItem(a.get("owner", ""), a.get("task", ""), a.get("due", "") or "")
                                 for a in d.get("action_items", [])],
                   open_questions=list(d.get("open_questions", [])), attendees=list(d.get("attendees", [])),
                   duration_s=float(d.get("duration_s", 0.0)))

    def to_markdown(self) -> str:
        out = ["# Meeting notes", "", "## Summary", "", self.summary or "_Nothing was said._", ""]
        out += ["## Attendees", ""] + [f"- {a}" for a in self.attendees or ["_unknown_"]] + [""]
        out += ["## Decisions", ""] + ([f"- {d}" for d in self.decisions] or ["_None recorded._"]) + [""]
        out += ["## Action items", ""] + ([f"- [ ] **{a.owner or 'unassigned'}**: {a.task}" + (f" (due {a.due})" if a.due else "")
                                           for a in self.action_items]
                                          or ["_None recorded._"]) + [""]
        out += ["## Open questions", ""] + ([f"- {q}" for q in self.open_questions] or ["_None._"]) + [""]
        return "\n".join(out)


_DECISION = re.compile(r"\b(?:we(?:'ve| have)? (?:decided|agreed)|(?:it's|it is|that's|that is) decided|let's go with|"
                       r"we(?:'ll| will)? go with|decision(?: is)?:|agreed[:,]|we're going with|we are going with|"
                       r"the plan is|final(?:ly)?,? we|let's agree|(?:move|moves)(?: [\w'-]+){0,3} to\b|"
                       r"\binstead\b|we(?:'ll| will) use)", re.I)
_NAME = r"([A-Z][^\W\d_]+)"  # a first name as people write it (Tomás, Zoë)
_SELF_ACTION = re.compile(r"\b(?:I'll|I will|I'm going to|I am going to|I can take|let me)\s+(.+)", re.I)
_NAMED_ACTION = re.compile(rf"\b{_NAME}(?:,)?\s+(?:will|is going to|should|needs to|to)\s+(.+)")
_ASK_ACTION = re.compile(rf"\b{_NAME},?\s+(?:(?:can|could|would|will) you(?: please)?|please)\s+(.+?)\??$")
_ACTION_ITEM = re.compile(r"\baction item[s]?:?\s*(.+)", re.I)
# "I'll do that", "Yes, I can do that this week": agreeing to what was just asked, not a new task
_AGREE = re.compile(r"^(?:(?:sure|yes|yeah|ok(?:ay)?|will do)\W+)*(?:I'll|I will|I can)\s+(?:do|have|get|take care of|"
                    r"handle|finish)\s+(?:that|it|this)\b(.*)$", re.I)
_DUE = re.compile(r"\b(?:(?:by|on|before|until|for)\s+)?((?:next\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|"
                  r"sunday)|today|tonight|tomorrow|this week|next week|end of (?:the )?(?:day|week|month)|"
                  r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
                  r"\s+\d{1,2}(?:st|nd|rd|th)?)\b", re.I)
_UNKNOWN = re.compile(r"\b(?:don't know|do not know|not sure|no idea|isn't in|not in what I|nobody knows|no one knows|"
                      r"nobody could tell|nobody has (?:checked|measured|asked|looked)|haven't heard back|"
                      r"leave (?:that|it) open|decide (?:that|it) (?:next|later))\b", re.I)
_OPEN = re.compile(r"\b(?:open question|still need to (?:figure out|decide)|to be decided|tbd|still (?:don't|do not) know)"
                   r"\b", re.I)


# Words that carry the conversation, not its subject.
_CHATTER = frozenset(
    ["hi", "hello", "hey", "thanks", "thank", "please", "okay", "ok", "yeah", "yes", "sure", "right", "nice", "good", "great", "see", "today", "again", "wait", "moment", "stop", "sorry", "well", "just", "really", "know", "think", "mean", "like", "got", "let", "tell", "said", "say", "going", "want"]
)


def _task(text: str) -> str:
    t = re.sub(r"\s+", " ", text).strip().rstrip(".?!")
    return t[0].lower() + t[1:] if t else t


def _due(text: str) -> str:
    m = _DUE.search(text)
    return m.group(1) if m else ""


def _action(owner: str, body: str) -> ActionItem:
    return ActionItem(owner, _task(body), _due(body))


def make_notes(transcript: list[TranscriptLine], *, bot_name: str, attendees: list[str] | tuple = (),
               model: NotesModel | None = None, strict: bool = False) -> MeetingNotes:
    """Notes for one meeting. ``attendees``: names from the platform; speakers are added.
    ``model``: a chat model to write them (the rules write them when it is None or fails;
    with ``strict`` its failure is raised as ``Unavailable`` instead)."""
    # Live sessions store segments as they complete, not as they began: put them in spoken order.
    segs = sorted((s for s in transcript if s.text.strip()), key=lambda s: s.start)
    people = list(dict.fromkeys([*attendees, *(s.speaker for s in segs if s.speaker)]))
    known = {p.split()[0].lower(): p for p in people if p}
    sentences: list[tuple[int, str, str]] = []  # (segment index, speaker, sentence)
    for i, (s, text) in enumerate(zip(segs, redact_lines([s.text for s in segs]), strict=True)):
        for sent in split_sentences(text.strip()):
            if sent.strip() and MASK not in sent:
                sentences.append((i, s.speaker, sent.strip()))

    decisions, actions, questions = [], [], []
    for idx, (i, speaker, sent) in enumerate(sentences):
        is_bot = speaker == bot_name
        if _DECISION.search(sent) and not sent.endswith("?"):
            decisions.append(sent.rstrip("."))
        if not is_bot:
            m = _ACTION_ITEM.search(sent)
            if m:
                body = m.group(1)
                owner = next((known[w.lower()] for w in re.findall(r"[A-Z][^\W\d_]+", body) if w.lower() in known), "")
                actions.append(_action(owner, body))
            elif ((m := _ASK_ACTION.search(sent)) and m.group(1).lower() in known) or ((m := _NAMED_ACTION.search(sent)) and m.group(1).lower() in known and not sent.endswith("?")):
                actions.append(_action(known[m.group(1).lower()], m.group(2)))
            elif (m := _AGREE.search(sent)) and not sent.endswith("?"):
                # agreeing to what they were just asked: its due date, if this says one, not a new task
                mine = next((a for a in reversed(actions) if a.owner == speaker), None)
                if mine is not None and not mine.due:
                    mine.due = _due(m.group(1))
            elif (m := _SELF_ACTION.search(sent)) and not sent.endswith("?"):
                actions.append(_action(speaker, m.group(1)))
        if sent.endswith("?") and not is_bot:
            # open when nobody answered it: what follows (the rest of this turn and the next one)
            # says nobody knows, or the next thing said is another question of theirs or nothing
            nxt_at = next((k for k in range(idx + 1, len(sentences)) if sentences[k][0] != i), None)
            nxt = (sentences[nxt_at][1], sentences[nxt_at][2]) if nxt_at is not None else None
            after = [t for (j, _sp, t) in sentences[idx + 1:]
                     if j == i or (nxt_at is not None and j == sentences[nxt_at][0])]
            if nxt is None or nxt[0] == speaker or any(_UNKNOWN.search(t) for t in after):
                questions.append(sent)
        elif _OPEN.search(sent):
            questions.append(sent.rstrip("."))

    duration = round(max((s.end for s in segs), default=0.0) - min((s.start for s in segs), default=0.0), 1)
    if model is not None and sentences:
        said = _said(sentences, [s.speaker for s in segs])
        try:
            written = write(model, said, people, bot_name)
        except NotesModelError as exc:
            if strict:
                raise Unavailable(f"{model.name} could not write the notes: {exc}") from exc
            log.warning("notes: %s could not write them (%s); the rule-based notes stand in", model.name, exc)
        else:
            for why in written.dropped:
                log.info("notes: dropped the model's action item %s", why)
            # what the rules found from explicit cues ("we decided", "Tomás, can you …", "nobody
            # knows") and the model left out is added: a 1.5B model misses some (measured on the dev set)
            items = [ActionItem(o, t, d) for o, t, d in written.action_items]
            for a in actions:
                same = next((x for x in items if x.owner == a.owner and similar(x.task, a.task)), None)
                if same is None:
                    items.append(a)
                elif not same.due:
                    same.due = a.due
            return MeetingNotes(summary=written.summary, decisions=_union(written.decisions, decisions),
                                action_items=items, open_questions=_union(written.open_questions, questions),
                                attendees=people, duration_s=duration)
    return MeetingNotes(
        summary=_summary(sentences, bot_name),
        decisions=list(dict.fromkeys(decisions)),
        action_items=list({(a.owner, a.task): a for a in actions}.values()),
        open_questions=list(dict.fromkeys(questions)),
        attendees=people,
        duration_s=duration,
    )


def _union(first: list[str], more: list[str]) -> list[str]:
    out = list(first)
    for x in dict.fromkeys(more):
        if not any(similar(x, y) for y in out):
            out.append(x)
    return out


def _said(sentences: list[tuple[int, str, str]], speakers: list[str]) -> list[Said]:
    """Each segment's redacted sentences back together, in spoken order, for the model."""
    joined: list[tuple[int, str]] = []
    for i, _speaker, sent in sentences:
        if joined and joined[-1][0] == i:
            joined[-1] = (i, joined[-1][1] + " " + sent)
        else:
            joined.append((i, sent))
    return [Said(speakers[i] or "participant", text) for i, text in joined]


def _summary(sentences: list[tuple[int, str, str]], bot_name: str) -> str:
    """Topics (most frequent content words) plus the most central human sentence or two."""
    human = [(sp, t) for (_, sp, t) in sentences if sp != bot_name and len(t.split()) >= 4]
    if not human:
        return ""
    tf: Counter[str] = Counter()
    for _, t in human:
        tf.update(set(terms(t)))
    names = {w for sp in {sp for _, sp, _ in sentences} for w in terms(sp)}
    topics = [w for w, c in tf.most_common(12) if w not in STOPWORDS | _CHATTER | names and len(w) > 2][:4]
    answered = _answered(sentences, bot_name)
    scored = sorted(human, key=lambda x: -sum(tf[w] for w in set(terms(x[1]))) / (1 + len(x[1].split()) ** 0.5))
    central = [f"{sp} said: \"{t.rstrip()}\"" for sp, t in scored[:2] if not any(t in a for a in answered)]
    lead = f"The discussion covered {', '.join(topics[:-1]) + ' and ' + topics[-1] if len(topics) > 1 else topics[0]}." if topics else ""
    return redact(" ".join([lead, *central, *answered]).strip(), drop=True)


def _answered(sentences: list[tuple[int, str, str]], bot_name: str, most: int = 3) -> list[str]:
    """What people asked the bot and what it told them: often the reason it was in the meeting."""
    out: list[str] = []
    for idx, (_, speaker, sent) in enumerate(sentences):
        # the last thing a person said before the bot replied (recognisers often drop the "?")
        if speaker == bot_name or (idx + 1 < len(sentences) and sentences[idx + 1][1] == speaker):
            continue
        # the bot's next sentence, if nobody else spoke in between
        pos = next((k for k in range(idx + 1, len(sentences)) if sentences[k][1] != speaker), None)
        # an utterance cut short by barge-in ("One of —") is not the answer: take what followed it
        while pos is not None and pos + 1 < len(sentences) and sentences[pos][2].endswith(("—", "-")) \
                and sentences[pos + 1][1] == bot_name:
            pos += 1
        if pos is None or sentences[pos][1] != bot_name or _UNKNOWN.search(sentences[pos][2]):
            continue
        verb = "asked" if sent.endswith("?") else "said"
        out.append(f"{speaker} {verb} \"{sent}\"; {bot_name} answered \"{sentences[pos][2].rstrip()}\"")
        if len(out) == most:
            break
    return out
