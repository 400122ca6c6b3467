"""Outgoing email (verification links, "someone tried to sign up as you"), behind one small seam.

``LogMailer`` is the embedded default: each message is written as an ``.eml`` file (0600) under
``<data_dir>/mail`` and one line names it in the log, so a server with no mail relay still works
and an operator can hand a link on. ``SmtpMailer`` sends through a relay with the stdlib
``smtplib`` when ``SELFCAST_PORTAL__SMTP_HOST`` is set. The body is never logged: it holds links.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from selfcast.errors import Unavailable
from selfcast.settings import PortalSettings, Settings

log = logging.getLogger("selfcast.mail")


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str

    def as_email(self, sender: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, self.to, self.subject
        msg.set_content(self.body)
        return msg


class Mailer(Protocol):
    def send(self, message: Message) -> None: ...


@dataclass(frozen=True)
class LogMailer:
    """Writes each message to ``folder`` (private) and logs where it is."""

    folder: Path
    sender: str

    def send(self, message: Message) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.folder / f"{time.time_ns()}-{secrets.token_hex(4)}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(message.as_email(self.sender)))
        tmp.chmod(0o600)
        tmp.replace(path)
        log.info("mail to %s (%s) written to %s", message.to, message.subject, path)


@dataclass(frozen=True)
class SmtpMailer:
    """Sends through an SMTP relay (STARTTLS unless turned off, login when a user is set)."""

    cfg: PortalSettings
    timeout_s: float = 15.0

    def send(self, message: Message) -> None:
        c = self.cfg
        try:
            with smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=self.timeout_s) as smtp:
                if c.smtp_starttls:
                    smtp.starttls()
                if c.smtp_user:
                    smtp.login(c.smtp_user, c.smtp_password)
                smtp.send_message(message.as_email(c.mail_from))
        except (OSError, smtplib.SMTPException) as exc:
            raise Unavailable(
                f"cannot send mail through {c.smtp_host}:{c.smtp_port}: {exc}; check SELFCAST_PORTAL__SMTP_*"
            ) from exc


def from_settings(settings: Settings) -> Mailer:
    cfg = settings.portal
    if cfg.smtp_host:
        return SmtpMailer(cfg)
    return LogMailer(Path(settings.data_dir) / "mail", cfg.mail_from)


def read_outbox(folder: Path) -> list[Message]:
    """The messages a ``LogMailer`` wrote, oldest first (operators and tests read links here)."""
    from email import policy
    from email.parser import BytesParser

    out = []
    for path in sorted(folder.glob("*.eml")):
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        body = msg.get_body(("plain",))
        out.append(Message(str(msg["To"]), str(msg["Subject"]), body.get_content() if body else ""))
    return out
