"""The Dask executor's parts that need no cluster: the scheduler option, the cluster view and
job placement, the worker-side attempt (stop, time limit, log chunks) and the CLI's refusals."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from orchestrator.cli import main
from orchestrator.platform.executor.dask_address import SchedulerAddress, parse_scheduler
from orchestrator.platform.executor.dask_cluster import ClusterView, cluster_view, place
from orchestrator.platform.executor.dask_job import (
    STOPPED_UNREACHABLE,
    JobRequest,
    Outcome,
    run_attempt,
)

IDENTITY = {
    "address": "tcp://10.1.2.3:8786",
    "services": {"dashboard": 8787},
    "workers": {
        "tcp://10.1.2.4:4001": {"nthreads": 4, "resources": {"job-slots": 3}, "name": "big"},
        "tcp://10.1.2.5:4001": {"nthreads": 2, "resources": {}, "name": "plain"},
        "tcp://10.1.2.6:4001": {"nthreads": 1, "resources": {"job-slots": 4}, "name": "thin"},
    },
}


def test_scheduler_option_takes_an_address_or_local_workers() -> None:
    assert parse_scheduler("tcp://host:8786") == SchedulerAddress(address="tcp://host:8786")
    assert parse_scheduler("local:3") == SchedulerAddress(local_workers=3)
    for bad in ("local:0", "local:x", "host:8786", "tcp://"):
        with pytest.raises(ValueError):
            parse_scheduler(bad)


def test_slots_come_from_the_job_slots_resource_default_one_at_most_threads() -> None:
    view = cluster_view(IDENTITY)
    assert {w.name: w.slots for w in view.workers} == {"big": 3, "plain": 1, "thin": 1}
    assert view.total_slots == 5
    assert view.dashboard == "http://10.1.2.3:8787/status"
    assert cluster_view({"address": "tcp://h:1", "workers": {}}).dashboard is None


def test_placement_fills_the_freest_worker_and_never_exceeds_the_slots() -> None:
    view = cluster_view(IDENTITY)
    big, plain, thin = (w.address for w in view.workers)
    chosen = place(view, {}, 10)
    assert len(chosen) == 5
    assert (chosen.count(big), chosen.count(plain), chosen.count(thin)) == (3, 1, 1)
    assert chosen[0] == big  # most free slots first
    assert place(view, {big: 3, plain: 1}, 10) == [thin]
    assert place(view, {big: 3, plain: 1, thin: 1}, 10) == []
    assert place(ClusterView(), {}, 3) == []


def request(workspace: Path, seconds_left: float | None = None) -> JobRequest:
    return JobRequest(
        token="t-1",
        job_id="job-1",
        run_id="run-1",
        attempt=1,
        parameters=(("who", "me"),),
        pipeline_yaml_path="p.yaml",
        workspace=str(workspace),
        seconds_left=seconds_left,
        timeout_reason="timed out: activeTimeout of 1 s since the job started ran out",
    )


def pipeline(workspace: Path, script: str) -> None:
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "s.sh").write_text(textwrap.dedent(script))
    (workspace / "p.yaml").write_text(
        "pipeline: {name: p, tasks: [{name: s, type: bash script, bash_script_path: s.sh}]}\n"
    )


def group_gone(pgid: int, within: float = 10) -> bool:
    """True once no process of the group is left (signals land asynchronously: poll)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


async def test_an_attempt_ships_its_whole_log_in_chunks_with_offsets(tmp_path: Path) -> None:
    pipeline(
        tmp_path / "ws", 'echo "hello $HYPERPLANE_JOB_PARAMETER_WHO"\nhead -c 100000 /dev/zero\n'
    )
    chunks: list[dict[str, Any]] = []
    log_path = tmp_path / "worker" / "t-1.log"
    result = await run_attempt(request(tmp_path / "ws"), lambda: False, log_path, chunks.append)
    assert result.outcome is Outcome.DONE
    home = bytearray(result.log_bytes)
    for chunk in chunks:
        home[chunk["offset"] : chunk["offset"] + len(chunk["data"])] = chunk["data"]
    assert bytes(home) == log_path.read_bytes()
    assert b"hello me" in home
    assert {chunk["token"] for chunk in chunks} == {"t-1"}


async def test_a_set_stop_kills_the_tasks_process_group(tmp_path: Path) -> None:
    pipeline(tmp_path / "ws", 'echo $$ > "$0.pgid"\nsleep 60\n')
    pgid_file = tmp_path / "ws" / "s.sh.pgid"

    def stop_once_started() -> bool:
        return pgid_file.exists() and pgid_file.read_text().strip() != ""

    result = await run_attempt(
        request(tmp_path / "ws"), stop_once_started, tmp_path / "t.log", lambda _: None
    )
    assert result.outcome is Outcome.STOPPED
    assert group_gone(int(pgid_file.read_text()))


async def test_the_time_limit_is_enforced_on_the_worker(tmp_path: Path) -> None:
    pipeline(tmp_path / "ws", 'echo $$ > "$0.pgid"\nsleep 60\n')
    log_path = tmp_path / "t.log"
    result = await run_attempt(request(tmp_path / "ws", 0.5), lambda: False, log_path, print)
    assert result.outcome is Outcome.TIMED_OUT
    assert result.reason is not None and "activeTimeout" in result.reason
    assert group_gone(int((tmp_path / "ws" / "s.sh.pgid").read_text()))
    assert "activeTimeout" in log_path.read_text()


async def test_a_pipeline_that_cannot_run_is_refused_not_failed(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    result = await run_attempt(request(tmp_path / "ws"), lambda: False, tmp_path / "t.log", print)
    assert result.outcome is Outcome.REFUSED
    assert result.reason is not None and "not found" in result.reason


async def test_a_worker_never_runs_the_platforms_own_files(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    pipeline(workspace, "touch pwned\n")
    (workspace / "state" / "logs").mkdir(parents=True)
    (workspace / "state" / "logs" / "j.log").write_text("touch pwned\n")
    job = dataclasses.replace(
        request(workspace),
        pipeline_yaml_path="state/logs/j.log",
        pipeline_type="BASH",
        off_limits=(str(workspace / "state"),),
    )
    result = await run_attempt(job, lambda: False, tmp_path / "t.log", print)
    assert result.outcome is Outcome.REFUSED
    assert result.reason is not None and "the platform's own files" in result.reason
    assert not (workspace / "pwned").exists()


def test_dask_executor_without_a_scheduler_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["platform", "serve", "--executor", "dask", "--state-dir", str(tmp_path)],
        env={"DASK_SCHEDULER_ADDRESS": ""},
    )
    assert result.exit_code == 2
    assert "--dask-scheduler" in result.output


def test_dask_executor_with_a_bad_address_is_a_usage_error(tmp_path: Path) -> None:
    args = ["platform", "serve", "--executor", "dask", "--dask-scheduler", "nowhere"]
    result = CliRunner().invoke(main, [*args, "--state-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "tcp://HOST:PORT or local:N" in result.output


def test_dask_executor_without_the_extra_names_the_extra(tmp_path: Path) -> None:
    # a Python where `distributed` is not found, as without orchestrator[dask]
    program = (
        "import importlib.util as u; real = u.find_spec;"
        "u.find_spec = lambda n, *a: None if n == 'distributed' else real(n, *a);"
        "from orchestrator.cli import main; main()"
    )
    args = ["platform", "serve", "--executor", "dask", "--dask-scheduler", "tcp://127.0.0.1:1"]
    result = subprocess.run(
        [sys.executable, "-c", program, *args, "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "orchestrator[dask]" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_executor_reports_its_kind_and_the_dask_view(tmp_path: Path) -> None:
    from orchestrator.platform.config import ExecutorKind, PlatformConfig
    from orchestrator.platform.executor import make_executor
    from orchestrator.platform.store.store import Store

    store = Store.open(tmp_path / "p.db")
    try:
        local = make_executor(PlatformConfig(state_dir=tmp_path), store)
        assert local.status()["kind"] == "local"
        config = PlatformConfig(
            state_dir=tmp_path, executor=ExecutorKind.DASK, dask_scheduler="tcp://127.0.0.1:1"
        )
        status = make_executor(config, store).status()
        assert status["kind"] == "dask"
        assert status["connected"] is False
        assert (status["workers"], status["slots"]) == ([], 0)
    finally:
        store.close()


async def test_an_attempt_nobody_can_stop_any_more_stops_itself(tmp_path: Path) -> None:
    pipeline(tmp_path / "ws", 'echo $$ > "$0.pgid"\nsleep 60\n')
    pgid_file = tmp_path / "ws" / "s.sh.pgid"

    def scheduler_gone() -> bool:
        if pgid_file.exists() and pgid_file.read_text().strip():
            raise OSError("connection closed")  # what the worker's client raises
        return False

    result = await run_attempt(
        request(tmp_path / "ws"), scheduler_gone, tmp_path / "t.log", lambda _: None
    )
    assert (result.outcome, result.reason) == (Outcome.STOPPED, STOPPED_UNREACHABLE)
    assert group_gone(int(pgid_file.read_text()))


def test_the_worker_plugin_kills_recorded_process_groups_when_the_worker_closes(
    tmp_path: Path,
) -> None:
    pytest.importorskip("distributed")
    from orchestrator.platform.executor.dask_plugin import JobReaper, worker_registry

    worker = SimpleNamespace(local_directory=str(tmp_path))  # what the plugin reads of it
    task = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        worker_registry(worker).record(task.pid)
        JobReaper().teardown(worker)
        assert task.wait(10) == -signal.SIGKILL
    finally:
        task.kill()
        task.wait()
