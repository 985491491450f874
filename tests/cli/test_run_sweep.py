"""`orchestrator run` against a real local platform (simulate executor): retries with the
exact number of attempts, deadline, fail-fast, exit codes and outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.model import JobStatus
from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.cli import cli, connection, invoke, last_json, write_manifest
from tests.helpers.runs import attempt_counts, server_jobs

SWEEP = """\
version: 1
name: sweep
defaults:
  pipelineYamlPath: p.yaml
  timeout: 60
jobs:
  - name: "ok-{{ i }}"
    matrix: {i: [1, 2, 3, 4]}
    maxRetries: 3
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.05"}
  - name: always-fails
    maxRetries: 2
    parameters: {SIM_OUTCOME: failed, SIM_DURATION: "0.05"}
  - name: times-out
    maxRetries: 1
    parameters: {SIM_OUTCOME: timed out, SIM_DURATION: "0.05"}
policy:
  maxInFlight: 3
  retry: {backoff: 0.05s, maxBackoff: 0.1s}
"""


# one xdist worker runs this module (make test: --dist loadgroup): one shared platform
pytestmark = pytest.mark.xdist_group("run-sweep")


@pytest.fixture
def platform(shared_platform: LocalPlatform) -> LocalPlatform:
    """One platform for the module: each test finds its jobs by its own run's label."""
    return shared_platform


def run_json(platform: Any, manifest: Path, state: Path, *extra: str) -> tuple[int, dict]:
    result = invoke("run", manifest, *connection(platform, state), "--output", "json", *extra)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, last_json(result.stdout)


def test_sweep_retries_until_each_budget_is_spent(platform: Any, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, SWEEP)
    code, summary = run_json(platform, manifest, tmp_path / "state")
    assert code == 1
    assert {k: summary[k] for k in ("jobs", "done", "failed", "timed_out", "cancelled")} == {
        "jobs": 6,
        "done": 4,
        "failed": 1,
        "timed_out": 1,
        "cancelled": 0,
    }
    assert (summary["attempts"], summary["retried"]) == (4 + 3 + 2, 3)
    jobs = server_jobs(platform.url, platform.token, summary["run"])
    counts = attempt_counts(jobs)
    assert len(jobs) == 9
    assert set(counts.values()) == {1}
    fails = sorted(a for (k, a) in counts if "always-fails" in k)
    assert fails == ["1", "2", "3"]
    listed = json.loads(
        invoke("runs", "--state-dir", tmp_path / "state", "--output", "json").stdout
    )
    assert [(r["run"], r["state"], r["attempts"]) for r in listed] == [
        (summary["run"], "finished", 9)
    ]


def test_all_done_exits_zero_and_jsonl_streams_events(platform: Any, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, SWEEP.split("  - name: always-fails")[0])
    # a real process: the jsonl printer binds sys.stdout when its module is imported
    result = cli("run", manifest, *connection(platform, tmp_path / "state"), "--output", "jsonl")
    assert result.returncode == 0, result.stderr
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("{")]
    kinds = [last_json(ln)["event"] for ln in lines]
    assert kinds.count("submitted") == 4
    assert kinds.count("finished") == 4
    assert kinds[-1] == "summary"
    assert platform.token not in result.stdout + result.stderr


def test_text_output_puts_the_summary_on_a_line_of_its_own(platform: Any, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, SWEEP.replace("[1, 2, 3, 4]", "[1]"))
    result = invoke("run", manifest, *connection(platform, tmp_path / "s"), merge_stderr=True)
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    (verdict,) = [i for i, line in enumerate(lines) if "Run " in line]
    assert lines[verdict].startswith("Run "), lines[verdict]  # progress (stderr) ended its line
    assert lines[verdict - 1].rstrip().endswith("jobs/s")
    assert result.stdout.endswith("\n")


def test_deadline_cancels_what_is_not_final(platform: Any, tmp_path: Path) -> None:
    body = """\
version: 1
name: slow
defaults: {pipelineYamlPath: p.yaml, timeout: 600}
jobs:
  - name: quick
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.01"}
  - name: "slow-{{ i }}"
    matrix: {i: [1, 2, 3, 4, 5, 6]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "60"}
policy: {maxInFlight: 4, deadline: 3s}
"""
    code, summary = run_json(platform, write_manifest(tmp_path, body), tmp_path / "state")
    assert code == 1
    assert (summary["jobs"], summary["done"], summary["cancelled"]) == (7, 1, 6)
    statuses = {j.status for j in server_jobs(platform.url, platform.token, summary["run"])}
    assert statuses <= {JobStatus.DONE, JobStatus.CANCELLED}


def test_fail_fast_cancels_the_rest_on_first_final_failure(platform: Any, tmp_path: Path) -> None:
    body = """\
version: 1
name: ff
defaults: {pipelineYamlPath: p.yaml, timeout: 600}
jobs:
  - name: broken
    parameters: {SIM_OUTCOME: failed, SIM_DURATION: "0.2"}
  - name: "long-{{ i }}"
    matrix: {i: [1, 2, 3, 4, 5]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "60"}
policy: {maxInFlight: 3, failFast: true}
"""
    code, summary = run_json(platform, write_manifest(tmp_path, body), tmp_path / "state")
    assert code == 1
    assert (summary["jobs"], summary["failed"], summary["cancelled"]) == (6, 1, 5)
    jobs = server_jobs(platform.url, platform.token, summary["run"])
    assert len(jobs) <= 3
    assert {j.status for j in jobs} <= {JobStatus.FAILED, JobStatus.CANCELLED}


def test_bad_manifest_exits_two_with_located_message(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, "version: 1\nname: x\njobs: 3\n")
    result = invoke("run", manifest, "--state-dir", tmp_path / "state")
    assert result.returncode == 2
    assert "m.yaml:" in result.stderr
    assert result.stderr.rstrip().endswith("1 problem found")
    assert "Traceback" not in result.stderr


def test_unknown_run_and_missing_token_exit_two(tmp_path: Path) -> None:
    assert invoke("status", "nope", "--state-dir", tmp_path).returncode == 2
    manifest = write_manifest(tmp_path, SWEEP)
    result = invoke(
        "run",
        manifest,
        "--endpoint",
        "http://127.0.0.1:9/graphql",
        "--state-dir",
        tmp_path / "state",
    )
    assert result.returncode == 2
    assert "token" in result.stderr
