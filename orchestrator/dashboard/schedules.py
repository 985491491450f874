"""A cron job's next fire time, as the overview's schedules table shows it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, croniter


def next_fire(schedule: object, timezone: object, now: datetime) -> str:
    """The next time ``schedule`` fires after ``now`` (UTC, ``YYYY-MM-DD HH:MM``), in its
    ``timezone`` when it names one; ``""`` for a schedule that cannot be read."""
    if not isinstance(schedule, str) or not schedule.strip():
        return ""
    try:
        zone = ZoneInfo(timezone) if isinstance(timezone, str) and timezone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    try:
        fire = croniter(schedule.strip(), now.astimezone(zone)).get_next(datetime)
    except (CroniterBadCronError, CroniterBadDateError, ValueError, KeyError):
        return ""
    return f"{fire.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
