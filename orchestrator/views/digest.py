"""The failure digest: which jobs failed, the reasons that recur, and what to do next.

Pure: built from job rows (:mod:`orchestrator.views.jobs`, from the ledger or the
server), so a run seen from another machine gets the same digest.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from orchestrator.engine.events import JobFailure, RunSummary
from orchestrator.views.jobs import JobView

DIGEST_LIMIT = 10
"""Failed jobs listed by name (the rest are counted); also the cap of ``failures`` in JSON."""

NO_REASON = "(no reason given)"

FIRE_OPTION = "--fire"
"""How a fired run is named after its job's key (the option of ``logs`` that picks it)."""


@dataclass(frozen=True, slots=True)
class FailureDigest:
    """The first failed jobs, how many failed in all, and their reasons grouped."""

    failures: tuple[JobFailure, ...]
    total: int
    reasons: tuple[tuple[str, int], ...]  # most frequent first

    @property
    def empty(self) -> bool:
        """Nothing failed."""
        return self.total == 0


def failure_digest(views: Iterable[JobView], limit: int = DIGEST_LIMIT) -> FailureDigest:
    """The digest of the jobs that ended failed or timed out, in the run's order, and of
    the fired runs of cron jobs that did: their key is ``KEY --fire N``, as ``orchestrator
    logs RUN KEY --fire N`` reads its log."""
    failed: list[JobFailure] = []
    for v in views:
        if v.failed:
            failed.append(
                JobFailure(v.key, v.name, v.status, v.reason, len(v.attempts), v.failed_step)
            )
        failed += [
            JobFailure(f"{v.key} {FIRE_OPTION} {f.attempt}", f"{v.name} (due {f.due})", *fire)
            for f in v.failed_fires()
            for fire in [(f.status, f.reason, 1, f.failed_step)]
        ]
    reasons = Counter(f.reason or NO_REASON for f in failed)
    return FailureDigest(
        failures=tuple(failed[:limit]),
        total=len(failed),
        reasons=tuple(reasons.most_common(5)),
    )


def with_steps_of(digest: FailureDigest, known: Iterable[JobFailure]) -> FailureDigest:
    """``digest`` with the failed tasks ``known`` already (a run's ``RunSummary.failures``,
    asked of the platform when it ended) where its own rows, read from the ledger, lack them."""
    steps = {f.key: f.step for f in known if f.step is not None}
    if not steps:
        return digest
    failures = tuple(
        dataclasses.replace(f, step=steps[f.key]) if f.step is None and f.key in steps else f
        for f in digest.failures
    )
    return dataclasses.replace(digest, failures=failures)


def with_failures(summary: RunSummary, views: Iterable[JobView]) -> RunSummary:
    """``summary`` carrying the first failed jobs (``RunSummary.failures``)."""
    return dataclasses.replace(summary, failures=failure_digest(views).failures)
