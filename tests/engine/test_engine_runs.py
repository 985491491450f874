"""The Python API around the engine: event channel, resume refusing a changed manifest."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from orchestrator.engine import Engine, EngineOptions, Event, EventChannel, EventKind
from orchestrator.ledger import Ledger
from orchestrator.manifest import Policy, load_manifest
from orchestrator.runs import ResumeError, record_manifest_run, resume_run
from orchestrator.testing import MemoryPlatform, make_specs

MANIFEST = """\
version: 1
name: m
defaults: {pipelineYamlPath: p.yaml}
jobs:
  - name: "j-{{ i }}"
    matrix: {i: [1, 2]}
"""


async def test_event_channel_streams_every_event_until_closed(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    run = ledger.create_run(name="t", policy=Policy())
    channel = EventChannel()
    engine = Engine(
        platform=MemoryPlatform(),
        ledger=ledger,
        run=run,
        options=EngineOptions(poll_min_interval=0.001, poll_max_interval=0.01, linger=0),
        on_event=channel,
    )
    seen: list[Event] = []

    async def consume() -> None:
        async for event in channel:
            seen.append(event)

    async with anyio.create_task_group() as tg:
        tg.start_soon(consume)
        try:
            summary = await engine.drive(make_specs(3))
        finally:
            channel.close()
    assert summary.done == 3
    assert sum(e.kind is EventKind.FINISHED for e in seen) == 3


async def test_resume_refuses_a_manifest_changed_since_the_run_started(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST)
    with Ledger(tmp_path / "state") as ledger:
        run = record_manifest_run(ledger, load_manifest(path), endpoint="http://127.0.0.1:9/g")
    path.write_text(MANIFEST.replace("[1, 2]", "[1, 2, 3]"))
    with pytest.raises(ResumeError, match="changed since the run started"):
        await resume_run(run.id, token="t", state_dir=tmp_path / "state")
