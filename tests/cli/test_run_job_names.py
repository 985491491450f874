"""Jobs carry a jobName: shown by `plan`, in events, and stored on a strict platform, where
real clients find them with countJobs(whereOveride: {jobName: ...})."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from orchestrator.cli import main
from tests.helpers.cli import cli, connection, write_manifest

MANIFEST = """\
version: 1
name: Scan
defaults:
  pipelineYamlPath: p.yaml
  timeout: 60
  parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.05"}
jobs:
  - name: "File_{{ f }}"
    matrix: {f: [A, B, C]}
  - name: report
    jobName: "summary-{{ index }}"
    workingDir: repo
"""

COUNT = """query ($where: PipelineJobWhereInput) { countJobs(whereOveride: $where) }"""


def _count(platform: Any, where: dict[str, Any]) -> int:
    request = urllib.request.Request(
        platform.url,
        data=json.dumps({"query": COUNT, "variables": {"where": where}}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {platform.token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.load(response)
    assert "errors" not in body, body
    return int(body["data"]["countJobs"])


def test_plan_shows_each_job_name(tmp_path: Path) -> None:
    path = write_manifest(tmp_path, MANIFEST)
    result = CliRunner().invoke(main, ["plan", str(path), "--output", "json"])
    assert result.exit_code == 0, result.output
    names = [job["jobName"] for job in json.loads(result.output)]
    assert names == ["scan-file-a", "scan-file-b", "scan-file-c", "summary-3"]
    table = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["plan", str(path)])
    assert "jobName" in table.output and "scan-file-a" in table.output


def test_run_sends_job_names_a_strict_platform_stores(platform: Any, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, MANIFEST)
    result = cli("run", manifest, *connection(platform, tmp_path / "state"), "--output", "jsonl")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    submitted = {e["jobName"] for e in events if e.get("event") == "submitted"}
    assert submitted == {"scan-file-a", "scan-file-b", "scan-file-c", "summary-3"}
    assert _count(platform, {"jobName": {"startsWith": "SCAN-", "mode": "insensitive"}}) == 3
    assert (
        _count(platform, {"jobName": {"equals": "summary-3"}, "workingDir": {"equals": "repo"}})
        == 1
    )
