"""The error taxonomy shared by every layer.

Each error carries a stable ``code``; the API maps codes to HTTP statuses and the CLI/skill to
exit codes, so callers branch on the code, never on message text.
"""

from __future__ import annotations


class SelfcastError(Exception):
    """Base of all expected failures. ``message`` says what is wrong and what to do."""

    code = "internal"
    http_status = 500
    exit_code = 70

    def __init__(self, message: str, *, detail: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or {}

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, **({"detail": self.detail} if self.detail else {})}


class BadInput(SelfcastError):
    code, http_status, exit_code = "bad_input", 400, 2


class TooLarge(BadInput):
    code, http_status = "too_large", 413


class Unauthorized(SelfcastError):
    code, http_status, exit_code = "unauthorized", 401, 1


class Forbidden(SelfcastError):
    code, http_status, exit_code = "forbidden", 403, 1  # authenticated, but not allowed to do this


class NotFound(SelfcastError):
    code, http_status, exit_code = "not_found", 404, 3


class Conflict(SelfcastError):
    code, http_status, exit_code = "conflict", 409, 3


class InsufficientCredits(SelfcastError):
    code, http_status, exit_code = "insufficient_credits", 402, 6


class RateLimited(SelfcastError):
    code, http_status, exit_code = "rate_limited", 429, 7  # detail["retry_after_s"]: when to try again


class PlatformBlocked(SelfcastError):
    code, http_status, exit_code = "platform_blocked", 502, 4


class PlatformDenied(SelfcastError):
    code, http_status, exit_code = "platform_denied", 502, 4


class PlatformNotFound(SelfcastError):
    code, http_status, exit_code = "platform_not_found", 502, 4


class NetworkError(SelfcastError):  # the meeting host could not be reached (DNS, refused, reset)
    code, http_status, exit_code = "network_error", 502, 4


class Timeout(SelfcastError):
    code, http_status, exit_code = "timeout", 504, 5


class Unavailable(SelfcastError):
    """A component (engine, provider, browser) is not installed or not reachable."""

    code, http_status, exit_code = "unavailable", 503, 4


class DiskFull(SelfcastError):  # a write found the server's disk (or quota) full: 507, nothing half-written
    code, http_status, exit_code = "disk_full", 507, 74


class Internal(SelfcastError):
    code, http_status, exit_code = "internal", 500, 70
