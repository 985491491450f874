"""Cron schedules: validate five-field expressions and work out which run is due.

A schedule is read in its job's ``timezone`` (an IANA name; UTC when none is given), as the
hosted platform reads it: ``0 2 * * *`` in America/New_York is due at 02:00 New York time,
07:00 or 06:00 UTC depending on daylight saving. Due times are handed out in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter


class ScheduleError(ValueError):
    """The expression is not a five-field cron expression."""


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A validated five-field cron expression, evaluated in its time zone."""

    expression: str
    zone: tzinfo = field(default=UTC)

    @classmethod
    def parse(cls, expression: str, timezone: str | None = None) -> CronSchedule:
        """Validate ``expression`` (and ``timezone``, an IANA name); raises ScheduleError
        with the reason."""
        zone: tzinfo = UTC
        if timezone:
            try:
                zone = ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ScheduleError(f"timezone {timezone!r} is not a known time zone") from None
        fields = expression.split()
        if len(fields) != 5:
            raise ScheduleError(
                f"schedule {expression!r} must have five fields (minute hour day month weekday)"
            )
        if not croniter.is_valid(" ".join(fields)):
            raise ScheduleError(f"schedule {expression!r} is not a valid cron expression")
        return cls(" ".join(fields), zone)

    def next_after(self, moment: datetime) -> datetime:
        """The first due time strictly after ``moment``."""
        result = croniter(self.expression, _utc(moment).astimezone(self.zone)).get_next(datetime)
        assert isinstance(result, datetime)
        return _utc(result)

    def latest_due(self, after: datetime, now: datetime) -> datetime | None:
        """The last due time in ``(after, now]``, or None when none fell in it.

        Several due times missed at once (a platform that was down, a clock that jumped)
        collapse into one run, the latest, like anacron does.
        """
        first = self.next_after(after)
        if first > now:
            return None
        result = croniter(self.expression, _utc(now).astimezone(self.zone)).get_prev(datetime)
        assert isinstance(result, datetime)
        latest = _utc(result)
        # get_prev is strictly before now; now itself may be a due time
        return _utc(now) if self.next_after(latest) == _utc(now) else max(latest, first)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
