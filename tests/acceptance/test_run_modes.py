"""Ways to drive a run: the embedded platform, the Python API inside a running event loop,
and Ctrl-C (exit 130, running jobs left alone, a hint to resume or cancel)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import orchestrator
from orchestrator.ledger import Ledger
from orchestrator.manifest import JobSpec, Policy
from orchestrator.model import JobStatus
from orchestrator.platform.process.embedded import LocalPlatform
from orchestrator.platform.process.instance import running_platform
from tests.helpers.cli import cli, connection, last_json, spawn_cli, write_manifest
from tests.helpers.runs import only_run_id, server_jobs
from tests.helpers.wait import wait_for

QUICK = """\
version: 1
name: quick
defaults: {pipelineYamlPath: p.yaml, timeout: 60}
jobs:
  - name: "j-{{ i }}"
    matrix: {i: [1, 2, 3]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.02"}
"""


def test_no_endpoint_starts_the_embedded_platform(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, QUICK)
    state = tmp_path / "state"
    result = cli(
        "run", manifest, "--state-dir", state, "--executor", "simulate", "--output", "json"
    )
    assert result.returncode == 0, result.stderr
    assert "embedded local platform" in result.stderr
    assert last_json(result.stdout)["done"] == 3
    assert (state / "platform.db").exists()
    assert (state / "ledger.db").exists()


async def test_python_api_runs_inside_a_running_event_loop(platform: Any, tmp_path: Path) -> None:
    specs = [
        JobSpec(
            key=f"k{i}",
            index=i,
            group="g",
            name=f"n{i}",
            matrix={},
            fields={"pipelineYamlPath": "p.yaml"},
            parameters={"SIM_OUTCOME": "done", "SIM_DURATION": "0.02"},
        )
        for i in range(4)
    ]
    events: list[orchestrator.Event] = []
    summary = await orchestrator.run_jobs(
        specs,
        Policy(max_in_flight=2),
        endpoint=platform.url,
        token=platform.token,
        state_dir=tmp_path / "state",
        on_event=events.append,
    )
    assert (summary.done, summary.attempts, summary.exit_code) == (4, 4, 0)
    finished = [e for e in events if e.kind is orchestrator.EventKind.FINISHED]
    assert sorted(e.key for e in finished) == ["k0", "k1", "k2", "k3"]


def test_ctrl_c_stops_submitting_and_leaves_running_jobs(platform: Any, tmp_path: Path) -> None:
    body = QUICK.replace('"0.02"', '"120"').replace("[1, 2, 3]", "[1, 2, 3, 4, 5, 6]")
    manifest = write_manifest(tmp_path, body + "policy: {maxInFlight: 2}\n")
    state = tmp_path / "state"
    proc = spawn_cli("run", manifest, *connection(platform, state), "--output", "json")

    def two_running() -> bool:
        if not (state / "ledger.db").exists():
            return False
        with Ledger(state) as ledger:
            runs = ledger.list_runs()
            return bool(runs) and ledger.counts(runs[0].id).by_status.get("in progress") == 2

    try:
        wait_for(two_running, timeout=60, what="two jobs in progress")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    run_id = only_run_id(state)
    assert f"orchestrator resume {run_id}" in err
    assert f"orchestrator cancel {run_id}" in err
    assert f"jobs already submitted keep running on {platform.url}" in err  # a served platform
    jobs = server_jobs(platform.url, platform.token, run_id)
    assert len(jobs) == 2
    assert {j.status for j in jobs} == {JobStatus.IN_PROGRESS}
    cancelled = cli("cancel", run_id, *connection(platform, state), "--yes", "--output", "json")
    assert last_json(cancelled.stdout)["cancelled"] == 2


def test_a_killed_run_takes_its_embedded_platform_down(tmp_path: Path) -> None:
    body = QUICK.replace("parameters:", "maxRetries: 1\n    parameters:")
    manifest = write_manifest(tmp_path, body)
    state = tmp_path / "state"
    crashed = cli(
        "run",
        manifest,
        "--state-dir",
        state,
        "--executor",
        "simulate",
        env={"ORCHESTRATOR_TEST_CRASH_AT": "after_submitted"},
    )
    assert crashed.returncode == -signal.SIGKILL
    wait_for(lambda: running_platform(state) is None, what="the platform to exit")
    # Jobs it was running ended failed ("shut down"); resume retries them on a new one.
    resumed = cli(
        "resume",
        only_run_id(state),
        "--state-dir",
        state,
        "--executor",
        "simulate",
        "--output",
        "json",
    )
    assert resumed.returncode == 0, resumed.stderr
    assert last_json(resumed.stdout)["done"] == 3
    assert running_platform(state) is None


def test_a_live_platform_on_the_state_dir_is_used_not_stopped(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, QUICK)
    state = tmp_path / "state"
    # A platform serving the state dir for a live process (this test): another run shares it.
    with LocalPlatform(state_dir=state, executor="simulate") as live:
        assert live.process is not None
        result = cli(
            "run", manifest, "--state-dir", state, "--executor", "simulate", "--output", "json"
        )
        assert result.returncode == 0, result.stderr
        assert live.process.poll() is None  # still serving
        assert len(server_jobs(live.url, live.token, only_run_id(state))) == 3
