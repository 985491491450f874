"""A manifest's ``timezone`` is applied to its cron schedule (the platform reads the schedule
in that zone, on a fixed clock), and a zone nobody knows is refused with exit 2: never
ignored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orchestrator.model import JobStatus
from orchestrator.platform.executor.cron import CronSchedule, ScheduleError
from orchestrator.platform.store.model import SCHEDULED_RUN_TIME
from tests.helpers.cli import cli, connection, write_manifest
from tests.helpers.clock import PlatformClock
from tests.helpers.runs import only_run_id, server_jobs
from tests.helpers.wait import wait_for

MANIFEST = """\
version: 1
name: nightly
defaults: {pipelineYamlPath: p.yaml}
jobs:
  - name: nightly
    schedule: "0 2 * * *"
    timezone: ZONE
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.05"}
"""


def test_a_schedule_is_read_in_its_time_zone_across_daylight_saving() -> None:
    schedule = CronSchedule.parse("0 2 * * *", "America/New_York")
    winter = schedule.next_after(datetime(2025, 3, 1, 1, 0, tzinfo=UTC))
    summer = schedule.next_after(datetime(2025, 7, 1, 1, 0, tzinfo=UTC))
    assert winter == datetime(2025, 3, 1, 7, 0, tzinfo=UTC)  # 02:00 EST
    assert summer == datetime(2025, 7, 1, 6, 0, tzinfo=UTC)  # 02:00 EDT
    assert CronSchedule.parse("0 2 * * *").next_after(winter) == datetime(
        2025, 3, 2, 2, 0, tzinfo=UTC
    )
    with pytest.raises(ScheduleError, match="Mars/Olympus"):
        CronSchedule.parse("0 2 * * *", "Mars/Olympus")


def test_an_unknown_time_zone_is_refused_before_anything_runs(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, MANIFEST.replace("ZONE", "America/Gotham"))
    result = cli("plan", manifest)
    assert result.returncode == 2
    assert "timezone 'America/Gotham' is not a known IANA time zone name" in result.stderr


@pytest.mark.integration
def test_the_platform_fires_a_cron_job_at_its_local_time(
    platform_factory: Any, tmp_path: Path, platform_clock: PlatformClock
) -> None:
    platform_clock.set("2025-03-01T01:00:00Z")
    platform = platform_factory()
    manifest = write_manifest(tmp_path, MANIFEST.replace("ZONE", "America/New_York"))
    state = tmp_path / "state"
    result = cli("run", manifest, *connection(platform, state), "-o", "json")
    assert result.returncode == 0, result.stderr
    run_id = only_run_id(state)

    def spawned() -> list[str]:
        jobs = server_jobs(platform.url, platform.token, run_id)
        return [
            (j.parameters or {}).get(SCHEDULED_RUN_TIME, "")
            for j in jobs
            if j.status is not JobStatus.SCHEDULED
        ]

    # 02:00 in New York (EST, UTC-5); read in UTC, the run due would be 02:00Z's
    platform_clock.set("2025-03-01T07:00:30Z")
    wait_for(lambda: len(spawned()) == 1, what="the run due at 02:00 New York time")
    (due,) = spawned()
    assert due.startswith("2025-03-01T07:00:00"), due
