"""A cron job on the real local platform: its spawned runs copy every parameter, identity
labels included. A reconcile after SIGKILL must adopt the cron job (left scheduled) and cancel
nothing; `cancel RUN` must count and cancel the cron job, not its runs."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from orchestrator.engine.identity import JOB_LABEL
from orchestrator.ledger import Ledger
from orchestrator.model import JobState, JobStatus
from tests.helpers.cli import cli, connection, last_json, write_manifest
from tests.helpers.clock import PlatformClock
from tests.helpers.runs import only_run_id, open_intents, server_jobs
from tests.helpers.wait import wait_for

MANIFEST = """\
version: 1
name: cron
defaults: {pipelineYamlPath: p.yaml}
jobs:
  - name: nightly
    schedule: "* * * * *"
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "120"}
  - name: plain
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.05"}
"""


def test_a_reconciled_cron_job_stays_scheduled_and_its_runs_are_left_alone(
    platform_factory: Any, tmp_path: Path, platform_clock: PlatformClock
) -> None:
    platform_clock.set("2025-03-01T10:00:30Z")
    platform = platform_factory()
    manifest = write_manifest(tmp_path, MANIFEST)
    state = tmp_path / "state"
    options = connection(platform, state)

    crashed = cli("run", manifest, *options, env={"ORCHESTRATOR_TEST_CRASH_AT": "after_create"})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    run_id = only_run_id(state)
    with Ledger(state) as ledger:
        (intent,) = [a for a in open_intents(ledger, run_id) if a.key.startswith("nightly")]
        cron_key = intent.key

    def cron_jobs() -> list[JobState]:
        jobs = server_jobs(platform.url, platform.token, run_id)
        return [j for j in jobs if j.parameters and j.parameters[JOB_LABEL] == cron_key]

    (cron,) = cron_jobs()
    assert cron.status is JobStatus.SCHEDULED
    for minute in (1, 2):  # each due time spawns a run carrying the cron job's labels
        platform_clock.set(f"2025-03-01T10:0{minute}:00Z")
        wait_for(lambda n=minute: len(cron_jobs()) == n + 1, what=f"{minute} spawned run(s)")

    resumed = cli("resume", run_id, *options, "--output", "json")
    assert resumed.returncode == 0, resumed.stderr
    assert last_json(resumed.stdout)["cancelled"] == 0
    statuses = {j.id: j.status for j in cron_jobs()}
    assert statuses.pop(cron.id) is JobStatus.SCHEDULED
    assert len(statuses) == 2 and JobStatus.CANCELLED not in statuses.values()
    with Ledger(state) as ledger:
        assert [a.job_id for a in ledger.attempts(run_id, cron_key)] == [cron.id]

    dry = json.loads(cli("cancel", run_id, *options, "--dry-run", "--output", "json").stdout)
    # The run's attempts (the cron job and the plain job, done), not the cron job's runs.
    assert sorted(j["status"] for j in dry["items"]) == ["done", "scheduled"]
    cancelled = cli("cancel", run_id, *options, "--yes", "--output", "json")
    report = json.loads(cancelled.stdout)
    assert (report["cancelled"], report["already_final"]) == (1, 1), cancelled.stderr
    assert report["schedules_cancelled"] == 1
    after = {j.id: j.status for j in cron_jobs()}
    assert after.pop(cron.id) is JobStatus.CANCELLED
    assert JobStatus.CANCELLED not in after.values()
