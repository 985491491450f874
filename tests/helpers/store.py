"""A store on a temporary file with a clock the test moves by hand (no server, no waiting)."""

from __future__ import annotations

from datetime import UTC, datetime

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class ManualClock:
    """A clock the test moves by hand (in the past, so simulated due times have passed)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now
