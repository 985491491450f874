"""The time a platform's cron scheduler sees, set by a test (no waiting for real minutes)."""

from __future__ import annotations

from pathlib import Path


class PlatformClock:
    """A file behind the platform's documented clock hook
    (:data:`~orchestrator.platform.executor.clock.CLOCK_FILE_VARIABLE`): every platform the
    test starts after the hook is set reads the time from it, as the test moves it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self, moment: str) -> None:
        """Move the clock to ``moment`` (ISO-8601, e.g. ``2025-03-01T10:00:30Z``)."""
        self.path.write_text(moment)
