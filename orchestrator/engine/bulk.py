"""Bulk cancel: by run, by labels, by status. Final jobs are never touched.

Every operation comes as a count (what it would touch, for the confirmation prompt and
``--dry-run``) and the action itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from orchestrator.api import PlatformClient
from orchestrator.api.model import FINAL_STATUSES, JobStatus
from orchestrator.engine.identity import JOB_LABEL, RUN_LABEL, made_by_create
from orchestrator.ledger import AttemptStatus, Ledger, RunRecord, RunState

NON_FINAL_STATUSES = frozenset(s for s in JobStatus if s not in FINAL_STATUSES)


@dataclass(frozen=True, slots=True)
class Selector:
    """Which jobs a bulk cancel targets: all these labels, and one of these statuses."""

    labels: Mapping[str, str] = field(default_factory=dict)
    statuses: frozenset[JobStatus] = NON_FINAL_STATUSES

    def describe(self) -> str:
        """Human wording for prompts."""
        parts = [f"{k}={v}" for k, v in sorted(self.labels.items())]
        if self.statuses != NON_FINAL_STATUSES:
            parts.append("status in " + ", ".join(sorted(map(str, self.statuses))))
        return " and ".join(parts) or "every unfinished job"


def parse_where(items: Sequence[str]) -> Selector:
    """``KEY=VALUE`` terms (a parameter, or ``status``); raises ValueError on bad input."""
    labels: dict[str, str] = {}
    statuses: set[JobStatus] = set()
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--where {item!r}: expected KEY=VALUE")
        if key == "status":
            try:
                statuses.add(JobStatus(value))
            except ValueError:
                known = ", ".join(s.value for s in JobStatus)
                raise ValueError(f"--where status={value!r}: one of {known}") from None
        else:
            labels[key] = value
    targeted = frozenset(statuses) & NON_FINAL_STATUSES if statuses else NON_FINAL_STATUSES
    return Selector(labels=labels, statuses=targeted)


async def count_selected(client: PlatformClient, selector: Selector) -> int:
    """How many jobs a cancel with this selector would touch."""
    if not selector.statuses:
        return 0
    return await client.count_jobs(selector.labels or None, selector.statuses)


async def cancel_selected(client: PlatformClient, selector: Selector) -> int:
    """Cancel them; returns how many the platform changed."""
    if not selector.statuses:
        return 0
    return await client.cancel_where(selector.labels or None, selector.statuses)


async def unfinished_attempts(ledger: Ledger, run: RunRecord, client: PlatformClient) -> list[str]:
    """Ids of a run's unfinished attempts on the server, found by the run label.

    Runs the platform spawned from one of the run's cron jobs carry the same labels but are
    not attempts: they are left out (they belong to the cron job, not to the run).
    """
    found = await client.find_jobs({RUN_LABEL: run.id}, NON_FINAL_STATUSES)
    cron_keys = ledger.cron_keys(run.id)
    if not cron_keys:
        return [s.id for s in found]
    known = {a.job_id for key in cron_keys for a in ledger.attempts(run.id, key) if a.job_id}
    return [
        s.id
        for s in found
        if s.id in known or made_by_create((s.parameters or {}).get(JOB_LABEL) in cron_keys, s)
    ]


async def settle_cancelled_run(ledger: Ledger, run: RunRecord, client: PlatformClient) -> None:
    """After cancelling a run nobody drives: record final statuses and close it in the ledger.

    Called with the run's lock held, so no driver can start meanwhile.
    """
    open_attempts = {a.job_id: a for a in ledger.open_attempts(run.id) if a.job_id}
    states = await client.get_jobs(list(open_attempts))
    ledger.record_statuses(
        run.id,
        [
            AttemptStatus(open_attempts[s.id].key, open_attempts[s.id].attempt, s.status)
            for s in states
        ],
    )
    outcomes = []
    for job in ledger.jobs(run.id, unsettled_only=True):
        last = job.last_attempt
        final = last is not None and last.status is not None and last.status.is_final
        outcomes.append((job.key, last.status if final and last and last.status else None))
    ledger.settle(run.id, [(key, status or JobStatus.CANCELLED) for key, status in outcomes])
    ledger.set_run_state(run.id, RunState.FINISHED)
