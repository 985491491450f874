"""Stop means stop: ``platform stop --force`` ends the runs that use the platform (detached
ones included), each left resumable and recorded as stopped by the platform's stop; a
``cancel RUN`` after its platform is gone says so (exit 3) and starts no platform."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.ledger import Ledger, RunState
from orchestrator.platform.process.instance import live_users, running_platform
from orchestrator.platform.process.service import stop_platform
from tests.helpers.cli import cli, write_manifest
from tests.helpers.wait import wait_for

SLOW = """\
version: 1
name: slow
defaults: {pipelineYamlPath: p.yaml}
jobs:
  - name: "j-{{ i }}"
    matrix: {i: [1, 2, 3, 4, 5, 6]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "600"}
policy: {maxInFlight: 2}
"""


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    """A state dir whose local platform, if one is left running, is stopped at teardown."""
    path = tmp_path / "state"
    yield path
    info = running_platform(path)
    if info is not None:
        stop_platform(info)


def submitted(state: Path, run_id: str, count: int) -> bool:
    with Ledger(state, read_only=True) as ledger:
        return ledger.counts(run_id).attempts >= count


def test_stop_force_ends_a_detached_run_resumable_and_cancel_then_says_the_platform_is_gone(
    tmp_path: Path, state: Path
) -> None:
    manifest = write_manifest(tmp_path, SLOW)
    detached = cli("run", manifest, "--detach", "--state-dir", state, "--executor", "simulate")
    assert detached.returncode == 0, detached.stderr
    run_id = detached.stdout.strip()
    wait_for(lambda: submitted(state, run_id, 2), what="the run's first jobs")
    assert live_users(state) == 1  # the detached driver

    stopped = cli("platform", "stop", "--force", "--state-dir", state, "--output", "json")

    assert stopped.returncode == 0, stopped.stderr
    report = json.loads(stopped.stdout)
    assert report["runs_stopped"] == 1
    assert running_platform(state) is None
    with Ledger(state) as ledger:
        run = ledger.get_run(run_id)
        assert not ledger.run_is_driven(run_id)  # its driver is gone, not retrying
        assert ledger.effective_state(run) is RunState.INTERRUPTED  # resumable
        assert run.stopped_by == "platform-stop"
    log = (state / "logs" / f"{run_id}.log").read_text()
    assert "connection refused" not in log.lower()  # it never drove a dead endpoint
    shown = cli("status", run_id, "--state-dir", state)
    assert "platform-stop" in shown.stdout + shown.stderr

    cancelled = cli("cancel", run_id, "--yes", "--state-dir", state)

    assert cancelled.returncode == 3, cancelled.stdout + cancelled.stderr
    error = cancelled.stderr.strip().splitlines()[-1]
    assert "is gone" in error and run_id in error and f"resume {run_id}" in error
    assert running_platform(state) is None  # no new empty platform was started


def test_stop_without_force_is_refused_while_a_run_uses_the_platform(
    tmp_path: Path, state: Path
) -> None:
    manifest = write_manifest(tmp_path, SLOW)
    detached = cli("run", manifest, "--detach", "--state-dir", state, "--executor", "simulate")
    run_id = detached.stdout.strip()
    wait_for(lambda: submitted(state, run_id, 2), what="the run's first jobs")

    refused = cli("platform", "stop", "--state-dir", state)

    assert refused.returncode == 2
    assert "1 run(s) using it" in refused.stderr
    assert "stops those runs (resumable)" in refused.stderr
    with Ledger(state) as ledger:
        assert ledger.run_is_driven(run_id)
    assert cli("platform", "stop", "--force", "--state-dir", state).returncode == 0
