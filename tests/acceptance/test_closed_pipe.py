"""A reader of stdout that goes away (``| head``), through a real pipe: the output stops, no
traceback, exit 141 (as for a process ended by SIGPIPE); ``run -o jsonl`` stops resumably and
says so on stderr, and ``resume`` finishes the run.

The pipe's buffer is shrunk to one page and each command writes tens of KiB (several
flushes of its 8 KiB buffer), so it is still writing when the test closes its end: the
closed pipe is met every time, not by luck. (A single write blocked when the reader goes
away returns as written on Linux; only the next one fails: one large write needs no care.)
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.ledger import Ledger
from orchestrator.manifest import load_manifest
from orchestrator.platform.process.embedded import LocalPlatform
from orchestrator.runs import record_manifest_run
from tests.helpers.cli import TEST_SETTINGS, cli, connection, last_json, write_manifest

pytestmark = pytest.mark.integration

EXIT_CLOSED_PIPE = 141

MANY = """\
version: 1
name: many
defaults: {pipelineYamlPath: p.yaml, timeout: 60}
jobs:
  - name: "job-{{ i }}"
    matrix: {i: {range: [0, JOBS]}}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.05"}
policy:
  maxInFlight: 4
"""


def read_then_close(*args: str | Path, lines: int = 3) -> tuple[int, str, list[str]]:
    """``orchestrator ARGS`` writing into a one-page pipe; read ``lines`` lines, close the
    pipe; the exit code, the stderr and the lines read (a line of JSON: its beginning)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_")}
    reader, writer = os.pipe()
    fcntl.fcntl(writer, fcntl.F_SETPIPE_SZ, 4096)
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", *map(str, args)],
        stdout=writer,
        stderr=subprocess.PIPE,
        text=True,
        env={**inherited, **TEST_SETTINGS},
    )
    os.close(writer)
    got = [_read_line(reader) for _ in range(lines)]  # no more than that: the rest stays
    os.close(reader)
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr, got


def _read_line(fd: int) -> str:
    """One line from ``fd`` (its first 1000 bytes if longer), a byte at a time: a buffered
    read would drain the pipe."""
    data = b""
    while not data.endswith(b"\n") and len(data) < 1000 and (byte := os.read(fd, 1)):
        data += byte
    return data.decode()


def assert_quiet(stderr: str) -> None:
    for noise in ("Traceback", "BrokenPipe", "Exception", "internal error", "Errno"):
        assert noise not in stderr, stderr


@pytest.fixture(scope="module")
def driven(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A finished run of 300 jobs on a simulated platform: (state dir, run id)."""
    base = tmp_path_factory.mktemp("closed-pipe")
    manifest = write_manifest(base, MANY.replace("JOBS", "300"))
    with LocalPlatform(
        db=base / "platform" / "platform.db",
        state_dir=base / "platform",
        workspace=base,
        token=secrets.token_urlsafe(16),
        executor="simulate",
        sim_duration="0.01:0.02",
    ) as platform:
        state = base / "state"
        result = cli("run", manifest, *connection(platform, state), "-o", "json")
        assert result.returncode == 0, result.stderr
        yield state, last_json(result.stdout)["run"]


def test_run_jsonl_into_head_stops_resumably_and_quietly(platform: Any, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, MANY.replace("JOBS", "80").replace('"0.05"', '"0.3"'))
    state = tmp_path / "state"
    code, stderr, lines = read_then_close(
        "run", manifest, *connection(platform, state), "-o", "jsonl"
    )
    assert [json.loads(line)["event"] for line in lines] == ["submitted"] * 3
    assert code == EXIT_CLOSED_PIPE, stderr
    assert_quiet(stderr)
    assert "Output closed (the reader of stdout went away): stopping the run" in stderr
    run_id = json.loads(lines[0])["run"]
    assert f"resume it:  orchestrator resume {run_id} --state-dir {state}" in stderr

    resumed = cli("resume", run_id, *connection(platform, state), "-o", "json")
    assert resumed.returncode == 0, resumed.stderr
    summary = last_json(resumed.stdout)
    assert (summary["jobs"], summary["done"]) == (80, 80)


@pytest.mark.xdist_group("closed-pipe-driven")  # one worker: the 300-job run is made once
def test_jobs_into_head(driven: tuple[Path, str]) -> None:
    state, run_id = driven
    code, stderr, lines = read_then_close("jobs", run_id, "--state-dir", state)
    assert code == EXIT_CLOSED_PIPE, stderr
    assert_quiet(stderr)
    assert lines[0].split()[:2] == ["key", "name"]


def test_runs_into_head(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, MANY.replace("JOBS", "1"))
    loaded = load_manifest(manifest)
    with Ledger(tmp_path / "state") as ledger:
        for _ in range(300):
            record_manifest_run(ledger, loaded, endpoint=None)
    code, stderr, lines = read_then_close("runs", "--state-dir", tmp_path / "state")
    assert code == EXIT_CLOSED_PIPE, stderr
    assert_quiet(stderr)
    assert lines[0].split()[:2] == ["run", "name"]


def test_plan_json_into_head(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, MANY.replace("JOBS", "300"))
    code, stderr, lines = read_then_close("plan", manifest, "-o", "json")
    assert code == EXIT_CLOSED_PIPE, stderr
    assert_quiet(stderr)
    assert lines[0].strip() == "["


LOUD = """\
import sys
for n in range(20000):
    print(f"line {n} of a long log", flush=False)
"""


def test_logs_into_head(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "loud.py").write_text(LOUD)
    (workspace / "p.yaml").write_text(
        "pipeline:\n  name: p\n  tasks:\n    - {name: main, type: py, py_path: loud.py}\n"
    )
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        "version: 1\nname: loud\ndefaults: {pipelineYamlPath: p.yaml, timeout: 120}\n"
        "jobs:\n  - name: loud\n"
    )
    state = tmp_path / "state"
    with LocalPlatform(
        db=tmp_path / "platform" / "platform.db",
        state_dir=tmp_path / "platform",
        workspace=workspace,
        token=secrets.token_urlsafe(16),
        executor="local",
        workers=1,
    ) as platform:
        result = cli("run", manifest, *connection(platform, state), "-o", "json", timeout=120)
        assert result.returncode == 0, result.stderr
        run_id = last_json(result.stdout)["run"]
        code, stderr, lines = read_then_close("logs", run_id, "loud", *connection(platform, state))
    assert code == EXIT_CLOSED_PIPE, stderr
    assert_quiet(stderr)
    assert any("line 0 of a long log" in line for line in lines), lines


@pytest.mark.xdist_group("closed-pipe-driven")
def test_watch_jsonl_into_head(driven: tuple[Path, str]) -> None:
    state, run_id = driven
    code, stderr, lines = read_then_close("watch", run_id, "--state-dir", state, "-o", "jsonl")
    assert code == EXIT_CLOSED_PIPE, stderr
    assert_quiet(stderr)
    assert json.loads(lines[0])["run"] == run_id
