"""One settings object, read from ``SELFCAST_*`` environment variables and an optional TOML file.

Every default is the embedded one: SQLite in the data dir, the built-in room, built-in payments,
models shipped inside pip packages. Nested sections use ``__`` in environment names, e.g.
``SELFCAST_BRAIN__PROVIDER=openai``. The file is named by ``SELFCAST_CONFIG`` (TOML, same keys).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class PricingSettings(BaseModel):
    credits_per_minute: float = 27.5
    min_credits_to_join: int = 100
    starter_credits: int = 0
    low_balance_minutes: float = 2.0  # warn when fewer than this many minutes remain
    max_grant_credits: int = 1_000_000  # the most one operator grant may add (`selfcast credits grant`)
    max_balance_credits: int = 10_000_000  # a grant may not lift a balance above this
    # (credits, price in cents, name)
    packs: list[tuple[int, int, str]] = [
        (800, 799, "800 tokens"),
        (2000, 1999, "2,000 tokens"),
        (4000, 3999, "4,000 tokens"),
        (8000, 7999, "8,000 tokens"),
        (15000, 14999, "15,000 tokens"),
    ]


class ActionQuota(BaseModel):
    """How often one account may do one free but costly thing; 0 refuses it outright."""

    per_hour: int  # attempts in any rolling hour
    per_day: int  # attempts in any rolling 24 hours
    unfunded_per_day: int  # the daily cap while the account has no credits at all (total 0)


class QuotaSettings(BaseModel):
    """Per-account limits on the work that costs no credits (``SELFCAST_QUOTAS__VOICE_CLONE__PER_HOUR=…``).
    Every attempt counts, refused input included, since the server did the work; over a limit is
    a 429 with Retry-After."""

    avatar_generate: ActionQuota = ActionQuota(per_hour=20, per_day=100, unfunded_per_day=5)
    upload: ActionQuota = ActionQuota(per_hour=30, per_day=200, unfunded_per_day=10)  # avatar images, audio files
    voice_clone: ActionQuota = ActionQuota(per_hour=5, per_day=20, unfunded_per_day=2)


class PaymentSettings(BaseModel):
    provider: str = "invoice"  # "invoice" (built-in, operator approves) or "stripe"
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""  # override for a local stand-in; empty = Stripe's own
    success_url: str = ""
    cancel_url: str = ""


class AvatarSettings(BaseModel):
    fps: int = 25
    width: int = 1280
    height: int = 720
    images_url: str = ""  # OpenAI-compatible images endpoint; empty = procedural generator
    images_key: str = ""
    images_model: str = "gpt-image-1"


class VoiceSettings(BaseModel):
    provider: str = "embedded"  # embedded | openai | elevenlabs | minimax
    url: str = ""
    key: str = ""
    model: str = ""
    default_voice_id: str = "English_radiant_girl"


class HearingSettings(BaseModel):
    """The recogniser (the turn-taking knobs are the session's: ``SessionOptions.turns``)."""

    provider: str = "embedded"  # embedded | openai | captions (the platform's captions are the transcript)
    url: str = ""
    key: str = ""
    model: str = "whisper-1"
    model_path: str = ""  # a CTranslate2 Whisper directory; "" = Whisper base (multilingual); "tiny.en" = bundled tiny.en
    cpu_threads: int = 2
    timeout_s: float = 10.0
    language: str = "en"  # what people in the meeting speak (a Whisper code); a session may set its own

    @field_validator("language")
    @classmethod
    def _whisper_language(cls, v: str) -> str:
        from selfcast.hearing.languages import check_language

        return check_language(v)


class BrainSettings(BaseModel):
    """What the bot says. ``embedded``: the node's LLM (below), with the extractive responder
    answering whenever the model is not loaded yet, fails or stalls past ``llm_first_sentence_s``;
    ``extractive``: the keyword responder alone; ``openai`` / ``anthropic``: a chat API."""

    provider: str = "embedded"  # embedded | extractive | openai | anthropic
    url: str = ""
    key: str = ""
    model: str = ""
    timeout_s: float = 20.0  # whole reply
    first_token_timeout_s: float = 8.0  # a provider silent this long gets a spoken apology instead
    max_tokens: int = 200
    model_path: str = ""  # embedded: any GGUF; empty = the shipped Qwen2.5-Coder-1.5B-Instruct Q4_K_M
    llm_slots: int = 4  # sessions one node's model serves at once, each with its own KV cache
    llm_ctx_per_slot: int = 4096  # tokens per slot: card + memory + this meeting
    llm_threads: int = 2
    # "idle": the model's process runs only on CPU time nothing else on the node wants (Linux
    # SCHED_IDLE), so reading a card never starves a live session's voice; "shared": same priority
    llm_cpu: Literal["idle", "shared"] = "idle"
    llm_first_sentence_s: float = 2.0  # no complete sentence by then: the extractive responder answers
    llm_max_tokens: int = 96  # one to three spoken sentences
    # set by the node for its workers (the node's model server); empty = this process loads its own
    llm_url: str = ""
    llm_key: str = ""
    llm_slot: int = -1


class TurnOptions(BaseModel):
    """When a person has finished, and when they are talking over the bot (LiveKit's endpointing
    and interruption options; these defaults are measured, see docs/benchmarks.md)."""

    end_of_turn_silence_ms: int = 500  # silence that ends a turn when its words give no cue
    min_end_of_turn_silence_ms: int = 200  # ... after a complete question or sentence
    max_end_of_turn_silence_ms: int = 1500  # ... after a trailing "um, and..."
    # A voice over the bot this long (VAD time, from its onset) pauses it: silent at once, resumed if
    # it was nothing. 96 ms pauses 101-229 ms after the first sound (160: 165-293); coughs, a hum,
    # music, typing and noise paused it no more often at 64 than at 160 (tests/hearing/test_barge_in.py).
    pause_after_ms: int = 96
    barge_in_min_ms: int = 500  # speech over the bot this long stops it for good (unless its words are a backchannel)
    resume_after_ms: int = 2500  # a pause that hearing never settles resumes after this (LiveKit's false_interruption_timeout)
    partial_interval_ms: int = 600  # re-decode the growing utterance this often while someone speaks
    vad_threshold: float = 0.5  # Silero speech probability that counts as voice
    continuation_s: float = 1.5  # the same person speaking again this soon continues their question


class SessionOptions(BaseModel):
    """Everything one live session decides for itself, in one place (``SELFCAST_LIVE__*``).

    The engines' own knobs (which recogniser, voice, model) live in their sections; these are
    the session's: when to greet and answer, how turns end, how far media runs ahead, when to
    give up on a join and how often to look for agent commands.
    """

    notes_model_s: float = 20.0  # the model writes the notes within this, else the rules do (a leave is killed at 30 s)
    greeting: str = "auto"  # auto (greet in one-to-one calls only) | on | off
    greeting_text: str = ""  # empty = "Hi, I'm {name}. Ask me anything about what I've been working on."
    reply_to: str = "addressed"  # addressed (the hearing policy decides) | all
    turns: TurnOptions = TurnOptions()
    video_lead_ms: float = 120.0  # frames are rendered this far ahead of playback
    audio_lead_ms: float = 180.0  # first speech sample this far ahead of now (> video lead: no frame misses it)
    max_audio_ahead_s: float = 0.6  # speech is sent at most this far ahead (keeps barge-in tight)
    ready_timeout_s: float = 20.0  # admitted but no video/audio flowing after this: error
    rejoin_timeout_s: float = 20.0  # a rejoin waits at most this long (the first join: meeting.waiting_room_timeout_s)
    frame_width: int = 640  # the live camera; 0 = avatar.width (720p costs ~4x the render CPU)
    frame_height: int = 360  # 0 = avatar.height
    rejoin_attempts: int = 1  # after the bot's browser crashes
    command_poll_s: float = 0.5  # how often the worker looks for speak/chat commands
    goodbye_timeout_s: float = 12.0  # the longest a goodbye may take before the bot leaves anyway


class MeetingSettings(BaseModel):
    chromium_path: str = "/usr/bin/chromium"
    headful: bool = False  # third-party platforms use Xvfb headful regardless when available
    profile_dir: str = ""  # persistent bot profile (signed-in Google account)
    proxy: str = ""
    locale: str = "en-US"
    waiting_room_timeout_s: float = 600.0
    alone_timeout_s: float = 300.0
    # A/V compensation so the bot's picture and sound reach receivers in step: positive holds its
    # video back, negative holds its audio back (measure with bench/bridge.py on your machine).
    video_delay_ms: float = -35.0  # measured at a receiving participant of the built-in room (bench/live.py)
    ice_servers: list[str] = []  # STUN/TURN URLs for the built-in room; empty = host candidates only
    # Meeting links the bot may open beyond Meet/Zoom/Teams/meet.jit.si and this server's room
    # (entries: "host" or "host:port"). jitsi_hosts: self-hosted Jitsi servers (links to them are
    # Jitsi). allowed_hosts: other meeting hosts, joined as the platform the caller names. Both may
    # resolve to private addresses (the operator vouches for them); every other host must be public.
    jitsi_hosts: list[str] = []
    allowed_hosts: list[str] = []
    # When the server runs as root, the bot's Chromium runs as this user so its sandbox can stay
    # on (falls back to "nobody" when the user does not exist; scripts/setup.sh creates it).
    browser_user: str = "selfcast-browser"


class ExecutorSettings(BaseModel):
    """Where live sessions run (``SELFCAST_EXECUTOR__*``): ``local``, one worker process per session
    on this machine (the embedded default), or ``ray``, one Ray actor per session on the nodes of a
    Ray cluster (``selfcast node start``; docs/deploy.md)."""

    kind: Literal["local", "ray"] = "local"
    ray_address: str = "auto"  # what ray.init takes: "auto" = the cluster this machine's node belongs to
    ray_namespace: str = "selfcast"  # session actors are named selfcast-session-<id> in this namespace
    session_cpus: float = 0.4  # CPU one session's actor asks of its node (a node holds ~2.5 sessions per core)
    # custom resources every session also asks for, e.g. {"region_eu": 1} to keep sessions on nodes
    # started with `selfcast node start --resources '{"region_eu": 100}'`
    session_resources: dict[str, float] = {}
    kill_after_s: float = 30.0  # a session asked to leave that is still running after this is killed


class WebhookSettings(BaseModel):
    """Outgoing webhooks (``SELFCAST_WEBHOOKS__*``): how hard the dispatcher tries and what it may reach.

    Receivers must be public https URLs; ``allow_loopback`` also lets http://127.0.0.1 (and
    localhost, ::1) through, for tests and a receiver on the same machine. ``retry_s`` is the
    wait before each retry: 8 attempts over about an hour by default.
    """

    allow_loopback: bool = False
    timeout_s: float = 10.0  # one attempt: connect + send + the response head
    max_response_bytes: int = 64 * 1024  # read (and dropped) from a receiver's answer
    retry_s: list[float] = [5.0, 30.0, 120.0, 300.0, 600.0, 1200.0, 1800.0]
    poll_s: float = 1.0  # how often the dispatcher looks for due deliveries
    batch: int = 20  # deliveries claimed per look
    keep_days: float = 7.0  # delivered and failed deliveries are pruned from the log after this


class PortalSettings(BaseModel):
    """The developer portal: browser sessions, sign-in throttling and an optional OIDC provider."""

    session_days: float = 14.0
    cookie_secure: str = "auto"  # auto (Secure when public_url is https) | always | never
    signin_max_failures: int = 5  # failed sign-ins per minute (per email and per address) before a wait
    signin_window_s: float = 60.0
    signin_account_sources: int = 20  # distinct failing addresses per window that slow one email (0: never)
    reset_link_hours: float = 24.0
    oidc_issuer: str = ""  # e.g. https://accounts.google.com; empty = email and password only
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_label: str = "Google"  # the button reads "Sign in with <label>"
    oidc_scopes: str = "openid email profile"
    verify_link_hours: float = 48.0  # how long an email-verification link works
    mail_from: str = "selfcast <no-reply@localhost>"  # the From of verification mail
    smtp_host: str = ""  # empty: mail is written to <data_dir>/mail (LogMailer), not sent
    smtp_port: int = 587
    smtp_user: str = ""  # empty: no SMTP login
    smtp_password: str = ""
    smtp_starttls: bool = True


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SELFCAST_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(default_factory=lambda: Path(os.path.expanduser("~/.selfcast")))
    database_url: str = ""  # empty = sqlite file in data_dir
    host: str = "127.0.0.1"
    port: int = 8787
    public_url: str = ""  # how users reach this server; empty = http://host:port
    secret_key: str = ""  # signs cookies and room tokens; generated into data_dir when empty
    log_level: str = "info"

    pricing: PricingSettings = PricingSettings()
    quotas: QuotaSettings = QuotaSettings()  # avatar generation, uploads and voice cloning per account
    payments: PaymentSettings = PaymentSettings()
    avatar: AvatarSettings = AvatarSettings()
    voice: VoiceSettings = VoiceSettings()
    hearing: HearingSettings = HearingSettings()
    brain: BrainSettings = BrainSettings()
    meeting: MeetingSettings = MeetingSettings()
    live: SessionOptions = SessionOptions()
    portal: PortalSettings = PortalSettings()
    webhooks: WebhookSettings = WebhookSettings()
    executor: ExecutorSettings = ExecutorSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment variables win over the file.
        return (init_settings, env_settings, *_config_file(settings_cls))

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'selfcast.db'}"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def ensure_dirs(self) -> Path:
        from selfcast.datadir import make_private  # 0700/0600; tightens an old 0755 dir with a warning

        return make_private(self.data_dir)


def _config_file(settings_cls: type[BaseSettings]) -> tuple[PydanticBaseSettingsSource, ...]:
    """pydantic-settings' TOML source over the file named by SELFCAST_CONFIG (none when unset).

    The library reads a missing file as empty and lets a syntax error escape as a bare
    TOMLDecodeError; both are a mistake in SELFCAST_CONFIG, so both name the path here.
    """
    path = os.environ.get("SELFCAST_CONFIG")
    if not path:
        return ()
    if not Path(path).is_file():
        raise ValueError(f"SELFCAST_CONFIG names {path!r}, which does not exist (unset it or point it at a TOML file)")
    try:
        return (TomlConfigSettingsSource(settings_cls, toml_file=path),)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"SELFCAST_CONFIG file {path!r} is not valid TOML: {exc}") from exc
