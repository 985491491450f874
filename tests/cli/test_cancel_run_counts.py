"""The counts a ``cancel RUN`` reports add up to the run's jobs: the jobs on the platform
it cancelled, and the run's own tally once its driver has settled the jobs it never
submitted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.ledger import Ledger
from orchestrator.platform.process.instance import running_platform
from orchestrator.platform.process.service import stop_platform
from tests.helpers.cli import cli, write_manifest
from tests.helpers.wait import wait_for

THIRTY = """\
version: 1
name: thirty
defaults: {pipelineYamlPath: p.yaml}
jobs:
  - name: "j-{{ i }}"
    matrix: {i: {range: [0, 30]}}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "{{ i }}"}
policy: {maxInFlight: 6}
"""


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    """A state dir whose local platform, if one is left running, is stopped at teardown."""
    path = tmp_path / "state"
    yield path
    info = running_platform(path)
    if info is not None:
        stop_platform(info)


def some_done(state: Path, run_id: str) -> bool:
    with Ledger(state, read_only=True) as ledger:
        return ledger.counts(run_id).done >= 1


def test_cancel_of_a_driven_run_reports_counts_that_add_up_to_its_jobs(
    tmp_path: Path, state: Path
) -> None:
    manifest = write_manifest(tmp_path, THIRTY)
    local = ["--state-dir", state, "--executor", "simulate"]
    run_id = cli("run", manifest, "--detach", *local).stdout.strip()
    wait_for(lambda: some_done(state, run_id), what="a first job done")

    result = cli("cancel", run_id, "--yes", "--state-dir", state, "-o", "json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    tally = report["run_jobs"]
    assert tally["jobs"] == 30
    outcomes = ("done", "failed", "timed_out", "cancelled", "scheduled", "unfinished")
    assert sum(tally[k] for k in outcomes) == 30
    assert tally["unfinished"] == 0  # the driver settled what it never submitted
    assert tally["done"] >= 1 and tally["cancelled"] >= report["cancelled"]
    with Ledger(state, read_only=True) as ledger:
        counts = ledger.counts(run_id)
    assert (counts.done, counts.cancelled) == (tally["done"], tally["cancelled"])
