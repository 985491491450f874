"""Job logs are the platform's state, as private as the rest of the state dir (README: every
file 0600): the local executor creates ``logs/`` 0700 and each job's log 0600, whatever the
umask; notes appended to a log keep it so."""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path

import pytest

from orchestrator.platform.executor.task_runner import append_note
from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.cli import cli, connection, last_json

pytestmark = pytest.mark.integration


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_jobs_log_is_0600_in_a_0700_folder(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "hello.py").write_text("print('hello from the job')\n")
    (workspace / "p.yaml").write_text(
        "pipeline:\n  name: p\n  tasks:\n    - {name: main, type: py, py_path: hello.py}\n"
    )
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        "version: 1\nname: modes\ndefaults: {pipelineYamlPath: p.yaml, timeout: 120}\n"
        "jobs:\n  - name: hello\n"
    )
    platform_dir = tmp_path / "platform"
    old_umask = os.umask(0o022)  # the usual one: files 0644 unless created private
    try:
        with LocalPlatform(
            db=platform_dir / "platform.db",
            state_dir=platform_dir,
            workspace=workspace,
            token=secrets.token_urlsafe(16),
            executor="local",
            workers=1,
        ) as platform:
            state = tmp_path / "state"
            result = cli("run", manifest, *connection(platform, state), "-o", "json")
            assert result.returncode == 0, result.stderr
            run_id = last_json(result.stdout)["run"]
            jobs = json.loads(cli("jobs", run_id, "--state-dir", state, "-o", "json").stdout)
    finally:
        os.umask(old_umask)
    log = platform_dir / "logs" / f"{jobs[0]['id']}.log"
    assert "hello from the job" in log.read_text()
    assert (_mode(log.parent), _mode(log)) == (0o700, 0o600)


def test_a_note_creates_a_private_log(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        log = tmp_path / "logs" / "job.log"
        append_note(log, "stopped: the platform shut down")
    finally:
        os.umask(old_umask)
    assert (_mode(log.parent), _mode(log)) == (0o700, 0o600)
    assert "stopped: the platform shut down" in log.read_text()
