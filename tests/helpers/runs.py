"""A run as its ledger and the server see it: its id, whether it is recorded yet, its jobs on
the server (found by the run label) and how many attempts of each job the server holds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import anyio

from orchestrator.api import PlatformClient
from orchestrator.engine.identity import ATTEMPT_LABEL, JOB_LABEL, RUN_LABEL
from orchestrator.ledger import AttemptRecord, Ledger
from orchestrator.model import JobState


def only_run_id(state_dir: Path) -> str:
    """The id of the single run of a state dir."""
    with Ledger(state_dir) as ledger:
        (run,) = ledger.list_runs()
        return run.id


def run_recorded(state_dir: Path) -> bool:
    """A run is recorded in the state dir's ledger (for waits: never raises while it is not)."""
    if not (state_dir / "ledger.db").exists():
        return False
    with Ledger(state_dir, read_only=True) as ledger:
        return bool(ledger.list_runs())


def server_jobs(url: str, token: str, run_id: str) -> list[JobState]:
    """Every job of a run on the server, found by its run label."""

    async def find() -> list[JobState]:
        async with PlatformClient(url, token) as client:
            return await client.find_jobs({RUN_LABEL: run_id})

    return anyio.run(find)


def attempt_counts(jobs: list[JobState]) -> Counter[tuple[str, str]]:
    """How many server jobs carry each (job key, attempt) pair: all 1 means no duplicate."""
    return Counter(
        (j.parameters[JOB_LABEL], j.parameters[ATTEMPT_LABEL]) for j in jobs if j.parameters
    )


def open_intents(ledger: Ledger, run_id: str) -> list[AttemptRecord]:
    """Attempts recorded as intents whose create reply never got into the ledger."""
    return [a for a in ledger.attempts(run_id) if a.job_id is None]
