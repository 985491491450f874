"""The cron scheduler's clock, which tests can move instead of waiting a minute.

A clock is the store's :data:`orchestrator.platform.store.timestamps.Clock` (a callable returning
an aware datetime). :class:`FileClock` reads an ISO-8601 instant from a file that a test
rewrites to step time forward; the platform uses it only when the environment variable
:data:`CLOCK_FILE_VARIABLE` is set (a documented testing hook), and only for cron.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from orchestrator.platform.store.timestamps import Clock, utc_now

CLOCK_FILE_VARIABLE = "ORCHESTRATOR_PLATFORM_CLOCK_FILE"


class FileClock:
    """The instant written in a file; the real time while the file is missing or unreadable."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self) -> datetime:
        """The instant in the file (naive values are taken as UTC)."""
        try:
            text = self.path.read_text(encoding="utf-8").strip()
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except (OSError, ValueError):
            return utc_now()
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def clock_from_environment(environ: Mapping[str, str] = os.environ) -> Clock:
    """A FileClock when the testing hook is set, else the real clock."""
    path = environ.get(CLOCK_FILE_VARIABLE)
    return FileClock(Path(path)) if path else utc_now
