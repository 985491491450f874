"""cancel RUN waits until the run's jobs are final and reports them, whoever drives the run;
it stops the run's schedules unless --keep-schedules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.engine.identity import JOB_LABEL
from orchestrator.ledger import Ledger
from orchestrator.model import JobStatus
from tests.helpers.cli import cli, connection, last_json, write_manifest
from tests.helpers.runs import server_jobs
from tests.helpers.wait import wait_for

MIXED_WITH_CRON = """\
version: 1
name: mixed-cron
defaults: {pipelineYamlPath: p.yaml, timeout: 600}
jobs:
  - name: "quick"
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.05"}
  - name: "long-{{ i }}"
    matrix: {i: [1, 2]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "300"}
  - name: "nightly-{{ i }}"
    matrix: {i: [1, 2]}
    schedule: "0 5 * * 1"
"""

NIGHTLY = """\
version: 1
name: nightly
defaults: {pipelineYamlPath: p.yaml, timeout: 600}
jobs:
  - name: "nightly-{{ i }}"
    matrix: {i: [1, 2, 3]}
    schedule: "0 5 * * 1"
"""


def quick_done_long_running(state: Path, run_id: str) -> bool:
    with Ledger(state) as ledger:
        counts = ledger.counts(run_id)
    return counts.done == 1 and counts.by_status.get("in progress", 0) == 2


def test_cancel_of_a_detached_run_returns_with_everything_final(
    platform: Any, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path, MIXED_WITH_CRON)
    state = tmp_path / "state"
    detached = cli("run", manifest, *connection(platform, state), "--detach")
    assert detached.returncode == 0, detached.stderr
    run_id = detached.stdout.strip()
    wait_for(lambda: quick_done_long_running(state, run_id), timeout=60, what="long running")

    result = cli("cancel", run_id, *connection(platform, state), "--yes", "-o", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["matched"], report["cancelled"], report["already_final"]) == (5, 4, 1)
    assert (report["not_found"], report["still_running"], report["schedules_cancelled"]) == (
        0,
        0,
        2,
    )
    jobs = server_jobs(platform.url, platform.token, run_id)  # read once cancel returned
    assert sorted(j.status.value for j in jobs) == ["cancelled"] * 4 + ["done"]
    assert all(j.status is JobStatus.DONE for j in jobs if j.parameters and
               j.parameters[JOB_LABEL] == "quick")  # fmt: skip

    watched = cli("watch", run_id, "--state-dir", state, "--output", "json", "--interval", "0.1")
    summary = last_json(watched.stdout)
    # The driver settled its cron jobs as "scheduled" when it created them; the cancel
    # settles them "cancelled" in the ledger too (issue 22): every view says what happened.
    assert (summary["done"], summary["cancelled"], summary["scheduled"]) == (1, 4, 0), summary


def test_cancel_run_stops_its_schedules_unless_kept(platform: Any, tmp_path: Path) -> None:
    state = tmp_path / "state"
    done = cli(
        "run", write_manifest(tmp_path, NIGHTLY), *connection(platform, state), "--output", "json"
    )
    assert done.returncode == 0, done.stderr
    run_id = last_json(done.stdout)["run"]

    asked = cli("cancel", run_id, *connection(platform, state), input="n\n")
    assert f"3 unfinished job(s) of run {run_id}, 3 of them schedule(s) on" in asked.stderr
    kept = cli("cancel", run_id, *connection(platform, state), "--keep-schedules", "--yes")
    assert kept.returncode == 0, kept.stderr
    assert "cancelled: 0" in kept.stdout
    assert {j.status for j in server_jobs(platform.url, platform.token, run_id)} == {
        JobStatus.SCHEDULED
    }

    stopped = cli("cancel", run_id, *connection(platform, state), "--yes")
    assert stopped.returncode == 0, stopped.stderr
    assert "cancelled: 3" in stopped.stdout and "schedules stopped: 3" in stopped.stdout
    assert {j.status for j in server_jobs(platform.url, platform.token, run_id)} == {
        JobStatus.CANCELLED
    }
