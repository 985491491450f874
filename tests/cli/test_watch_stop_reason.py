"""`watch` of a run another process drove ends with the exit code that process would have
given: the stop reason travels through the ledger (3 for an outage or a refused token)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.ledger import Ledger, RunState
from orchestrator.manifest import JobSpec, Policy
from tests.helpers.cli import invoke


def interrupted_run(state: Path, stopped_by: str | None) -> str:
    """A run with one unsettled job whose driver stopped for ``stopped_by``."""
    with Ledger(state) as ledger:
        run = ledger.create_run(name="t", policy=Policy())
        spec = JobSpec("k0", 0, "g", "n0", {}, {"pipelineYamlPath": "p.yaml"}, {})
        ledger.record_intents(run.id, [(spec, 0)])
        ledger.set_run_state(run.id, RunState.INTERRUPTED, stopped_by)
        return run.id


@pytest.mark.parametrize(
    ("stopped_by", "code"),
    [("token-refused", 3), ("outage", 3), ("interrupt", 130), (None, 130), ("newer", 130)],
)
def test_watch_exits_as_the_driver_did(tmp_path: Path, stopped_by: str | None, code: int) -> None:
    state = tmp_path / "state"
    run_id = interrupted_run(state, stopped_by)
    result = invoke("watch", run_id, "--state-dir", state)
    assert result.returncode == code, result.stderr
    assert f"orchestrator resume {run_id}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_resumed_run_forgets_why_it_stopped(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run_id = interrupted_run(state, "outage")
    with Ledger(state) as ledger:
        ledger.set_run_state(run_id, RunState.FINISHED)
        assert ledger.get_run(run_id).stopped_by is None
