"""How the store writes times: fixed-width UTC ISO-8601 text, so that text order is time order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Returns the current time (timezone-aware). Tests pass their own to control time."""

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def to_db(moment: datetime) -> str:
    """Store form: UTC, microseconds, always 27 characters (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_FORMAT)


def from_db(text: str | None) -> datetime | None:
    """Inverse of :func:`to_db`; ``None`` stays ``None``."""
    if text is None:
        return None
    return datetime.fromisoformat(text)  # C-fast; reads the trailing Z as UTC (3.11+)


def to_api(moment: datetime | None) -> str | None:
    """API form: ISO-8601 in UTC with millisecond precision and a ``Z``, as Prisma prints it."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_api(text: str) -> datetime:
    """Parse an ISO-8601 string from a client; a missing zone means UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
