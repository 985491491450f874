"""The README's quick start ("From `make run` to your own sweep"), followed literally: its
manifest block is written as ``my.yaml`` beside a copy of the repository's pipelines, and the
commands the steps name (``plan``, ``plan --count``, ``plan --output json``, ``run``) are run
on the embedded local platform with real processes, as a newcomer would type them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## From `make run` to your own sweep"


def quick_start() -> str:
    """The section's text, up to the next section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split(SECTION, 1)[1].split("\n## ", 1)[0]


def manifest_block() -> str:
    """The section's YAML block, unindented (it sits inside a numbered list)."""
    block = re.search(r"```yaml\n(.*?)```", quick_start(), re.DOTALL)
    assert block is not None, "the quick start has no manifest block"
    lines = block.group(1).splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines) + "\n"


def orchestrator(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``orchestrator ARGS`` as typed in ``cwd`` (no ORCHESTRATOR_ settings of the caller)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_")}
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_the_quick_start_names_the_commands_this_test_runs() -> None:
    """If the steps stop naming these commands, this test must be brought along."""
    text = quick_start()
    for command in ("orchestrator plan my.yaml", "orchestrator run my.yaml", "--count"):
        assert command in text, command


def test_the_quick_start_manifest_plans_and_runs_as_written(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "manifests" / "pipelines", tmp_path / "pipelines")
    (tmp_path / "my.yaml").write_text(manifest_block(), encoding="utf-8")
    # job names are prefixed with the manifest's name; vit/0.1 is excluded
    names = {"lr-sweep-train-resnet-0.1", "lr-sweep-train-resnet-0.01", "lr-sweep-train-vit-0.01"}

    plan = orchestrator("plan", "my.yaml", cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.splitlines()[0] == "3 jobs in my.yaml"

    count = orchestrator("plan", "my.yaml", "--count", cwd=tmp_path)
    assert (count.returncode, count.stdout) == (0, "3\n")

    listed = orchestrator("plan", "my.yaml", "--output", "json", cwd=tmp_path)
    jobs = json.loads(listed.stdout)
    assert {job["name"] for job in jobs} == names
    assert all(job["parameters"]["MODEL"] in ("resnet", "vit") for job in jobs)

    run = orchestrator("run", "my.yaml", "--output", "json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert (summary["jobs"], summary["done"], summary["failed"]) == (3, 3, 0)
    assert "Traceback" not in run.stderr
    # state and job logs where step 3 says: .orchestrator/ beside the manifest
    assert (tmp_path / ".orchestrator" / "ledger.db").is_file()
    assert len(list((tmp_path / ".orchestrator" / "logs").glob("*.log"))) == 3
