"""The runs a cron job fired are first-class, on a real local platform with a fixed clock:
``jobs RUN`` lists them under their cron job (ledger or ``--endpoint``), ``status`` counts
them and its digest names the failed ones, ``logs RUN KEY`` picks the latest (``--fire N``,
``--at TIME`` for others), and ``cancel --scheduled`` settles the cron job "cancelled" in
the ledger's views too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.model import JobStatus
from tests.helpers.cli import cli, connection, write_manifest
from tests.helpers.clock import PlatformClock
from tests.helpers.runs import only_run_id, server_jobs
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.integration

MANIFEST = """\
version: 1
name: cron
defaults: {pipelineYamlPath: p.yaml}
jobs:
  - name: nightly
    schedule: "* * * * *"
    parameters: {SIM_OUTCOME: failed, SIM_DURATION: "0.05"}
  - name: plain
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.05"}
"""


def test_fired_runs_are_listed_counted_digested_logged_and_cancelled(
    platform_factory: Any, tmp_path: Path, platform_clock: PlatformClock
) -> None:
    platform_clock.set("2025-03-01T10:00:30Z")
    platform = platform_factory()
    manifest = write_manifest(tmp_path, MANIFEST)
    state = tmp_path / "state"
    options = connection(platform, state)
    remote = ["--endpoint", platform.url, "--token", platform.token]
    assert cli("run", manifest, *options, "-o", "json").returncode == 0
    run_id = only_run_id(state)

    def fired_final() -> int:
        jobs = server_jobs(platform.url, platform.token, run_id)
        return sum(1 for j in jobs if j.status is JobStatus.FAILED)

    for minute in (1, 2):
        platform_clock.set(f"2025-03-01T10:0{minute}:00Z")
        wait_for(lambda n=minute: fired_final() == n, what=f"{minute} failed fired run(s)")

    # the ledger has no fired runs: it asks the run's endpoint (with the token given)
    for where in (["--state-dir", str(state), "--token", platform.token], remote):
        listed = cli("jobs", run_id, *where, "-o", "json")
        assert listed.returncode == 0, listed.stderr
        nightly = next(j for j in json.loads(listed.stdout) if j["key"] == "nightly")
        assert nightly["status"] == "scheduled"
        assert [(f["fire"], f["status"]) for f in nightly["fires"]] == [
            (1, "failed"),
            (2, "failed"),
        ]
        assert nightly["fires"][0]["due"].startswith("2025-03-01T10:01:00")
        table = cli("jobs", run_id, *where).stdout.splitlines()
        fire_rows = [line.split() for line in table if line.startswith("  fire")]
        assert [row[:2] + row[4:5] for row in fire_rows] == [
            ["fire", "1", "failed"],
            ["fire", "2", "failed"],
        ]

        status = cli("status", run_id, *where, "-o", "json")
        data = json.loads(status.stdout)
        assert data["fired"]["runs"] == 2 and data["fired"]["by_status"] == {"failed": 2}
        assert [f["key"] for f in data["failures"]] == ["nightly --fire 1", "nightly --fire 2"]
        text = cli("status", run_id, *where).stdout
        assert "fired runs of cron jobs 2: failed 2" in text
        assert "Failed jobs (2):" in text
        assert f"Read a log:  orchestrator logs {run_id} nightly --fire 1" in text

    latest = cli("logs", run_id, "nightly", *options)
    assert "== nightly (nightly) fire 2 (due 2025-03-01T10:02:00" in latest.stderr
    first = cli("logs", run_id, "nightly", "--fire", "1", *options)
    assert "fire 1 (due 2025-03-01T10:01:00" in first.stderr
    at = cli("logs", run_id, "nightly", "--at", "2025-03-01T10:02", *options)
    assert "fire 2 (due 2025-03-01T10:02:00" in at.stderr
    missing = cli("logs", run_id, "nightly", "--fire", "9", *options)
    assert missing.returncode == 2
    assert "job nightly has no such fired run" in missing.stderr

    cancelled = cli("cancel", "--scheduled", "--yes", *options, "-o", "json")
    assert cancelled.returncode == 0, cancelled.stderr
    assert json.loads(cancelled.stdout)["schedules_cancelled"] == 1
    after = json.loads(cli("status", run_id, "--state-dir", state, "-o", "json").stdout)
    assert (after["scheduled"], after["cancelled"]) == (0, 1)
    rows = json.loads(cli("jobs", run_id, "--state-dir", state, "-o", "json").stdout)
    assert next(j for j in rows if j["key"] == "nightly")["status"] == "cancelled"
