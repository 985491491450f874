"""The views name the task a failed job failed in, from the platform's ``PipelineJob.steps``
(a real local platform running real processes): the digest after ``run``, ``status``,
``jobs``, ``watch`` and ``logs`` from the server, in text and JSON."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from orchestrator.platform.process.embedded import LocalPlatform
from orchestrator.platform.process.instance import running_platform
from orchestrator.platform.process.service import stop_platform
from tests.helpers.cli import cli, connection, invoke, last_json

pytestmark = pytest.mark.integration

PIPELINE = """\
pipeline:
  name: p
  tasks:
    - {name: prepare, type: bash script, bash_script_path: ok.sh}
    - {name: crunch, type: bash script, bash_script_path: work.sh}
"""
# "broken" fails in crunch; "slow" is stopped in crunch by its activeTimeout (its reason
# says only that time ran out: the digest adds the task)
WORK = """\
if [ "$HYPERPLANE_JOB_PARAMETER_MODE" = broken ]; then exit 5; fi
if [ "$HYPERPLANE_JOB_PARAMETER_MODE" = slow ]; then sleep 60; fi
"""
MANIFEST = """\
version: 1
name: steps
defaults: {pipelineYamlPath: p.yaml, timeout: 120}
jobs:
  - name: broken
    parameters: {MODE: broken}
  - name: slow
    activeTimeout: 1
    parameters: {MODE: slow}
  - name: fine
    parameters: {MODE: fine}
"""


def test_the_views_name_the_task_a_job_failed_in(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "p.yaml").write_text(PIPELINE)
    (workspace / "ok.sh").write_text("exit 0\n")
    (workspace / "work.sh").write_text(WORK)
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST)
    state = tmp_path / "state"
    with LocalPlatform(
        db=tmp_path / "platform" / "platform.db",
        state_dir=tmp_path / "platform",
        workspace=workspace,
        token=secrets.token_urlsafe(16),
        executor="local",
        workers=3,
    ) as platform:
        ran = invoke("run", manifest, *connection(platform, state))
        assert ran.returncode == 1, ran.stderr
        # the digest after the run: the timed-out job's reason is led by its task
        slow_line = next(ln for ln in ran.stdout.splitlines() if ln.strip().startswith("slow "))
        assert "timed out after 1 attempt: in task 'crunch': timed out" in slow_line, ran.stdout
        assert "task 'crunch' (bash script) exited with code 5" in ran.stdout  # said once
        (run,) = json.loads(invoke("runs", "--state-dir", state, "-o", "json").stdout)

        remote = connection(platform, tmp_path / "elsewhere")  # the server alone
        status = invoke("status", run["run"], *remote, "-o", "json")
        assert status.returncode == 0, status.stderr
        failures = {f["key"]: f for f in last_json(status.stdout)["failures"]}
        assert {key: f.get("step") for key, f in failures.items()} == {
            "broken": "crunch",
            "slow": "crunch",
        }
        text = invoke("status", run["run"], *remote)
        assert "in task 'crunch': timed out" in text.stdout, text.stdout

        jobs = json.loads(invoke("jobs", run["run"], *remote, "-o", "json").stdout)
        steps = {j["key"]: j.get("failed_step") for j in jobs}
        assert steps == {"broken": "crunch", "slow": "crunch", "fine": None}
        assert jobs[0]["history"][0]["failed_step"] == "crunch"

        watched = invoke("watch", run["run"], *remote, "-o", "json")
        assert {f.get("step") for f in last_json(watched.stdout)["failures"]} == {"crunch"}

        log = invoke("logs", run["run"], "broken", *remote)
        assert log.returncode == 0, log.stderr
        assert "failed in task 'crunch' ==" in log.stderr
        fine = invoke("logs", run["run"], "fine", *remote)
        assert "done ==" in fine.stderr and "in task" not in fine.stderr


def test_views_from_the_ledger_ask_the_state_dirs_running_platform(tmp_path: Path) -> None:
    """A run on the local platform serving its state dir: ``jobs`` and ``status`` from the
    ledger ask that platform which task failed."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "p.yaml").write_text(PIPELINE)
    (workspace / "ok.sh").write_text("exit 0\n")
    (workspace / "work.sh").write_text(WORK)
    manifest = workspace / "m.yaml"
    manifest.write_text(MANIFEST.split("  - name: slow")[0])  # "broken" alone
    state = tmp_path / "state"
    started = cli("platform", "start", "--state-dir", state, "--workspace", workspace)
    assert started.returncode == 0, started.stderr
    try:
        ran = cli("run", manifest, "--state-dir", state, "-o", "json")
        assert ran.returncode == 1, ran.stderr
        run_id = last_json(ran.stdout)["run"]
        jobs = json.loads(invoke("jobs", run_id, "--state-dir", state, "-o", "json").stdout)
        assert [(j["key"], j.get("failed_step")) for j in jobs] == [("broken", "crunch")]
        status = last_json(invoke("status", run_id, "--state-dir", state, "-o", "json").stdout)
        assert [f.get("step") for f in status["failures"]] == ["crunch"]
    finally:
        info = running_platform(state)
        if info is not None:
            stop_platform(info)
