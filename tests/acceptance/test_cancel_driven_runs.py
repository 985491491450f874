"""Cancel of a run through the CLI, in real processes: a driven run (after --detach, followed
by watch) and an undriven run (its driver SIGKILLed); finished jobs are never touched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.engine.identity import JOB_LABEL
from orchestrator.ledger import Ledger
from orchestrator.model import JobStatus
from tests.helpers.cli import cli, connection, last_json, spawn_cli, write_manifest
from tests.helpers.runs import only_run_id, run_recorded, server_jobs
from tests.helpers.wait import wait_for

MIXED = """\
version: 1
name: mixed
defaults: {pipelineYamlPath: p.yaml, timeout: 600}
jobs:
  - name: "quick-{{ i }}"
    matrix: {i: [1, 2, 3]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.05"}
  - name: "long-{{ i }}"
    matrix: {i: [1, 2, 3]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "120"}
policy: {maxInFlight: 10}
"""


def quick_done_long_running(state: Path, run_id: str) -> bool:
    with Ledger(state) as ledger:
        counts = ledger.counts(run_id)
    return counts.done == 3 and counts.by_status.get("in progress", 0) == 3


def assert_quick_done_long_cancelled(platform: Any, run_id: str) -> None:
    for job in server_jobs(platform.url, platform.token, run_id):
        assert job.parameters is not None
        expected = JobStatus.DONE if "quick" in job.parameters[JOB_LABEL] else JobStatus.CANCELLED
        assert job.status is expected


def test_detach_watch_and_cancel_a_driven_run(platform: Any, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, MIXED)
    state = tmp_path / "state"
    detached = cli("run", manifest, *connection(platform, state), "--detach")
    assert detached.returncode == 0, detached.stderr
    run_id = detached.stdout.strip()
    assert run_id == only_run_id(state)
    wait_for(lambda: quick_done_long_running(state, run_id), timeout=60, what="quick jobs done")

    conn = connection(platform, state)
    dry = json.loads(cli("cancel", run_id, *conn, "--dry-run", "-o", "json").stdout)
    assert dry["matched"] == 6 and dry["dry_run"] is True
    assert sorted(job["status"] for job in dry["items"]) == ["done"] * 3 + ["in progress"] * 3
    cancelled = cli("cancel", run_id, *conn, "--yes", "-o", "json")
    assert cancelled.returncode == 0, cancelled.stderr
    report = json.loads(cancelled.stdout)
    assert (report["matched"], report["cancelled"], report["already_final"]) == (6, 3, 3)
    assert (report["not_found"], report["still_running"]) == (0, 0)
    assert_quick_done_long_cancelled(platform, run_id)  # final when cancel returned

    watched = cli("watch", run_id, "--state-dir", state, "--output", "json", "--interval", "0.1")
    assert watched.returncode == 1, watched.stderr
    summary = last_json(watched.stdout)
    assert (summary["done"], summary["cancelled"], summary["attempts"]) == (3, 3, 6)
    assert_quick_done_long_cancelled(platform, run_id)
    assert (state / "logs" / f"{run_id}.log").exists()


def test_cancel_an_undriven_run_after_its_driver_died(platform: Any, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, MIXED)
    state = tmp_path / "state"
    proc = spawn_cli("run", manifest, *connection(platform, state), "--output", "json", quiet=True)
    try:
        wait_for(lambda: (state / "ledger.db").exists(), timeout=30, what="ledger")
        wait_for(lambda: run_recorded(state), timeout=30, what="run")
        run_id = only_run_id(state)
        wait_for(lambda: quick_done_long_running(state, run_id), timeout=60, what="quick done")
    finally:
        proc.kill()
        proc.wait()

    no = cli("cancel", run_id, *connection(platform, state), input="n\n")
    # the question counts what the report will (matched 6): 3 to cancel, 3 final already
    assert (
        f"3 unfinished job(s) of run {run_id} (of its 6: 3 final already) on {platform.url}"
        in no.stderr
    )
    assert no.stderr.count("in progress") == 3  # the samples: id, name, status, age
    closed = cli("cancel", run_id, *connection(platform, state), input="")
    assert closed.returncode == 2 and "stdin is not a terminal; pass --yes" in closed.stderr
    result = cli("cancel", run_id, *connection(platform, state), "--yes", "--output", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["matched"], report["cancelled"], report["already_final"]) == (6, 3, 3)
    assert_quick_done_long_cancelled(platform, run_id)
    status = json.loads(cli("status", run_id, "--state-dir", state, "--output", "json").stdout)
    assert (status["state"], status["done"], status["cancelled"]) == ("finished", 3, 3)
