"""Which task a failed job failed in: the platform's ``PipelineJob.steps``, asked for the
failed attempts of the views being shown (never by the status poll).

A platform that answers no steps leaves the views as they were (:meth:`PlatformClient.
failed_steps` gives nothing), so every view renders either way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import anyio

from orchestrator.views.jobs import FAILED_OUTCOMES, AttemptView, JobView

if TYPE_CHECKING:  # a client is passed in: the network stack stays the caller's import
    from orchestrator.api.client import PlatformClient

STEPS_BUDGET = 5.0
"""Seconds a view waits for the steps (retries included) before it shows what it has."""


def failed_attempt_ids(views: Sequence[JobView]) -> list[str]:
    """The platform ids of the attempts (and fired runs) that ended failed or timed out."""
    return [
        a.job_id
        for v in views
        for a in (*v.attempts, *v.fires)
        if a.job_id is not None and a.status in FAILED_OUTCOMES
    ]


async def with_failed_steps(client: PlatformClient, views: Sequence[JobView]) -> list[JobView]:
    """``views`` with each failed attempt's ``failed_step`` filled where the platform's
    steps name it: one batched look-up, only when something failed, given up after
    :data:`STEPS_BUDGET` (a detail must not hold a view up)."""
    ids = failed_attempt_ids(views)
    if not ids:
        return list(views)
    steps: dict[str, str] = {}
    with anyio.move_on_after(STEPS_BUDGET):
        steps = await client.failed_steps(ids)
    if not steps:
        return list(views)

    def filled(attempts: tuple[AttemptView, ...]) -> tuple[AttemptView, ...]:
        return tuple(
            dataclasses.replace(a, failed_step=steps[a.job_id])
            if a.job_id in steps and a.status in FAILED_OUTCOMES
            else a
            for a in attempts
        )

    return [
        dataclasses.replace(v, attempts=filled(v.attempts), fires=filled(v.fires)) for v in views
    ]
