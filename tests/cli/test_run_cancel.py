"""Cancel through the CLI, in process: every scheduled job, per run or by parameter, and
usage errors (a driven or undriven run: tests/acceptance/test_cancel_driven_runs.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.model import JobStatus
from tests.helpers.cli import connection, invoke, last_json, write_manifest
from tests.helpers.runs import server_jobs

SCHEDULED = """\
version: 1
name: nightly
defaults: {pipelineYamlPath: p.yaml, timeout: 600}
jobs:
  - name: "nightly-{{ i }}"
    matrix: {i: [1, 2, 3]}
    schedule: "0 5 * * 1"
    parameters: {TEAM: "{{ team }}"}
    items: [{team: TEAM_VALUE}]
"""


def test_cancel_scheduled_jobs_everywhere_or_per_run(platform: Any, tmp_path: Path) -> None:
    state = tmp_path / "state"
    runs = []
    for team in ("red", "blue", "green"):
        manifest = write_manifest(tmp_path, SCHEDULED.replace("TEAM_VALUE", team), f"{team}.yaml")
        done = invoke("run", manifest, *connection(platform, state), "--output", "json")
        assert done.returncode == 0, done.stderr
        runs.append(last_json(done.stdout)["run"])

    conn = connection(platform, state)
    dry = invoke("cancel", "--scheduled", *conn, "--dry-run", "-o", "json")
    assert json.loads(dry.stdout)["matched"] == 9
    one = invoke("cancel", "--scheduled", "--run", runs[0], *conn, "--yes", "--output", "json")
    assert json.loads(one.stdout)["cancelled"] == 3
    by_label = invoke("cancel", "--where", "TEAM=blue", *conn, "--yes", "--output", "json")
    assert json.loads(by_label.stdout)["cancelled"] == 3
    rest = invoke("cancel", "--scheduled", *conn, "--yes", "--output", "json")
    assert json.loads(rest.stdout)["cancelled"] == 3
    for run_id in runs:
        jobs = server_jobs(platform.url, platform.token, run_id)
        assert {j.status for j in jobs} == {JobStatus.CANCELLED}


def test_cancel_usage_errors_exit_two(tmp_path: Path) -> None:
    assert invoke("cancel", "--state-dir", tmp_path).returncode == 2
    assert (
        invoke(
            "cancel",
            "--where",
            "novalue",
            "--state-dir",
            tmp_path,
            "--endpoint",
            "http://127.0.0.1:9/graphql",
            "--token",
            "t",
        ).returncode
        == 2
    )
