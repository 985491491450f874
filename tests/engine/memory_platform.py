"""An in-memory platform for engine unit tests (the engine's dependency, not the code under
test): jobs advance one status step per poll, outcomes are scripted per attempt, and creates
can be made to fail before or after executing. A job created with a ``schedule`` stays
"scheduled" and spawns ``spawns`` runs at once that copy its parameters, like a cron job."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrator.api.errors import SubmitOutcomeUnknown, TransientError
from orchestrator.engine.identity import ATTEMPT_LABEL, JOB_LABEL
from orchestrator.manifest.model import JobSpec
from orchestrator.model import JobCreate, JobState, JobStatus

Outcome = Callable[[str, int], JobStatus]  # (job key, attempt) -> final status


def always_done(key: str, attempt: int) -> JobStatus:
    return JobStatus.DONE


@dataclass
class StoredJob:
    id: str
    fields: Mapping[str, Any]
    parameters: Mapping[str, str]
    final: JobStatus
    status: JobStatus = JobStatus.PENDING
    steps_left: int = 2
    reason: str | None = None  # the final status's reason


@dataclass
class MemoryPlatform:
    outcome: Outcome = always_done
    reason: Callable[[str, int], str | None] = lambda key, attempt: None  # of the final status
    down: bool = False  # every call fails as if the platform were unreachable
    steps: int = 2  # polls a job spends pending/in progress before its final status
    lose_replies: int = 0  # next N create calls execute but raise SubmitOutcomeUnknown
    refuse_creates: int = 0  # next N create calls raise TransientError without executing
    late_creates: int = 0  # next N create calls time out; they execute at the first poll
    spawns: int = 0  # runs each cron job spawns when created (ids sort before created ones)
    _late: list[Sequence[JobCreate]] = field(default_factory=list)  # after a look-up
    _looked_up: bool = False
    hold: Callable[[str], bool] = lambda key: False  # keys that stay in progress forever
    jobs: dict[str, StoredJob] = field(default_factory=dict)
    create_calls: int = 0
    max_active: int = 0
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def _reachable(self) -> None:
        if self.down:
            raise TransientError("connection refused")

    async def create_jobs(self, jobs: Sequence[JobCreate]) -> list[JobState]:
        self._reachable()
        self.create_calls += 1
        if self.late_creates:
            self.late_creates -= 1
            self._late.append(jobs)
            raise SubmitOutcomeUnknown("request timed out", jobs)
        if self.refuse_creates:
            self.refuse_creates -= 1
            raise TransientError("connection refused")
        states = []
        for job in jobs:
            job_id = f"j{next(self._ids)}"
            key = job.parameters[JOB_LABEL]
            attempt = int(job.parameters[ATTEMPT_LABEL])
            stored = StoredJob(job_id, job.fields, job.parameters, self.outcome(key, attempt))
            stored.steps_left = self.steps
            stored.reason = self.reason(key, attempt)
            self.jobs[job_id] = stored
            if job.fields.get("schedule"):
                stored.status = JobStatus.SCHEDULED
                for _ in range(self.spawns):
                    spawned_id = f"a-spawn-{next(self._ids)}"
                    spawned = StoredJob(
                        spawned_id, {}, {**job.parameters, "SPAWNED": "1"}, stored.final
                    )
                    self.jobs[spawned_id] = spawned
            states.append(JobState(id=job_id, status=stored.status))
        active = sum(1 for j in self.jobs.values() if not j.status.is_final)
        self.max_active = max(self.max_active, active)
        if self.lose_replies:
            self.lose_replies -= 1
            raise SubmitOutcomeUnknown("reply lost", jobs)
        return states

    async def get_jobs(self, ids: Sequence[str]) -> list[JobState]:
        self._reachable()
        if self._looked_up:  # the server gets to timed-out creates only after a look-up
            late, self._late, self._looked_up = self._late, [], False
            for jobs in late:
                await self.create_jobs(jobs)
        out = []
        for job_id in ids:
            job = self.jobs.get(job_id)
            if job is None:
                continue
            self._advance(job)
            reason = job.reason if job.status.is_final else None
            out.append(JobState(id=job.id, status=job.status, status_reason=reason))
        return out

    def _advance(self, job: StoredJob) -> None:
        if job.status.is_final or job.status is JobStatus.SCHEDULED:
            return
        if job.steps_left > 1 or self.hold(job.parameters[JOB_LABEL]):
            job.steps_left -= 1
            job.status = JobStatus.IN_PROGRESS
        else:
            job.status = job.final

    async def find_jobs(
        self, labels: Mapping[str, str], statuses: Collection[JobStatus] | None = None
    ) -> list[JobState]:
        self._reachable()
        self._looked_up = bool(self._late)
        return [
            JobState(id=j.id, status=j.status, parameters=j.parameters)
            for j in self.jobs.values()
            if all(j.parameters.get(k) == v for k, v in labels.items())
            and (statuses is None or j.status in statuses)
        ]

    async def find_any(self, label_sets: Sequence[Mapping[str, str]]) -> list[JobState]:
        self._reachable()
        self._looked_up = bool(self._late)
        return [
            JobState(id=j.id, status=j.status, parameters=j.parameters)
            for j in self.jobs.values()
            if any(all(j.parameters.get(k) == v for k, v in s.items()) for s in label_sets)
        ]

    async def cancel_jobs(self, ids: Sequence[str]) -> int:
        self._reachable()
        n = 0
        for job_id in ids:
            job = self.jobs.get(job_id)
            if job is not None and not job.status.is_final:
                job.status = JobStatus.CANCELLED
                n += 1
        return n

    def attempts_of(self, key: str) -> list[int]:
        return sorted(
            int(j.parameters[ATTEMPT_LABEL])
            for j in self.jobs.values()
            if j.parameters[JOB_LABEL] == key
        )


def make_specs(n: int, retries: int = 0, **fields: Any) -> list[JobSpec]:
    return [
        JobSpec(
            key=f"job-{i:04d}",
            index=i,
            group="g",
            name=f"job {i}",
            matrix={"i": i},
            fields={"pipelineYamlPath": "p.yaml", "maxRetries": retries, **fields},
            parameters={"I": str(i)},
        )
        for i in range(n)
    ]
