"""Helpers of the run-command integration tests: manifests, the CLI as a subprocess, the
server's view of a run (counted by identity labels), polling with a timeout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from orchestrator.api import PlatformClient
from orchestrator.api.check import CHECK_BUDGET_VARIABLE
from orchestrator.engine.identity import ATTEMPT_LABEL, JOB_LABEL, RUN_LABEL
from orchestrator.ledger import Ledger
from orchestrator.model import JobState


def write_manifest(directory: Path, body: str, name: str = "m.yaml") -> Path:
    """A manifest file with a pipeline path that exists (the simulate executor ignores it)."""
    (directory / "p.yaml").write_text("pipeline: {name: p, tasks: []}\n")
    path = directory / name
    path.write_text(body)
    return path


def connection(platform: Any, state: Path) -> list[str]:
    """The options that point a command at ``platform`` with ``state`` as its state dir."""
    return ["--endpoint", platform.url, "--token", platform.token, "--state-dir", str(state)]


# A dead endpoint is given up on after 3 s instead of 10: tests of it need not wait longer,
# and a live platform on loopback answers the check in milliseconds.
TEST_SETTINGS = {CHECK_BUDGET_VARIABLE: "3"}


def _command(
    args: tuple[str | Path, ...], env: dict[str, str] | None
) -> tuple[list[str], dict[str, str]]:
    """The command line and its environment (the caller's ORCHESTRATOR_ settings replaced by
    :data:`TEST_SETTINGS`)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_")}
    full_env = {**inherited, **TEST_SETTINGS, **(env or {})}
    return [sys.executable, "-m", "orchestrator", *map(str, args)], full_env


def spawn_cli(*args: str | Path, quiet: bool = False) -> subprocess.Popen[str]:
    """``orchestrator ARGS`` started in the background (stdout/stderr piped, or dropped)."""
    argv, full_env = _command(args, None)
    pipe = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen(argv, stdout=pipe, stderr=pipe, text=True, env=full_env)


def cli(
    *args: str | Path,
    env: dict[str, str] | None = None,
    timeout: float = 90,
    input: str | None = None,
    merge_stderr: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``orchestrator ARGS`` in a fresh process (signals and SIGKILL behave for real);
    ``merge_stderr`` interleaves stderr into stdout as a terminal would show them."""
    argv, full_env = _command(args, env)
    return subprocess.run(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        text=True,
        env=full_env,
        timeout=timeout,
        input=input,
        check=False,
    )


def last_json(stdout: str) -> dict[str, Any]:
    """The last JSON object printed."""
    line = [ln for ln in stdout.splitlines() if ln.startswith("{")][-1]
    data: dict[str, Any] = json.loads(line)
    return data


def only_run_id(state_dir: Path) -> str:
    """The id of the single run of a state dir."""
    with Ledger(state_dir) as ledger:
        (run,) = ledger.list_runs()
        return run.id


def run_recorded(state_dir: Path) -> bool:
    """A run is recorded in the state dir's ledger (for waits: never raises while it is not)."""
    if not (state_dir / "ledger.db").exists():
        return False
    with Ledger(state_dir, read_only=True) as ledger:
        return bool(ledger.list_runs())


def server_jobs(url: str, token: str, run_id: str) -> list[JobState]:
    """Every job of a run on the server, found by its run label."""

    async def find() -> list[JobState]:
        async with PlatformClient(url, token) as client:
            return await client.find_jobs({RUN_LABEL: run_id})

    return anyio.run(find)


def attempt_counts(jobs: list[JobState]) -> Counter[tuple[str, str]]:
    """How many server jobs carry each (job key, attempt) pair: all 1 means no duplicate."""
    return Counter(
        (j.parameters[JOB_LABEL], j.parameters[ATTEMPT_LABEL]) for j in jobs if j.parameters
    )


def wait_for(predicate: Callable[[], bool], timeout: float = 30, what: str = "") -> None:
    """Poll ``predicate`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.05)
