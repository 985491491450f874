"""Identity labels: how an attempt is found on the server by anyone, and after a crash.

A look-up by an attempt's labels can find more than the one job its create made: a second
copy of that create (one the server executed late), and, for a cron job, every run the
platform spawned from it, since a spawned run copies all its parameters, identity labels
included. :func:`pick_attempt` tells them apart using only what the API reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from orchestrator.manifest.model import JobSpec
from orchestrator.model import JobCreate, JobState, JobStatus

RUN_LABEL = "ORCHESTRATOR_RUN"
JOB_LABEL = "ORCHESTRATOR_JOB"
ATTEMPT_LABEL = "ORCHESTRATOR_ATTEMPT"

_NEVER_STARTED = datetime.min.replace(tzinfo=UTC)


def attempt_labels(run_id: str, key: str, attempt: int) -> dict[str, str]:
    """The three labels that name one attempt uniquely."""
    return {RUN_LABEL: run_id, JOB_LABEL: key, ATTEMPT_LABEL: str(attempt)}


def attempt_create(spec: JobSpec, run_id: str, attempt: int) -> JobCreate:
    """The create request of one attempt: the spec's fields with the platform's own retries
    off (the orchestrator owns retries) and its parameters plus the identity labels."""
    fields = dict(spec.fields)
    fields["maxRetries"] = 0
    parameters = {**spec.parameters, **attempt_labels(run_id, spec.key, attempt)}
    return JobCreate(fields=fields, parameters=parameters)


FIRED_AT_LABEL = "SCHEDULED_RUN_TIME"
"""The parameter a platform adds to each run a cron job spawns: the due time it fired for
(ISO-8601). A spawned run copies the cron job's identity labels, so this tells them apart."""


def is_cron(fields: Mapping[str, Any]) -> bool:
    """A job created with a cron ``schedule``: it stays "scheduled" and the platform spawns
    runs of it that carry its labels."""
    return bool(fields.get("schedule"))


def made_by_create(cron: bool, state: JobState) -> bool:
    """Whether a job found by an attempt's labels can be one our create made.

    Every match can, unless the attempt is a cron job: then only a job in status "scheduled"
    is one (a create of a cron job yields one; a spawned run never is one).
    """
    return not cron or state.status is JobStatus.SCHEDULED


@dataclass(frozen=True, slots=True)
class AttemptMatch:
    """What a look-up by an attempt's labels found: the attempt, and duplicates of it."""

    attempt: JobState | None  # None: the server has no job for the attempt
    duplicates: tuple[str, ...] = ()  # other jobs our creates made: cancel them


def pick_attempt(create: JobCreate, matches: Sequence[JobState]) -> AttemptMatch:
    """Which of ``matches`` is the attempt ``create`` asked for, and which are duplicates.

    The attempt is the lowest id among the jobs a create made; the other such jobs are
    duplicates. A cron attempt with no match in status "scheduled" (its cron job was
    cancelled, or failed) is the match that looks most like the create: its exact
    parameters, then one that never started, then the earliest start; spawned runs are never
    duplicates.
    """
    cron = is_cron(create.fields)
    made = sorted((m for m in matches if made_by_create(cron, m)), key=lambda m: m.id)
    if made:
        return AttemptMatch(made[0], tuple(m.id for m in made[1:]))
    if not matches:
        return AttemptMatch(None)
    sent = dict(create.parameters)

    def likeness(m: JobState) -> tuple[bool, bool, datetime, str]:
        started = m.start_time is not None
        return dict(m.parameters or {}) != sent, started, m.start_time or _NEVER_STARTED, m.id

    return AttemptMatch(min(matches, key=likeness))
