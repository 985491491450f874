"""Helpers of the bulk-command tests: jobs created straight on the platform (labelled as an
orchestrator run would label them, or not), and their statuses read back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import anyio

from orchestrator.api import JobCreate, PlatformClient
from orchestrator.model import JobStatus

LONG = {"SIM_OUTCOME": "done", "SIM_DURATION": "300"}  # stays "in progress" for the test


def job(
    parameters: Mapping[str, str] | None = None, run: str | None = "r1", **fields: Any
) -> JobCreate:
    """A create of a long job (labelled with run ``run`` unless None)."""
    labels = {"ORCHESTRATOR_RUN": run, "ORCHESTRATOR_JOB": "k", "ORCHESTRATOR_ATTEMPT": "1"}
    params = {**LONG, **(parameters or {}), **(labels if run else {})}
    return JobCreate(fields={"pipelineYamlPath": "p.yaml", "timeout": 600, **fields},
                     parameters=params)  # fmt: skip


def create(platform: Any, creates: Sequence[JobCreate]) -> list[str]:
    """Create the jobs; their ids in order."""

    async def go() -> list[str]:
        async with PlatformClient(platform.url, platform.token) as client:
            return [s.id for s in await client.create_jobs(list(creates))]

    return anyio.run(go)


def statuses(platform: Any, ids: Sequence[str]) -> list[JobStatus]:
    """The jobs' statuses, in the order of ``ids``."""

    async def go() -> list[JobStatus]:
        async with PlatformClient(platform.url, platform.token) as client:
            found = {s.id: s.status for s in await client.get_jobs(list(ids))}
        return [found[i] for i in ids]

    return anyio.run(go)


def conn(platform: Any, tmp_path: Any) -> list[str]:
    """Options pointing a command at ``platform``."""
    return ["--endpoint", platform.url, "--token", platform.token, "--state-dir",
            str(tmp_path / "state")]  # fmt: skip
