"""Durable run state: runs, their jobs and every attempt, in SQLite under the state dir.

The engine writes an attempt's *intent* before its create request and the job id after the
reply; everything needed to resume a run after a crash is here.

Names are imported on first use (:mod:`orchestrator.lazy_exports`): importing one
module of this layer does not import all of it.

May import: ``manifest`` (a run's policy and job specs) and the ground
(:mod:`orchestrator.model`, :mod:`orchestrator.errors`, ...); never ``api``, ``engine`` or
anything above (``tests/test_layers.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestrator.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from orchestrator.ledger.failures import (
        LedgerError,
        LedgerFullError,
        LedgerWriteError,
        NotALedgerError,
    )
    from orchestrator.ledger.lock import INHERITED_LOCK_ENV, RunLock, RunLockedError
    from orchestrator.ledger.records import (
        MAX_LOST_PER_JOB,
        AttemptRecord,
        JobRecord,
        RunCounts,
        RunRecord,
        RunState,
        is_lost,
    )
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
    "MAX_LOST_PER_JOB",
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
    "is_lost",
    "new_run_id",
]

if not TYPE_CHECKING:  # to type checkers, a misspelt name stays an error
    __getattr__ = lazy_exports(
        __name__,
        {
            "orchestrator.ledger.failures": (
                "LedgerError",
                "LedgerFullError",
                "LedgerWriteError",
                "NotALedgerError",
            ),
            "orchestrator.ledger.lock": ("INHERITED_LOCK_ENV", "RunLock", "RunLockedError"),
            "orchestrator.ledger.records": (
                "MAX_LOST_PER_JOB",
                "AttemptRecord",
                "JobRecord",
                "RunCounts",
                "RunRecord",
                "RunState",
                "is_lost",
            ),
            "orchestrator.ledger.store": (
                "LEDGER_FILE",
                "AttemptStatus",
                "Ledger",
                "RunNotFoundError",
                "new_run_id",
            ),
        },
    )
