"""The smaller things met in a first week of use (issue 22, item 7): the commands printed
for the user work as printed, a run that never starts draws no bar and fails fast on this
machine, the same manifest is not run twice by mistake, watch ends on Ctrl-C with 130, and
messages say things once."""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.api.check import CHECK_BUDGET_VARIABLE
from orchestrator.ledger import Ledger
from orchestrator.platform.process.instance import running_platform
from orchestrator.platform.process.service import stop_platform
from tests.helpers.cli import cli, connection, spawn_cli, write_manifest
from tests.helpers.runs import run_recorded
from tests.helpers.wait import wait_for

SLOW = """\
version: 1
name: slow
variables: {tag: a}
defaults: {pipelineYamlPath: p.yaml}
jobs:
  - name: "j-{{ i }}"
    matrix: {i: [1, 2, 3, 4]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "600"}
"""
QUICK = SLOW.replace('"600"', '"0.01"')


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    """A state dir whose local platform, if one is left running, is stopped at teardown."""
    path = tmp_path / "state"
    yield path
    info = running_platform(path)
    if info is not None:
        stop_platform(info)


def detach(manifest: Path, state: Path, *extra: str) -> str:
    result = cli(
        "run", manifest, "--detach", "--state-dir", state, "--executor", "simulate", *extra
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def submitted(state: Path, run_id: str) -> bool:
    with Ledger(state, read_only=True) as ledger:
        return ledger.counts(run_id).attempts == 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_detach_hint_names_the_state_dir_and_works_as_printed(
    tmp_path: Path, state: Path
) -> None:
    manifest = write_manifest(tmp_path, QUICK)
    result = cli("run", manifest, "--detach", "--state-dir", state, "--executor", "simulate")
    run_id = result.stdout.strip()

    hint = result.stderr.strip().splitlines()[-1]
    printed = hint.split("follow with: ", 1)[1]
    assert printed == f"orchestrator watch {run_id} --state-dir {state}"
    followed = cli(*printed.split()[1:], "-o", "json")
    assert followed.returncode == 0, followed.stderr
    assert json.loads(followed.stdout)["done"] == 4


def test_ctrl_c_on_watch_exits_130_without_aborted(tmp_path: Path, state: Path) -> None:
    run_id = detach(write_manifest(tmp_path, SLOW), state)
    wait_for(lambda: submitted(state, run_id), what="the run's jobs")
    watcher = spawn_cli("watch", run_id, "--state-dir", state, "-o", "jsonl")
    assert watcher.stdout is not None
    assert json.loads(watcher.stdout.readline())["run"] == run_id  # it is watching

    watcher.send_signal(signal.SIGINT)
    _, err = watcher.communicate(timeout=30)

    assert watcher.returncode == 130
    assert "Aborted" not in err
    assert "Traceback" not in err
    assert cli("platform", "stop", "--force", "--state-dir", state).returncode == 0


def test_the_same_manifest_is_not_run_twice_while_the_first_run_is_live(
    tmp_path: Path, state: Path
) -> None:
    manifest = write_manifest(tmp_path, SLOW)
    first = detach(manifest, state)

    again = cli("run", manifest, "--state-dir", state, "--executor", "simulate")

    assert again.returncode == 2
    error = again.stderr.strip().splitlines()[-1]
    assert f"run {first} of {manifest} is still running" in error
    assert f"orchestrator watch {first} --state-dir {state}" in error
    assert "--duplicate" in error
    with Ledger(state, read_only=True) as ledger:
        assert [run.id for run in ledger.list_runs()] == [first]  # nothing recorded
    other = detach(manifest, state, "-p", "tag=b")  # other -p values: another run, allowed
    second = detach(manifest, state, "--duplicate")  # on purpose
    assert len({first, other, second}) == 3
    assert cli("platform", "stop", "--force", "--state-dir", state).returncode == 0


def test_a_refused_token_is_named_once(tmp_path: Path, platform_factory: Any, state: Path) -> None:
    platform = platform_factory()
    manifest = write_manifest(tmp_path, QUICK)
    where = ["--endpoint", platform.url, "--token", "wrong", "--state-dir", state]

    result = cli("run", manifest, *where)

    assert result.returncode == 3
    assert f"{platform.url} refused the token from --token or ORCHESTRATOR_TOKEN" in result.stderr
    assert "token from token" not in result.stderr


def test_a_refused_connection_on_this_machine_fails_fast_and_draws_no_bar(
    tmp_path: Path, state: Path
) -> None:
    manifest = write_manifest(tmp_path, QUICK)
    dead = f"http://127.0.0.1:{free_port()}/graphql"

    # A budget of 10 minutes: only the loopback rule ends it within the subprocess timeout.
    result = cli(
        "run", manifest, "--endpoint", dead, "--token", "t", "--state-dir", state,
        env={CHECK_BUDGET_VARIABLE: "600"}, timeout=60,
    )  # fmt: skip

    assert result.returncode == 3
    assert f"cannot reach {dead}: connection refused" in result.stderr
    assert "0/4" not in result.stderr  # no progress bar for a run that never started
    assert not run_recorded(state)


def test_status_from_the_server_shows_no_manifest_none(
    tmp_path: Path, platform_factory: Any, state: Path
) -> None:
    platform = platform_factory()
    manifest = write_manifest(tmp_path, QUICK)
    ran = cli("run", manifest, *connection(platform, state), "-o", "json")
    run_id = json.loads(ran.stdout)["run"]

    shown = cli("status", run_id, "--endpoint", platform.url, "--token", platform.token)

    assert shown.returncode == 0, shown.stderr
    assert "None" not in shown.stdout
    assert f"endpoint {platform.url}" in shown.stdout
