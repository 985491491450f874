"""Cancel one run, whoever drives it: the same server-side cancel, the same wait, the same report.

A run driven by another process is asked (through the ledger) to stop admitting; the jobs are
cancelled on the server here as well, and jobs its driver creates meanwhile are found by the
run label on every poll and cancelled too. A run nobody drives is locked, cancelled, waited
for and settled in the ledger. The run's schedules (its "scheduled" cron jobs) are stopped
unless ``keep_schedules``; runs the platform spawned from them are not the run's attempts and
are left to their cron job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import anyio

from orchestrator.engine.bulk import settle_cancelled_run
from orchestrator.engine.identity import JOB_LABEL, RUN_LABEL
from orchestrator.ledger import Ledger, RunRecord
from orchestrator.model import JobStatus
from orchestrator.ops.job_query import JobQuery
from orchestrator.ops.platform import DEFAULT_WAIT_SECONDS, Platform
from orchestrator.ops.records import CancelReport, Job

DRIVER_POLL_SECONDS = 0.1


@dataclass(frozen=True, slots=True)
class RunSelection:
    """A run's jobs on the server (final ones included) and how many the ledger knows of that
    the server does not."""

    run: RunRecord
    jobs: tuple[Job, ...]
    missing: int
    driven: bool

    @property
    def unfinished(self) -> list[Job]:
        """The jobs a cancel touches."""
        return [job for job in self.jobs if not job.status.is_final]


async def select_run(
    platform: Platform, ledger: Ledger, run: RunRecord, *, keep_schedules: bool = False
) -> RunSelection:
    """The run's jobs as a cancel sees them (one look-up by the run label)."""
    found = await _run_jobs(platform, ledger, run, keep_schedules)
    known = {a.job_id for a in ledger.open_attempts(run.id) if a.job_id}
    on_server = {job.id for job in found}
    missing = len(known - on_server)
    return RunSelection(run, tuple(found), missing, ledger.run_is_driven(run.id))


async def cancel_run(
    platform: Platform,
    ledger: Ledger,
    selection: RunSelection,
    *,
    keep_schedules: bool = False,
    wait: float = DEFAULT_WAIT_SECONDS,
) -> CancelReport:
    """Cancel the selected run and wait until its jobs are final (or ``wait`` s passed)."""
    run = selection.run

    async def refind() -> Sequence[Job]:
        return await _run_jobs(platform, ledger, run, keep_schedules, unfinished=True)

    if ledger.run_is_driven(run.id):
        ledger.request_cancel(run.id)  # the driver stops admitting and retrying
        report = await platform.cancel_jobs(
            selection.jobs, wait=wait, refind=refind, missing=selection.missing
        )
        await _driver_gone(ledger, run.id, wait)  # it settles the jobs never submitted
        return report
    with ledger.lock(run.id):
        ledger.request_cancel(run.id)
        report = await platform.cancel_jobs(
            selection.jobs, wait=wait, refind=refind, missing=selection.missing
        )
        await settle_cancelled_run(ledger, run, platform.client)
    return report


async def _driver_gone(ledger: Ledger, run_id: str, wait: float) -> None:
    """Wait (at most ``wait`` s) until no process drives the run: its driver settles, after
    a cancel request, the jobs it never submitted, so the run's counts are whole once it is
    gone."""
    with anyio.move_on_after(wait):
        while ledger.run_is_driven(run_id):  # noqa: ASYNC110 (another process's lock: no event)
            await anyio.sleep(DRIVER_POLL_SECONDS)


async def _run_jobs(
    platform: Platform,
    ledger: Ledger,
    run: RunRecord,
    keep_schedules: bool,
    unfinished: bool = False,
) -> list[Job]:
    """The run's attempts on the server, without runs spawned from its cron jobs."""
    found = await platform.jobs(JobQuery(run=run.id, unfinished=unfinished))
    cron_keys = ledger.cron_keys(run.id)
    known = {a.job_id for key in cron_keys for a in ledger.attempts(run.id, key) if a.job_id}

    def attempt(job: Job) -> bool:
        spawned = (
            job.parameters.get(JOB_LABEL) in cron_keys
            and job.id not in known
            and job.status is not JobStatus.SCHEDULED
        )
        return not spawned

    jobs = [job for job in found if attempt(job) and job.parameters.get(RUN_LABEL) == run.id]
    if keep_schedules:
        jobs = [job for job in jobs if job.status is not JobStatus.SCHEDULED]
    return jobs


__all__ = ["RunSelection", "cancel_run", "select_run"]
