"""Crash safety: SIGKILL the run at named points (the ORCHESTRATOR_TEST_CRASH_AT hook, or
from outside once the ledger shows a state), then `resume`: every attempt exists exactly
once on the server, counted by identity labels."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest

from orchestrator.ledger import Ledger
from tests.helpers.cli import cli, connection, last_json, spawn_cli, write_manifest
from tests.helpers.runs import attempt_counts, only_run_id, server_jobs
from tests.helpers.wait import wait_for

MANIFEST = """\
version: 1
name: crashy
defaults: {pipelineYamlPath: p.yaml, timeout: 60}
jobs:
  - name: "ok-{{ i }}"
    matrix: {i: [1, 2, 3, 4, 5, 6]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.05"}
  - name: "flaky-{{ i }}"
    matrix: {i: [1, 2]}
    maxRetries: 1
    parameters: {SIM_OUTCOME: failed, SIM_DURATION: "0.05"}
policy:
  maxInFlight: 3
  retry: {backoff: 0.05s, maxBackoff: 0.1s}
"""
EXPECTED = {
    "jobs": 8,
    "done": 6,
    "failed": 2,
    "timed_out": 0,
    "cancelled": 0,
    "attempts": 10,
    "retried": 2,
    "lost": 0,
}


@pytest.mark.parametrize(
    "point",
    ["after_intent", "after_create:3", "after_submitted:2", "after_poll:4"],
)
def test_resume_after_sigkill_submits_every_attempt_once(
    platform: Any, tmp_path: Path, point: str
) -> None:
    manifest = write_manifest(tmp_path, MANIFEST)
    state = tmp_path / "state"
    crashed = cli(
        "run",
        manifest,
        *connection(platform, state),
        "--output",
        "json",
        env={"ORCHESTRATOR_TEST_CRASH_AT": point},
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    run_id = only_run_id(state)
    status = json.loads(cli("status", run_id, "--state-dir", state, "--output", "json").stdout)
    assert status["state"] == "interrupted"

    resumed = cli("resume", run_id, *connection(platform, state), "--output", "json")
    assert resumed.returncode == 1, resumed.stderr
    summary = last_json(resumed.stdout)
    assert {k: summary[k] for k in EXPECTED} == EXPECTED
    counts = attempt_counts(server_jobs(platform.url, platform.token, run_id))
    assert sum(counts.values()) == 10
    assert set(counts.values()) == {1}


def test_resume_after_external_sigkill_mid_run(platform: Any, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, MANIFEST.replace('"0.05"', '"0.3"'))
    state = tmp_path / "state"
    proc = spawn_cli("run", manifest, *connection(platform, state), "--output", "json", quiet=True)
    try:

        def some_done() -> bool:
            if not (state / "ledger.db").exists():
                return False
            with Ledger(state) as ledger:
                runs = ledger.list_runs()
                return bool(runs) and ledger.counts(runs[0].id).done >= 2

        wait_for(some_done, timeout=60, what="two jobs done")
    finally:
        proc.kill()
        proc.wait()
    run_id = only_run_id(state)
    resumed = cli("resume", run_id[:15], *connection(platform, state), "--output", "json")
    assert resumed.returncode == 1, resumed.stderr
    assert {k: last_json(resumed.stdout)[k] for k in EXPECTED} == EXPECTED
    counts = attempt_counts(server_jobs(platform.url, platform.token, run_id))
    assert sum(counts.values()) == 10 and set(counts.values()) == {1}


def test_retry_resubmits_failed_jobs_with_a_fresh_budget(platform: Any, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, MANIFEST)
    state = tmp_path / "state"
    first = cli("run", manifest, *connection(platform, state), "--output", "json")
    assert first.returncode == 1
    run_id = last_json(first.stdout)["run"]
    again = cli("retry", run_id, *connection(platform, state), "--output", "json")
    assert again.returncode == 1, again.stderr
    summary = last_json(again.stdout)
    assert (summary["done"], summary["failed"], summary["attempts"]) == (6, 2, 14)
    counts = attempt_counts(server_jobs(platform.url, platform.token, run_id))
    assert sorted(a for (k, a) in counts if "flaky-1" in k) == ["1", "2", "3", "4"]
