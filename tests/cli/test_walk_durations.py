"""``jobs`` shows one duration whichever source it reads (issue 22): the time each attempt
ran on the platform (its startTime to its completionTime), from the ledger as from the
server's labelled jobs, not submit-to-finish on one side and run time on the other."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import cli, connection, write_manifest
from tests.helpers.runs import only_run_id

pytestmark = pytest.mark.integration

MANIFEST = """\
version: 1
name: timed
defaults: {pipelineYamlPath: p.yaml, timeout: 60}
jobs:
  - name: "job-{{ i }}"
    matrix: {i: [1, 2, 3]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.3"}
policy:
  retry: {backoff: 2s}
"""


def test_the_ledger_and_the_server_give_the_same_durations(platform: Any, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, MANIFEST)
    state = tmp_path / "state"
    assert cli("run", manifest, *connection(platform, state)).returncode == 0
    run_id = only_run_id(state)

    def durations(*where: str | Path) -> dict[str, float | None]:
        result = cli("jobs", run_id, *where, "-o", "json")
        assert result.returncode == 0, result.stderr
        return {j["key"]: j["duration"] for j in json.loads(result.stdout)}

    ledger = durations("--state-dir", state)
    server = durations("--endpoint", platform.url, "--token", platform.token)
    assert ledger == server
    assert all(d is not None and 0.2 <= d < 30 for d in ledger.values()), ledger
