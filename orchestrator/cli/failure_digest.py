"""The failure digest printed after ``run``, ``watch``, ``resume`` and ``retry``.

It answers the first question after a sweep, "which ones failed, and why?", and says the
next two commands: ``orchestrator logs RUN KEY`` and ``orchestrator retry RUN``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from orchestrator.cli.formatting import clip
from orchestrator.engine.events import RunSummary
from orchestrator.ledger import LEDGER_FILE, Ledger
from orchestrator.model import state_dir_flag
from orchestrator.views.digest import FIRE_OPTION, FailureDigest, failure_digest, with_steps_of
from orchestrator.views.jobs import JobView, jobs_from_ledger, reason_in_step


def print_failure_digest(
    summary: RunSummary,
    output: str,
    state_dir: Path,
    views: Sequence[JobView] | None = None,
    where: str = "",
    can_retry: bool = True,
) -> None:
    """In text output, when some job failed or timed out: the digest, on stdout.

    ``views`` default to the ledger's rows; ``where`` is appended to the suggested commands
    (``--state-dir X`` or ``--endpoint URL``) so they work as printed.
    """
    if output != "text":
        return
    if views is None:  # the ledger's rows: no fired runs of cron jobs among them
        if not (summary.failed or summary.timed_out) or not (state_dir / LEDGER_FILE).exists():
            return
        with Ledger(state_dir, read_only=True) as ledger:
            views = jobs_from_ledger(ledger, summary.run)
    if not where:
        where = state_dir_flag(state_dir)
    digest = with_steps_of(failure_digest(views), summary.failures)
    for line in digest_lines(summary.run, digest, where, can_retry):
        click.echo(line)


def digest_lines(
    run_id: str, digest: FailureDigest, where: str = "", can_retry: bool = True
) -> list[str]:
    """The digest as plain lines (no markup: commands must copy-paste as printed)."""
    if digest.empty:
        return []
    width = max(len(f.key) for f in digest.failures)
    lines = [f"Failed jobs ({digest.total}):"]
    for failure in digest.failures:
        tries = f"{failure.attempts} attempt{'s' if failure.attempts != 1 else ''}"
        lines.append(
            f"  {failure.key.ljust(width)}  {failure.status} after {tries}: "
            f"{clip(reason_in_step(failure.reason, failure.step), 100)}"
        )
    if digest.total > len(digest.failures):
        more = digest.total - len(digest.failures)
        lines.append(f"  ... and {more} more: orchestrator jobs {run_id} --status failed{where}")
    lines.append("Top reasons:")
    for reason, count in digest.reasons:
        lines.append(f"  {count:>5} x {clip(reason, 100)}")
    first = digest.failures[0].key
    lines.append(f"Read a log:  orchestrator logs {run_id} {first}{where}")
    if can_retry and not all(FIRE_OPTION in f.key for f in digest.failures):
        # retry drives the run from its ledger (a cron job's fired runs are not in it)
        lines.append(f"Retry them:  orchestrator retry {run_id}{where}")
    return lines
