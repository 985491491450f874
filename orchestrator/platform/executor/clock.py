"""Where the executor's scheduler reads the time, so tests can move it instead of waiting.

Production uses :class:`SystemClock`. :class:`FileClock` reads an ISO-8601 instant from a file
that a test rewrites to step time forward; the platform uses it only when the environment
variable named by :data:`CLOCK_FILE_VARIABLE` is set (documented as a testing hook).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

CLOCK_FILE_VARIABLE = "ORCHESTRATOR_PLATFORM_CLOCK_FILE"


class Clock(Protocol):
    """A source of the current time (timezone-aware, UTC)."""

    def now(self) -> datetime:
        """The current instant."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        """The current instant."""
        return datetime.now(UTC)


class FileClock:
    """The instant written in a file; the real time while the file is missing or unreadable."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        """The instant in the file (naive values are taken as UTC)."""
        try:
            text = self.path.read_text(encoding="utf-8").strip()
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except (OSError, ValueError):
            return datetime.now(UTC)
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def clock_from_environment(environ: Mapping[str, str] = os.environ) -> Clock:
    """A FileClock when the testing hook is set, else the system clock."""
    path = environ.get(CLOCK_FILE_VARIABLE)
    return FileClock(Path(path)) if path else SystemClock()
