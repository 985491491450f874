"""The local platform's lifecycle and outages, end to end through the CLI: one platform per
state dir, shared by the runs that use it; the background service (start, status, stop) that
keeps cron schedules firing; the check before a run starts; the outage budget; attempts a
dead platform lost, resubmitted without spending retries."""

from __future__ import annotations

import json
import re
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.ledger import Ledger, RunState
from orchestrator.model import JobStatus
from orchestrator.platform.executor.clock import CLOCK_FILE_VARIABLE
from orchestrator.platform.process.embedded import LocalPlatform
from orchestrator.platform.process.instance import running_platform
from orchestrator.platform.process.service import stop_platform
from orchestrator.platform.process.tokens import read_token
from tests.helpers.cli import cli, connection, last_json, spawn_cli, write_manifest
from tests.helpers.runs import attempt_counts, only_run_id, server_jobs
from tests.helpers.tcp_proxy import TcpProxy
from tests.helpers.wait import wait_for

SWEEP = """\
version: 1
name: sweep
defaults: {{pipelineYamlPath: p.yaml, timeout: 600, maxRetries: {retries}}}
jobs:
  - name: "j-{{{{ i }}}}"
    matrix: {{i: [1, 2, 3, 4]}}
    parameters: {{SIM_OUTCOME: done, SIM_DURATION: "{duration}"}}
"""

CRON = """\
version: 1
name: cron
defaults: {pipelineYamlPath: p.yaml}
jobs:
  - name: nightly
    schedule: "* * * * *"
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "600"}
"""


def sweep(retries: int = 0, duration: float = 0.05) -> str:
    """Four simulated jobs that each take ``duration`` seconds and succeed."""
    return SWEEP.format(retries=retries, duration=duration)


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    """A state dir whose local platform, if one is left running, is stopped at teardown."""
    path = tmp_path / "state"
    yield path
    info = running_platform(path)
    if info is not None:
        stop_platform(info)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_two_detached_runs_share_one_platform_while_a_third_command_runs(
    tmp_path: Path, state: Path
) -> None:
    slow = write_manifest(tmp_path, sweep(duration=1.5), name="slow.yaml")
    quick = write_manifest(tmp_path, sweep(), name="quick.yaml")
    local = ["--state-dir", state, "--executor", "simulate"]
    first = cli("run", slow, "--detach", *local)
    second = cli("run", slow, "--detach", "--duplicate", *local)  # on purpose: the same twice
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    detached = [first.stdout.strip(), second.stdout.strip()]
    third = cli("run", quick, *local, "--output", "json")
    assert third.returncode == 0, third.stderr
    assert last_json(third.stdout)["attempts"] == 4

    def settled() -> bool:
        with Ledger(state) as ledger:
            runs = [ledger.get_run(run_id) for run_id in detached]
            return all(ledger.effective_state(run) is RunState.FINISHED for run in runs)

    wait_for(settled, timeout=120, what="both detached runs to finish")
    with Ledger(state) as ledger:
        for run_id in detached:
            counts = ledger.counts(run_id)
            assert (counts.done, counts.attempts, counts.lost) == (4, 4, 0)
    logs = "".join((state / "logs" / f"{run_id}.log").read_text() for run_id in detached)
    assert "connection refused" not in logs.lower()  # nobody stopped the platform under them
    wait_for(lambda: running_platform(state) is None, what="the shared platform to leave")


def test_a_second_server_on_a_state_dir_exits_2_naming_the_first(platform_factory: Any) -> None:
    first = platform_factory()
    result = cli("platform", "serve", "--state-dir", first.state_dir, "--executor", "simulate")
    assert result.returncode == 2
    assert first.url in result.stderr
    assert f"pid {first.process.pid}" in result.stderr


def test_a_cron_run_leaves_a_service_that_fires_and_stop_needs_force(
    tmp_path: Path, state: Path
) -> None:
    clock = tmp_path / "clock"
    clock.write_text("2025-03-01T10:00:30Z")
    manifest = write_manifest(tmp_path, CRON)
    env = {CLOCK_FILE_VARIABLE: str(clock)}
    ran = cli("run", manifest, "--state-dir", state, "--executor", "simulate", env=env)
    assert ran.returncode == 0, ran.stderr
    assert f"orchestrator platform stop --force --state-dir {state}" in ran.stderr
    info = running_platform(state)
    assert info is not None and info.service  # it outlived the command
    again = cli("platform", "start", "--state-dir", state, "--executor", "simulate")
    assert again.returncode == 2 and f"{info.url} (pid {info.pid})" in again.stderr
    run_id = only_run_id(state)
    token = read_token(state) or ""

    clock.write_text("2025-03-01T10:01:00Z")  # a due time, after the command exited
    wait_for(lambda: len(server_jobs(info.url, token, run_id)) == 2, what="a spawned run")

    status = cli("platform", "status", "--state-dir", state, "--output", "json")
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    assert (shown["endpoint"], shown["pid"]) == (info.url, info.pid)
    assert shown["jobs"]["scheduled"] == 1
    assert shown["executor"]["kind"] == "simulate"
    (schedule,) = shown["schedules"]
    assert schedule["next"].startswith("2025-03-01T10:02:00")

    refused = cli("platform", "stop", "--state-dir", state)
    assert refused.returncode == 2
    assert "1 schedule(s)" in refused.stderr
    assert running_platform(state) is not None
    stopped = cli("platform", "stop", "--force", "--state-dir", state, "--output", "json")
    assert stopped.returncode == 0, stopped.stderr
    assert json.loads(stopped.stdout)["cancelled"] == 2  # the cron job and its running run
    assert running_platform(state) is None


def test_the_token_of_a_local_platform_is_found_in_its_state_dir(
    tmp_path: Path, state: Path
) -> None:
    manifest = write_manifest(tmp_path, sweep())
    with LocalPlatform(state_dir=state, executor="simulate") as served:  # token generated there
        result = cli("run", manifest, "--endpoint", served.url, "--state-dir", state)
        assert result.returncode == 0, result.stderr
        assert served.token not in result.stdout + result.stderr


def test_an_unreachable_endpoint_or_a_refused_token_exits_3_and_records_nothing(
    platform: Any, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path, sweep())
    state = tmp_path / "state"
    nowhere = f"http://127.0.0.1:{free_port()}/graphql"
    unreachable = cli("run", manifest, "--endpoint", nowhere, "--token", "t", "--state-dir", state)
    assert unreachable.returncode == 3
    assert f"cannot reach {nowhere}: connection refused" in unreachable.stderr
    secret = "not-the-token-42"
    refused = cli(
        "run", manifest, "--endpoint", platform.url, "--token", secret, "--state-dir", state
    )
    assert refused.returncode == 3
    assert f"{platform.url} refused the token" in refused.stderr
    assert secret not in refused.stderr + refused.stdout
    with Ledger(state) as ledger:
        assert ledger.list_runs() == []


def test_an_outage_longer_than_the_budget_stops_the_run_and_resume_finishes_it(
    platform: Any, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path, sweep(duration=2))
    state = tmp_path / "state"
    host, port = platform.url.split("//")[1].split("/")[0].split(":")
    proxy = TcpProxy((host, int(port)))
    through = f"http://127.0.0.1:{proxy.port}/graphql"
    options = ["--endpoint", through, "--token", platform.token, "--state-dir", state]
    running = spawn_cli("run", manifest, *options, "--outage", "2s", "--output", "json")

    def submitted() -> bool:
        with Ledger(state) as ledger:
            runs = ledger.list_runs()
            return bool(runs) and ledger.counts(runs[0].id).attempts == 4

    wait_for(submitted, timeout=60, what="every job submitted")
    proxy.cut()
    out, err = running.communicate(timeout=120)
    assert running.returncode == 3, err
    run_id = only_run_id(state)
    assert last_json(out)["run"] == run_id
    assert f"orchestrator resume {run_id}" in err
    with Ledger(state) as ledger:
        assert ledger.effective_state(ledger.get_run(run_id)) is RunState.INTERRUPTED

    resumed = cli("resume", run_id, *connection(platform, state), "--output", "json")
    assert resumed.returncode == 0, resumed.stderr
    summary = last_json(resumed.stdout)
    assert (summary["done"], summary["attempts"], summary["retried"]) == (4, 4, 0)
    counts = attempt_counts(server_jobs(platform.url, platform.token, run_id))
    assert len(counts) == 4 and set(counts.values()) == {1}


def test_a_platform_killed_mid_run_and_restarted_spends_no_retries(
    platform_factory: Any, tmp_path: Path
) -> None:
    port = free_port()
    first = platform_factory(port=port)
    manifest = write_manifest(tmp_path, sweep(retries=0, duration=3))
    state = tmp_path / "state"
    running = spawn_cli("run", manifest, *connection(first, state), "--output", "json")

    def some_in_progress() -> bool:
        try:
            run_id = only_run_id(state)
        except ValueError:
            return False
        jobs = server_jobs(first.url, first.token, run_id)
        return any(j.status is JobStatus.IN_PROGRESS for j in jobs)

    wait_for(some_in_progress, timeout=60, what="jobs in progress")
    first.kill()
    platform_factory(port=port, db=first.db, state_dir=first.state_dir, token=first.token)
    out, err = running.communicate(timeout=180)
    assert running.returncode == 0, err
    summary = last_json(out)
    assert (summary["done"], summary["failed"]) == (4, 0)  # maxRetries 0: no retry was spent
    assert summary["lost"] >= 1
    assert summary["attempts"] == 4 + summary["lost"]
    counts = attempt_counts(server_jobs(first.url, first.token, only_run_id(state)))
    assert set(counts.values()) == {1}


def test_off_a_terminal_run_prints_a_plain_status_line_every_interval(
    platform: Any, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path, sweep(duration=1.5))
    state = tmp_path / "state"
    result = cli("run", manifest, *connection(platform, state), "--progress-interval", "0.2")
    assert result.returncode == 0, result.stderr
    plain = [line for line in result.stderr.splitlines() if re.match(r"sweep \d/4 \| ", line)]
    assert plain, result.stderr  # at least one line while the jobs ran


def test_under_heavy_faults_every_job_gets_exactly_one_attempt(
    platform_factory: Any, tmp_path: Path
) -> None:
    faults = "error_rate=0.3,drop_rate=0.2,throttle_rate=0.05,retry_after_seconds=0"
    platform = platform_factory(chaos=faults, seed=3)
    manifest = write_manifest(tmp_path, sweep())
    result = cli("run", manifest, *connection(platform, tmp_path / "state"), "--output", "json")
    assert result.returncode == 0, result.stderr
    summary = last_json(result.stdout)
    assert (summary["done"], summary["attempts"], summary["lost"]) == (4, 4, 0)
    counts = attempt_counts(server_jobs(platform.url, platform.token, summary["run"]))
    assert len(counts) == 4 and set(counts.values()) == {1}


def test_ctrl_c_on_the_embedded_platform_says_running_jobs_stop_and_resume_loses_no_retry(
    tmp_path: Path, state: Path
) -> None:
    manifest = write_manifest(tmp_path, sweep(retries=0, duration=3))
    local = ["--state-dir", state, "--executor", "simulate"]
    running = spawn_cli("run", manifest, *local, "--output", "json")

    def in_progress() -> bool:
        if not (state / "ledger.db").exists():
            return False
        with Ledger(state) as ledger:
            runs = ledger.list_runs()
            return bool(runs) and ledger.counts(runs[0].id).by_status.get("in progress", 0) > 0

    try:
        wait_for(in_progress, timeout=60, what="jobs in progress")
        running.send_signal(signal.SIGINT)
        _, err = running.communicate(timeout=60)
    finally:
        running.kill()
    assert running.returncode == 130, err
    assert "stopped with the embedded platform" in err
    resumed = cli("resume", only_run_id(state), *local, "--output", "json")
    assert resumed.returncode == 0, resumed.stderr
    summary = last_json(resumed.stdout)
    assert (summary["done"], summary["failed"]) == (4, 0)  # maxRetries 0: none was spent
    assert summary["lost"] >= 1 and summary["attempts"] == 4 + summary["lost"]
