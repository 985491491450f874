"""The library keeps the pattern its docs show: ``watch(control)`` follows the run the control
belongs to (its state dir included) and yields the events the driving call's callback gets;
``RunSummary``/``Event``: ``to_json()`` is text, ``to_dict()`` a dict; a user's script
type-checks with ``mypy --strict`` against the installed package (``py.typed``)."""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import anyio
import pytest

import orchestrator
from orchestrator.engine.events import Event, EventKind, RunSummary

pytestmark = pytest.mark.integration

MANIFEST = """\
version: 1
name: watched
defaults: {pipelineYamlPath: p.yaml, timeout: 60}
jobs:
  - name: "job-{{ i }}"
    matrix: {i: [1, 2, 3]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.5"}
"""


def _manifest(folder: Path) -> Path:
    (folder / "p.yaml").write_text("pipeline: {name: p, tasks: []}\n")
    path = folder / "m.yaml"
    path.write_text(MANIFEST)
    return path


def _kinds(events: list[Event]) -> dict[str, list[str]]:
    by_key: dict[str, list[str]] = defaultdict(list)
    for event in events:
        by_key[event.key].append(str(event.kind))
    return dict(by_key)


def test_watch_follows_the_controls_state_dir_and_yields_the_callbacks_events(
    platform: Any, tmp_path: Path
) -> None:
    manifest = _manifest(tmp_path)
    state = tmp_path / "elsewhere"  # not .orchestrator: watch must find it from the control
    called: list[Event] = []
    watched: list[Event] = []
    summaries: list[RunSummary] = []

    async def main() -> None:
        control = orchestrator.RunControl()

        async def drive() -> None:
            summaries.append(
                await orchestrator.run_manifest(
                    manifest,
                    endpoint=platform.url,
                    token=platform.token,
                    state_dir=state,
                    control=control,
                    on_event=called.append,
                )
            )

        async with anyio.create_task_group() as tg:
            tg.start_soon(drive)
            async for event in orchestrator.watch(control, interval=0.05):
                watched.append(event)

    anyio.run(main)
    assert summaries[0].done == 3
    assert not (tmp_path / ".orchestrator").exists()
    assert _kinds(watched) == _kinds(called)
    assert list(_kinds(watched).values()) == [["submitted", "started", "finished"]] * 3


def test_summary_and_event_to_json_is_text_to_dict_a_dict() -> None:
    summary = RunSummary(
        "r1", jobs=2, done=2, failed=0, timed_out=0, cancelled=0, attempts=2, retried=0
    )
    assert isinstance(summary.to_json(), str)
    assert json.loads(summary.to_json()) == summary.to_dict()
    assert summary.to_dict()["done"] == 2
    event = Event(EventKind.STARTED, "r1", "k", 1, 0.0)
    assert json.loads(event.to_json()) == event.to_dict()
    assert event.to_dict()["event"] == "started"


USER_SCRIPT = """\
import anyio
import orchestrator


async def main(path: str) -> int:
    control = orchestrator.RunControl()
    summaries: list[orchestrator.RunSummary] = []

    async def drive() -> None:
        summaries.append(await orchestrator.run_manifest(path, state_dir="s", control=control))

    async with anyio.create_task_group() as tg:
        tg.start_soon(drive)
        async for event in orchestrator.watch(control):
            kind: orchestrator.EventKind = event.kind
            print(kind, event.key, event.status, event.to_dict())
    summary = summaries[0]
    text: str = summary.to_json()
    data: dict[str, object] = summary.to_dict()
    print(text, data, summary.exit_code)
    return summary.done + summary.failed
"""


def _installed_copy(site: Path) -> None:
    """The package as a wheel installs it: its modules plus the package-data files
    pyproject.toml names (so a marker left out of package-data is left out here too)."""
    pyproject = tomllib.loads(
        (Path(orchestrator.__file__).parents[1] / "pyproject.toml").read_text()
    )
    patterns = pyproject["tool"]["setuptools"]["package-data"]["*"]
    source = Path(orchestrator.__file__).parent
    for path in source.rglob("*"):
        if (
            path.is_file()
            and "__pycache__" not in path.parts
            and (path.suffix == ".py" or any(fnmatch.fnmatch(path.name, p) for p in patterns))
        ):
            target = site / "orchestrator" / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def test_a_users_script_type_checks_strictly_against_the_installed_package(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    _installed_copy(site)
    assert (site / "orchestrator" / "py.typed").exists()
    script = tmp_path / "user.py"
    script.write_text(USER_SCRIPT)
    mypy = Path(sys.executable).with_name("mypy")
    result = subprocess.run(
        [str(mypy), "--strict", "--cache-dir", str(tmp_path / "cache"), str(script)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found in 1 source file" in result.stdout
