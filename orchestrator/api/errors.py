"""What can go wrong when talking to the platform, split by what the caller can do about it.

``TransientError``: try again later (the client already did, with backoff, and gave up).
``SubmitOutcomeUnknown``: a create was sent and no answer came back, so the jobs may exist;
the caller must look them up by their labels before submitting again.
``PermanentError``: trying again cannot help; the message says what to fix.

No message ever contains the token: every message built from server or transport text goes
through :func:`redact` first.
"""

from __future__ import annotations

from collections.abc import Sequence

from orchestrator.errors import EXIT_PLATFORM, EXIT_USAGE, OrchestratorError
from orchestrator.model import JobCreate, JobState

REDACTED = "***"


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced, so no error or log can leak it."""
    if not secret:
        return text
    return text.replace(secret, REDACTED)


class PlatformError(OrchestratorError):
    """Base of every error the platform client raises.

    ``created`` is filled only by ``create_jobs``: aligned with the jobs passed in, the state of
    each job that *was* created by the same call before the failure (``None`` elsewhere), so a
    caller never loses track of a job that exists.
    """

    def __init__(self, message: str, *, created: Sequence[JobState | None] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.created: tuple[JobState | None, ...] = tuple(created)

    def __str__(self) -> str:
        return self.message


class TransientError(PlatformError):
    """Connection errors, timeouts, 5xx, 429: retried by the client until its budget ran out."""

    exit_code = EXIT_PLATFORM

    def report(self) -> str:
        return f"error: the platform is unreachable, try again later: {self}"


class SubmitOutcomeUnknown(TransientError):
    """A create request was sent but no reply came: its jobs may or may not exist.

    ``jobs`` holds the :class:`JobCreate` values concerned. Resubmitting them blindly could
    duplicate them; look them up by their labels first.
    """

    def __init__(
        self,
        message: str,
        jobs: Sequence[JobCreate],
        *,
        created: Sequence[JobState | None] = (),
    ) -> None:
        super().__init__(message, created=created)
        self.jobs: tuple[JobCreate, ...] = tuple(jobs)


class PermanentError(PlatformError):
    """Validation error, unknown field, bad input: trying again cannot help."""

    exit_code = EXIT_USAGE


class AuthenticationError(PermanentError):
    """The platform refused the token (missing, wrong or expired)."""

    exit_code = EXIT_PLATFORM


__all__ = [
    "AuthenticationError",
    "PermanentError",
    "PlatformError",
    "SubmitOutcomeUnknown",
    "TransientError",
    "redact",
]
