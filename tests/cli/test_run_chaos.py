"""A run against a platform that fails requests on purpose (HTTP 5xx, 429, dropped
connections before and after executing, seeded): lost create replies are reconciled, and
transient errors never consume a job's retries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers.cli import connection, invoke, last_json, write_manifest
from tests.helpers.runs import attempt_counts, server_jobs

MANIFEST = """\
version: 1
name: chaos
defaults: {pipelineYamlPath: p.yaml, timeout: 60}
jobs:
  - name: "ok-{{ i }}"
    matrix: {i: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.02"}
  - name: fails
    maxRetries: 1
    parameters: {SIM_OUTCOME: failed, SIM_DURATION: "0.02"}
policy:
  maxInFlight: 8
  retry: {backoff: 0.05s, maxBackoff: 0.1s}
"""


def test_chaos_neither_duplicates_attempts_nor_spends_retries(
    platform_factory: Any, tmp_path: Path
) -> None:
    platform = platform_factory(
        chaos="error_rate=0.1,throttle_rate=0.05,drop_rate=0.3,retry_after_seconds=0", seed=7
    )
    manifest = write_manifest(tmp_path, MANIFEST)
    result = invoke(
        "run",
        manifest,
        *connection(platform, tmp_path / "state"),
        "--log-level",
        "info",
        "--output",
        "json",
    )
    assert result.returncode == 1, result.stderr
    summary = last_json(result.stdout)
    assert (summary["jobs"], summary["done"], summary["failed"]) == (13, 12, 1)
    assert (summary["attempts"], summary["retried"]) == (14, 1)
    counts = attempt_counts(server_jobs(platform.url, platform.token, summary["run"]))
    assert sum(counts.values()) == 14
    assert set(counts.values()) == {1}
    assert platform.token not in result.stdout + result.stderr
    assert "reconcile.done" in result.stderr  # a create reply was lost and looked up
