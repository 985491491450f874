"""After a run with failures, against a real local platform running real processes:
`jobs` lists attempts and reasons, `logs` prints each attempt's own output (over the log
route), the digest names the failing key, and `status/jobs/runs --endpoint` from an empty
state dir agree with the ledger."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest

from orchestrator.api import JobCreate, JobStatus, PlatformClient
from orchestrator.engine.identity import attempt_labels
from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.cli import cli, connection, invoke, last_json
from tests.helpers.wait import wait_for

# one xdist worker runs this module (make test: --dist loadgroup), so its module-scoped
# fixture starts once, not once per worker
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("failed-run")]

# Each attempt is a job of its own: the script reads its orchestrator attempt number from
# its parameters, so "flaky" fails twice then succeeds and "broken" fails every time.
SCRIPT = """\
import os, sys
attempt = int(os.environ["HYPERPLANE_JOB_PARAMETER_ORCHESTRATOR_ATTEMPT"])
mode = os.environ["HYPERPLANE_JOB_PARAMETER_MODE"]
print(f"output of {mode} attempt {attempt}", flush=True)
if mode == "flaky" and attempt < 3:
    sys.exit(3)
if mode == "broken":
    sys.exit(4)
"""
PIPELINE = """\
pipeline:
  name: p
  tasks:
    - {name: main, type: py, py_path: flaky.py}
"""
MANIFEST = """\
version: 1
name: sweep
defaults: {pipelineYamlPath: p.yaml, timeout: 120}
jobs:
  - name: flaky
    maxRetries: 2
    parameters: {MODE: flaky}
  - name: broken
    maxRetries: 1
    parameters: {MODE: broken}
  - name: fine
    parameters: {MODE: fine}
policy:
  retry: {backoff: 0.05s, maxBackoff: 0.1s}
"""


@dataclass
class FailedRun:
    platform: Any
    state: Path
    run_id: str
    stdout: str

    def where(self) -> list[str]:
        return connection(self.platform, self.state)


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FailedRun]:
    """One run (shared by the module's tests: each only reads it) on a local platform."""
    base = tmp_path_factory.mktemp("failed-run")
    workspace = base / "workspace"
    workspace.mkdir()
    (workspace / "flaky.py").write_text(SCRIPT)
    (workspace / "p.yaml").write_text(PIPELINE)
    manifest = base / "m.yaml"
    manifest.write_text(MANIFEST)
    state = base / "state"
    with LocalPlatform(
        db=base / "platform" / "platform.db",
        state_dir=base / "platform",
        workspace=workspace,
        token=secrets.token_urlsafe(16),
        executor="local",
        workers=2,
    ) as platform:
        result = invoke("run", manifest, *connection(platform, state))
        assert result.returncode == 1, result.stderr
        (run,) = json.loads(invoke("runs", "--state-dir", state, "-o", "json").stdout)
        yield FailedRun(platform, state, run["run"], result.stdout)


def test_jobs_json_lists_attempts_and_reasons(failed_run: FailedRun) -> None:
    result = invoke("jobs", failed_run.run_id, "--state-dir", failed_run.state, "-o", "json")
    assert result.returncode == 0, result.stderr
    jobs = {j["key"]: j for j in json.loads(result.stdout)}
    assert (jobs["flaky"]["status"], jobs["flaky"]["attempts"]) == ("done", 3)
    assert [a["status"] for a in jobs["flaky"]["history"]] == ["failed", "failed", "done"]
    assert "exited with code 3" in jobs["flaky"]["history"][0]["reason"]
    assert (jobs["broken"]["status"], jobs["broken"]["attempts"]) == ("failed", 2)
    assert "exited with code 4" in jobs["broken"]["reason"]
    assert jobs["broken"]["name"] == "sweep-broken"
    first = json.loads(result.stdout)[0]
    assert first["key"] == "broken"  # failures first

    only = invoke(
        "jobs",
        failed_run.run_id,
        "--state-dir",
        failed_run.state,
        "--status",
        "failed",
        "--attempts",
        "-o",
        "json",
    )
    rows = json.loads(only.stdout)
    assert [(r["key"], r["attempt"]) for r in rows] == [("broken", 1), ("broken", 2)]
    table = invoke("jobs", failed_run.run_id, "--state-dir", failed_run.state, "--key", "fl*")
    assert table.stdout.splitlines()[0].split() == [
        "key",
        "name",
        "status",
        "attempts",
        "reason",
        "id",
        "duration",
    ]
    assert [ln.split()[0] for ln in table.stdout.splitlines()[1:]] == ["flaky"]
    assert "│" not in table.stdout  # piped: plain columns


def test_digest_names_the_failing_key_and_reason(failed_run: FailedRun) -> None:
    out = failed_run.stdout
    assert "Failed jobs (1):" in out
    assert "broken  failed after 2 attempts: task 'main' (py) exited with code 4" in out
    assert f"orchestrator logs {failed_run.run_id} broken" in out
    assert f"orchestrator retry {failed_run.run_id}" in out
    summary = last_json(
        invoke("status", failed_run.run_id, "--state-dir", failed_run.state, "-o", "json").stdout
    )
    assert summary["failed"] == 1


def test_logs_print_each_attempts_own_output(failed_run: FailedRun) -> None:
    for attempt in (1, 2, 3):
        result = invoke(
            "logs", failed_run.run_id, "flaky", "--attempt", str(attempt), *failed_run.where()
        )
        assert result.returncode == 0, result.stderr
        assert f"output of flaky attempt {attempt}" in result.stdout
        others = {1, 2, 3} - {attempt}
        assert not any(f"attempt {n}\n" in result.stdout for n in others)
        assert f"(flaky, attempt {attempt})" in result.stdout  # the header names the attempt
    latest = invoke("logs", failed_run.run_id, "broken", *failed_run.where(), "--follow")
    assert latest.returncode == 0, latest.stderr
    assert "output of broken attempt 2" in latest.stdout
    assert "exited with code 4" in latest.stdout
    missing = invoke("logs", failed_run.run_id, "flaky", "--attempt", "9", *failed_run.where())
    assert missing.returncode == 2
    assert "no attempt 9" in missing.stderr


def test_views_from_the_server_alone_agree_with_the_ledger(
    failed_run: FailedRun, tmp_path: Path
) -> None:
    empty = tmp_path / "elsewhere"
    remote = connection(failed_run.platform, empty)
    keys = ("jobs", "done", "failed", "timed_out", "cancelled", "attempts", "retried")

    local = last_json(
        invoke("status", failed_run.run_id, "--state-dir", failed_run.state, "-o", "json").stdout
    )
    served = invoke("status", failed_run.run_id[:15], *remote, "-o", "json")
    assert served.returncode == 0, served.stderr
    assert {k: last_json(served.stdout)[k] for k in keys} == {k: local[k] for k in keys}
    assert [f["key"] for f in last_json(served.stdout)["failures"]] == ["broken"]
    assert [f["key"] for f in local["failures"]] == ["broken"]

    runs = json.loads(invoke("runs", *remote, "-o", "json").stdout)
    assert [(r["run"], r["failed"], r["attempts"]) for r in runs] == [(failed_run.run_id, 1, 6)]

    def job_rows(*where: str | Path) -> dict[str, tuple[str, int, str | None]]:
        data = json.loads(invoke("jobs", failed_run.run_id, *where, "-o", "json").stdout)
        return {j["key"]: (j["status"], j["attempts"], j["reason"]) for j in data}

    assert job_rows(*remote) == job_rows("--state-dir", failed_run.state)
    watched = invoke("watch", failed_run.run_id, *remote, "-o", "json")
    assert watched.returncode == 1
    assert last_json(watched.stdout)["failures"][0]["key"] == "broken"
    # a real process: the jsonl printer binds sys.stdout when its module is imported
    streamed = cli("watch", failed_run.run_id, "--state-dir", failed_run.state, "-o", "jsonl")
    events = [json.loads(line) for line in streamed.stdout.splitlines() if line.startswith("{")]
    finished = {e["job"]: e["status"] for e in events if e["event"] == "finished"}
    assert finished == {"flaky": "done", "broken": "failed", "fine": "done"}
    assert {e["name"] for e in events if e["event"] == "submitted"} >= {"sweep-flaky"}
    assert events[-1]["event"] == "summary"
    assert not empty.exists() or not (empty / "ledger.db").exists()


def test_logs_of_the_embedded_platform_come_from_the_state_dir(tmp_path: Path) -> None:
    (tmp_path / "flaky.py").write_text(SCRIPT)
    (tmp_path / "p.yaml").write_text(PIPELINE)
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST.split("  - name: flaky")[0] + "  - name: broken\n"
                        "    parameters: {MODE: broken}\n")  # fmt: skip
    state = tmp_path / "state"
    run = invoke("run", manifest, "--state-dir", state, "-o", "json")
    assert run.returncode == 1, run.stderr
    summary = last_json(run.stdout)
    assert summary["failures"] == [
        {
            "key": "broken",
            "name": "sweep-broken",
            "status": "failed",
            "reason": "task 'main' (py) exited with code 4",
            "attempts": 1,
            "step": "main",  # the platform's steps name the task it failed in
        }
    ]
    result = invoke("logs", summary["run"][:10], "broken", "--state-dir", state, "--follow")
    assert result.returncode == 0, result.stderr
    assert "output of broken attempt 1" in result.stdout
    assert "== broken (sweep-broken) attempt 1" in result.stderr


SLOW = """\
import time
print("first line", flush=True)
time.sleep(2)
print("last line", flush=True)
"""


def test_follow_prints_a_running_job_to_its_end(failed_run: FailedRun, tmp_path: Path) -> None:
    workspace = Path(failed_run.platform.workspace)
    (workspace / "slow.py").write_text(SLOW)
    (workspace / "slow.yaml").write_text(PIPELINE.replace("flaky.py", "slow.py"))
    labels = attempt_labels("20250101-000000-follow", "slow", 1)
    platform = failed_run.platform

    async def create() -> str:
        async with PlatformClient(platform.url, platform.token) as client:
            (job,) = await client.create_jobs(
                [JobCreate({"pipelineYamlPath": "slow.yaml", "timeout": 60}, labels)]
            )
            return job.id

    job_id = anyio.run(create)

    def running() -> bool:
        async def status() -> JobStatus:
            async with PlatformClient(platform.url, platform.token) as client:
                return (await client.get_jobs([job_id]))[0].status

        return anyio.run(status) is not JobStatus.PENDING

    wait_for(running, timeout=60, what="the slow job to start")
    result = invoke("logs", "20250101-000000-follow", "slow", "-f", *connection(platform, tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.index("first line") < result.stdout.index("last line")
    assert "ended with code 0" in result.stdout
