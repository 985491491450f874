"""The command line in tests: in a fresh process (``cli``, ``spawn_cli``: signals, SIGKILL,
detach and pipes behave for real) or in this one (``invoke``: click's CliRunner, no process
start), manifests and the options that point a command at a platform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from orchestrator.api.check import CHECK_BUDGET_VARIABLE
from orchestrator.cli import main


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


def spawn_cli(
    *args: str | Path, quiet: bool = False, stdin: int | None = None
) -> subprocess.Popen[str]:
    """``orchestrator ARGS`` started in the background (stdout/stderr piped, or dropped;
    ``stdin`` as ``subprocess.Popen`` takes it, e.g. ``PIPE`` to type into it)."""
    argv, full_env = _command(args, None)
    pipe = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen(argv, stdin=stdin, stdout=pipe, stderr=pipe, text=True, env=full_env)


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


def invoke(
    *args: str | Path,
    env: dict[str, str] | None = None,
    input: str | None = None,
    merge_stderr: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``orchestrator ARGS`` run in this process by click's CliRunner, answered as :func:`cli`
    answers (exit code, stdout, stderr), for commands that need no process of their own: no
    interpreter start, no imports paid again. An exception the command let escape is re-raised
    (a subprocess would have printed its traceback), so a test sees it instead of an exit 1."""
    inherited: dict[str, str | None] = {
        k: None for k in os.environ if k.startswith("ORCHESTRATOR_")
    }
    result = CliRunner().invoke(
        main,
        [str(arg) for arg in args],
        env={**inherited, **TEST_SETTINGS, **(env or {})},
        input=input,
        prog_name="orchestrator",
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    stdout = result.output if merge_stderr else result.stdout
    stderr = "" if merge_stderr else result.stderr
    return subprocess.CompletedProcess(list(args), result.exit_code, stdout, stderr)


def last_json(stdout: str) -> dict[str, Any]:
    """The last JSON object printed."""
    line = [ln for ln in stdout.splitlines() if ln.startswith("{")][-1]
    data: dict[str, Any] = json.loads(line)
    return data
