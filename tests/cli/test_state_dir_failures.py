"""Every command that touches the state dir, walked through each way the state dir or the
platform can fail under it: one line on stderr, the documented exit code, no traceback.

A corrupt, truncated or foreign ledger ("not an orchestrator ledger: PATH", exit 2); a
read-only state dir (``runs`` and ``status`` still answer, writing commands say what cannot be
written); a full disk (the run stops as interrupted, exit 130, and resumes once there is
space); an unreachable platform in ``cancel`` (exit 3); a prompt with no terminal to answer it
("stdin is not a terminal; pass --yes", exit 2). Read-only and full disks are real tmpfs
mounts, so those tests need root and skip without it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from orchestrator.ledger import Ledger, RunState
from orchestrator.manifest import JobSpec, Policy
from orchestrator.model import JobStatus
from tests.helpers.bulk import create, job, statuses
from tests.helpers.cli import connection, invoke, write_manifest
from tests.helpers.runs import attempt_counts, server_jobs

DEAD = ["--endpoint", "http://127.0.0.1:9/graphql", "--token", "t"]  # port 9: nobody listens
MANIFEST = "name: t\ndefaults: {pipelineYamlPath: p.yaml}\njobs:\n  - matrix: {i: {range: [3]}}\n"


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


def ledger_commands(state: Path, manifest: Path, run_id: str) -> dict[str, list[Any]]:
    """Each command that opens the ledger, pointed at ``state`` and a platform nobody runs."""
    where = ["--state-dir", state]
    return {
        "runs": ["runs", *where],
        "status": ["status", run_id, *where],
        "watch": ["watch", run_id, *where, "--output", "json"],
        "run": ["run", manifest, *where, *DEAD],
        "resume": ["resume", run_id, *where, *DEAD],
        "retry": ["retry", run_id, *where, *DEAD],
        "cancel": ["cancel", run_id, "--yes", *where, *DEAD],
    }


def make_ledger(state: Path, jobs: int = 0) -> str:
    """A real ledger with one run (of ``jobs`` recorded jobs); returns the run id."""
    with Ledger(state) as ledger:
        run = ledger.create_run(name="t", policy=Policy())
        specs = [
            JobSpec(f"k{i}", i, "g", f"n{i}", {}, {"pipelineYamlPath": "x" * 200}, {})
            for i in range(jobs)
        ]
        ledger.record_intents(run.id, [(spec, 0) for spec in specs])
        return run.id


def corrupt_garbage(state: Path) -> None:
    state.mkdir(parents=True)
    (state / "ledger.db").write_bytes(os.urandom(8192))


def corrupt_truncated(state: Path) -> None:
    make_ledger(state, jobs=2000)
    path = state / "ledger.db"
    os.truncate(path, path.stat().st_size // 3)


def corrupt_foreign(state: Path) -> None:
    state.mkdir(parents=True)
    db = sqlite3.connect(state / "ledger.db")
    db.execute("CREATE TABLE pipeline_job (id TEXT)")
    db.commit()
    db.close()


@pytest.mark.parametrize("damage", [corrupt_garbage, corrupt_truncated, corrupt_foreign])
def test_every_command_says_not_an_orchestrator_ledger(damage: Any, tmp_path: Path) -> None:
    state = tmp_path / "state"
    damage(state)
    manifest = write_manifest(tmp_path, MANIFEST)
    for name, args in ledger_commands(state, manifest, "20260101-000000-abcdef").items():
        result = invoke(*args)
        no_traceback(result)
        assert result.returncode == 2, (name, result.stderr)
        assert f"not an orchestrator ledger: {state / 'ledger.db'}" in result.stderr, (
            name,
            result.stderr,
        )


def test_read_only_state_dir_reads_work_and_writes_say_what(tmpfs: Path, tmp_path: Path) -> None:
    state = tmpfs / "state"
    run_id = make_ledger(state, jobs=3)
    subprocess.run(["mount", "-o", "remount,ro", tmpfs], check=True)
    manifest = write_manifest(tmp_path, MANIFEST)
    commands = ledger_commands(state, manifest, run_id)

    runs = invoke(*commands["runs"], "--output", "json")
    assert runs.returncode == 0, runs.stderr
    assert [row["run"] for row in json.loads(runs.stdout)] == [run_id]
    status = invoke(*commands["status"], "--output", "json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["jobs"] == 3

    for name in ("run", "resume", "retry", "cancel"):
        result = invoke(*commands[name])
        no_traceback(result)
        assert result.returncode == 2, (name, result.stderr)
        assert "cannot write" in result.stderr and str(state) in result.stderr, (
            name,
            result.stderr,
        )
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert errors == [f"error: cannot write {state / 'ledger.db'}: {state} is read-only"]


FULL_MANIFEST = """\
name: full
defaults: {pipelineYamlPath: p.yaml, parameters: {PAD: "%s"}}
jobs:
  - matrix: {i: {range: [400]}}
    parameters: {I: "{{ i }}"}
policy: {maxInFlight: 400, maxJobs: 400}
""" % ("x" * 3000)


def test_full_disk_stops_the_run_as_interrupted_and_resume_finishes_it(
    platform: Any, tmpfs: Path, tmp_path: Path
) -> None:
    state = tmpfs / "state"
    manifest = write_manifest(tmp_path, FULL_MANIFEST)
    result = invoke("run", manifest, *connection(platform, state), "--output", "json")
    no_traceback(result)
    assert result.returncode == 130, result.stderr
    assert "is full: the run stopped." in result.stderr
    assert "orchestrator resume" in result.stderr

    subprocess.run(["mount", "-o", "remount,size=64m", tmpfs], check=True)  # space freed
    with Ledger(state, read_only=True) as ledger:
        (run,) = ledger.list_runs()
        assert ledger.effective_state(run) is RunState.INTERRUPTED
    resumed = invoke("resume", run.id, *connection(platform, state), "--output", "json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["done"] == 400
    counts = attempt_counts(server_jobs(platform.url, platform.token, run.id))
    assert len(counts) == 400 and set(counts.values()) == {1}  # none lost, none twice


def test_cancel_with_an_unreachable_platform_is_one_line_and_exit_3(tmp_path: Path) -> None:
    result = invoke("cancel", "--scheduled", "--yes", "--state-dir", tmp_path / "s", *DEAD)
    no_traceback(result)
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("error: the platform is unreachable")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_prompt_without_a_terminal_says_pass_yes(platform: Any, tmp_path: Path) -> None:
    state = tmp_path / "state"
    platform_job = invoke(
        "cancel", "--where", "status=pending", *connection(platform, state), input=""
    )
    # nothing matches, so nothing to ask: the command ends without a prompt
    assert platform_job.returncode == 0, platform_job.stderr
    (scheduled,) = create(platform, [job(schedule="0 3 * * *")])  # stays "scheduled"
    for stdin in ("", None):
        argv = ["cancel", "--scheduled", *connection(platform, state)]
        result = _closed_stdin(argv) if stdin is None else invoke(*argv, input=stdin)
        no_traceback(result)
        assert result.returncode == 2, result.stderr
        assert "stdin is not a terminal; pass --yes" in result.stderr
    assert statuses(platform, [scheduled]) == [JobStatus.SCHEDULED]  # nothing was cancelled


def _closed_stdin(argv: list[Any]) -> subprocess.CompletedProcess[str]:
    """``orchestrator ARGV <&-``: file descriptor 0 closed before the program starts."""
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_")}
    command = [sys.executable, "-m", "orchestrator", *map(str, argv)]
    return subprocess.run(
        ["sh", "-c", 'exec "$@" <&-', "sh", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
        check=False,
    )
