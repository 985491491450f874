"""orchestrator.Platform from Python against a real local platform: typed records, cancel
that waits (even with no time to wait, it checks once), unknown ids as not found."""

from __future__ import annotations

from typing import Any

import orchestrator
from orchestrator.api import JobCreate
from orchestrator.model import JobStatus
from orchestrator.ops import CancelReport, Job, JobStats, parse_where

LONG = {"SIM_OUTCOME": "done", "SIM_DURATION": "300", "ORCHESTRATOR_RUN": "py-run"}


async def test_platform_selects_cancels_and_waits(platform: Any) -> None:
    async with orchestrator.Platform(endpoint=platform.url, token=platform.token) as p:
        created = await p.client.create_jobs(
            [
                JobCreate({"pipelineYamlPath": "p.yaml", "jobType": t}, {**LONG, "T": t})
                for t in ("train", "train", "eval")
            ]
        )
        query = orchestrator.JobQuery(terms=parse_where(["jobType=train"]), run="py-run")
        selected = await p.jobs(query)
        assert all(isinstance(j, Job) and j.job_type == "train" for j in selected)
        assert {j.id for j in selected} == {s.id for s in created[:2]}
        assert selected[0].parameters["T"] == "train"

        report = await p.cancel(query, wait=0)
        assert report == CancelReport(matched=2, cancelled=2)
        ghost = Job("no-such-job", JobStatus.IN_PROGRESS)
        eval_job = await p.jobs(orchestrator.JobQuery(terms=parse_where(["jobType=eval"])))
        mixed = await p.cancel_jobs([*selected, ghost, *eval_job], wait=5)
        assert (mixed.matched, mixed.cancelled, mixed.already_final, mixed.not_found) == (
            4,
            1,
            2,
            1,
        )
        stats = await p.stats()
        assert isinstance(stats, JobStats)
        assert stats.counts["CANCELLED"]["TOTAL"] == 3 and stats.counts["ALL"]["T_10M"] == 3
        assert await p.sessions() == []
