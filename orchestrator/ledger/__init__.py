"""Durable run state: runs, their jobs and every attempt, in SQLite under the state dir.

The engine writes an attempt's *intent* before its create request and the job id after the
reply; everything needed to resume a run after a crash is here.
"""

from orchestrator.ledger.failures import (
    LedgerError,
    LedgerFullError,
    LedgerWriteError,
    NotALedgerError,
)
from orchestrator.ledger.lock import INHERITED_LOCK_ENV, RunLock, RunLockedError
from orchestrator.ledger.records import AttemptRecord, JobRecord, RunCounts, RunRecord, RunState
from orchestrator.ledger.store import (
    LEDGER_FILE,
    AttemptStatus,
    Ledger,
    RunNotFoundError,
    new_run_id,
)

__all__ = [
    "INHERITED_LOCK_ENV",
    "LEDGER_FILE",
    "AttemptRecord",
    "AttemptStatus",
    "JobRecord",
    "Ledger",
    "LedgerError",
    "LedgerFullError",
    "LedgerWriteError",
    "NotALedgerError",
    "RunCounts",
    "RunLock",
    "RunLockedError",
    "RunNotFoundError",
    "RunRecord",
    "RunState",
    "new_run_id",
]
