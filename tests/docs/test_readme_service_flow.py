"""The README's "The platform as a service" commands, run literally from a copy of the
repository's ``manifests/`` folder: the service and the runs agree on the workspace, and
what each command promises holds."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from orchestrator.ledger import Ledger, RunState
from orchestrator.platform.process.instance import running_platform
from orchestrator.platform.process.service import stop_platform

ROOT = Path(__file__).resolve().parents[2]


def service_commands() -> list[str]:
    """The ``$ orchestrator ...`` lines of the section's console block, comments dropped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## The platform as a service", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```console\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the section has no console block"
    lines = [line.removeprefix("$ ") for line in block.group(1).splitlines()]
    return [line.split("#", 1)[0].strip() for line in lines if line.strip()]


def run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(command)
    assert argv[0] == "orchestrator"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_")}
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", *argv[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_readme_service_flow_runs_as_written(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "manifests", tmp_path / "manifests")
    state = tmp_path / ".orchestrator"
    commands = service_commands()
    assert [c.split()[1:3] for c in commands][:2] == [
        ["platform", "start"],
        ["run", "manifests/sweep.yaml"],
    ]
    try:
        for command in commands:
            result = run(command, tmp_path)
            assert "Traceback" not in result.stderr, (command, result.stderr)
            if command.endswith("platform stop"):  # refused while the detached run is live
                assert result.returncode in (0, 2), (command, result.stderr)
                continue
            assert result.returncode == 0, (command, result.stderr)
        assert running_platform(state) is None  # the last command stopped it
        with Ledger(state) as ledger:
            runs = {run.name: run for run in ledger.list_runs()}
        sweep = runs["lr-sweep"]
        assert sweep.state is RunState.FINISHED
        assert ledger_done(state, sweep.id) == 7  # every job ran the right code
        assert runs["ingest"].state is not RunState.RUNNING  # ended, never left driving
    finally:
        info = running_platform(state)
        if info is not None:
            stop_platform(info)


def ledger_done(state: Path, run_id: str) -> int:
    with Ledger(state) as ledger:
        return ledger.counts(run_id).done
