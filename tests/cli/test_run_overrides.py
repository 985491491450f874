"""`run --max-in-flight/--deadline/--fail-fast` override the manifest's policy and are
recorded with the run (so `resume` drives it the same way); `plan -` reads stdin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.ledger import Ledger
from tests.helpers.cli import connection, invoke, last_json, write_manifest

BODY = """\
version: 1
name: small
defaults: {pipelineYamlPath: p.yaml, timeout: 60}
jobs:
  - name: "j-{{ i }}"
    matrix: {i: [1, 2]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.05"}
policy: {maxInFlight: 50}
"""


def test_overrides_are_recorded_with_the_run(platform: Any, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, BODY)
    state = tmp_path / "state"
    result = invoke(
        "run", manifest, *connection(platform, state), "-o", "json",
        "--max-in-flight", "1", "--deadline", "1h30m", "--fail-fast",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = last_json(result.stdout)
    assert (summary["done"], summary["failures"], summary["lost"]) == (2, [], 0)
    with Ledger(state) as ledger:
        policy = ledger.get_run(summary["run"]).policy
    assert (policy.max_in_flight, policy.deadline_seconds, policy.fail_fast) == (1, 5400.0, True)


def test_a_bad_override_is_a_usage_error(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, BODY)
    result = invoke("run", manifest, "--state-dir", tmp_path / "s", "--deadline", "soon")
    assert result.returncode == 2
    assert "expected a duration" in result.stderr
    assert not (tmp_path / "s").exists()


def test_plan_reads_the_manifest_from_stdin(tmp_path: Path) -> None:
    write_manifest(tmp_path, BODY)
    result = invoke("plan", "-", "-o", "json", input=BODY)
    assert result.returncode == 0, result.stderr
    assert [job["name"] for job in json.loads(result.stdout)] == ["small-j-1", "small-j-2"]
