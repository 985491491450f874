"""The Python API inside a running event loop (as in a notebook): it prints nothing, and
its events reach the caller through ``async for event in orchestrator.watch(...)``."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import structlog

import orchestrator
from orchestrator.library_logging import install_quiet_default

pytestmark = pytest.mark.integration

MANIFEST = """\
version: 1
name: lib
defaults: {pipelineYamlPath: p.yaml, timeout: 60}
jobs:
  - name: "ok-{{ i }}"
    matrix: {i: [1, 2, 3]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.05"}
  - name: bad
    maxRetries: 1
    parameters: {SIM_OUTCOME: failed, SIM_DURATION: "0.05"}
policy: {retry: {backoff: 0.05s, maxBackoff: 0.1s}}
"""


@pytest.fixture(autouse=True)
def _fresh_import_logging() -> Iterator[None]:
    """structlog as a fresh ``import orchestrator`` leaves it (other tests configure it)."""
    structlog.reset_defaults()
    install_quiet_default()
    yield
    structlog.reset_defaults()


async def test_library_prints_nothing_and_streams_events(
    platform: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.yaml").write_text("pipeline: {name: p, tasks: []}\n")
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST)
    control = orchestrator.RunControl()
    seen: list[orchestrator.Event] = []
    result: list[orchestrator.RunSummary] = []

    async def drive() -> None:
        result.append(
            await orchestrator.run_manifest(
                manifest,
                endpoint=platform.url,
                token=platform.token,
                state_dir=tmp_path / "state",
                control=control,
            )
        )

    async with anyio.create_task_group() as tg:
        tg.start_soon(functools.partial(drive))
        async for event in orchestrator.watch(control, state_dir=tmp_path / "state"):
            seen.append(event)

    (summary,) = result
    assert (summary.done, summary.failed, summary.attempts) == (3, 1, 5)
    assert [f.key for f in summary.failures] == ["bad"]
    finished = {e.key: e.status for e in seen if e.kind is orchestrator.EventKind.FINISHED}
    assert finished == {**{k: "done" for k in finished if k != "bad"}, "bad": "failed"}
    assert len(finished) == 4
    assert {e.name for e in seen} >= {"lib-bad"}
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
