"""After a bulk cancel of a run nobody drives: close the run in the ledger.

Selecting and cancelling jobs lives in ``orchestrator.ops`` (the platform-wide bulk
operations); this is the part that needs the ledger's view of the run.
"""

from __future__ import annotations

from orchestrator.api import PlatformClient
from orchestrator.ledger import AttemptStatus, Ledger, RunRecord, RunState
from orchestrator.model import JobStatus


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
