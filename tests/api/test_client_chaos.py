"""The real client against a misbehaving local platform (seeded chaos): retries, no duplicates."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable

import anyio
import pytest
from structlog.testing import capture_logs

from orchestrator.api import (
    BackoffPolicy,
    JobCreate,
    JobState,
    PlatformClient,
    SubmitOutcomeUnknown,
    TransientError,
)
from orchestrator.platform.process.embedded import LocalPlatform

pytestmark = pytest.mark.integration

PATIENT = BackoffPolicy(attempts=12, base_seconds=0.005, max_seconds=0.05)


def job(run: str, key: str) -> JobCreate:
    return JobCreate(
        fields={"pipelineYamlPath": "p.yaml", "maxRetries": 0},
        parameters={"ORCHESTRATOR_RUN": run, "ORCHESTRATOR_JOB": key},
    )


async def test_under_chaos_queries_and_cancels_succeed_and_creates_never_duplicate(
    platform_factory: Callable[..., LocalPlatform],
) -> None:
    platform = platform_factory(
        executor="simulate",
        workers=1,
        sim_duration="60:60",
        seed=11,
        chaos="error_rate=0.15,throttle_rate=0.1,drop_rate=0.15,retry_after_seconds=0",
    )
    run = f"chaos-{uuid.uuid4().hex[:8]}"
    created: dict[str, JobState] = {}
    unknown: set[str] = set()
    refused: set[str] = set()
    with capture_logs() as logs:
        async with PlatformClient(
            platform.url, platform.token, create_batch_size=2, backoff=PATIENT, seed=3
        ) as client:
            for call in range(20):
                batch = [job(run, f"k{call}-{i}") for i in range(2)]
                try:
                    states = await client.create_jobs(batch)
                except SubmitOutcomeUnknown as error:
                    unknown.update(j.parameters["ORCHESTRATOR_JOB"] for j in error.jobs)
                    continue
                except TransientError:  # certainly not created: retries ran out on a 429
                    refused.update(j.parameters["ORCHESTRATOR_JOB"] for j in batch)
                    continue
                for item, state in zip(batch, states, strict=True):
                    created[item.parameters["ORCHESTRATOR_JOB"]] = state
            found = await client.find_jobs({"ORCHESTRATOR_RUN": run})
            cancelled = await client.cancel_jobs([state.id for state in found])
            after = await client.get_jobs([state.id for state in found])
    per_key = Counter(state.parameters["ORCHESTRATOR_JOB"] for state in found if state.parameters)
    assert created, "some creates should get through"
    assert unknown, "the seeded chaos should lose some create replies"
    assert max(per_key.values()) == 1, "a create was silently duplicated"
    for key, state in created.items():
        assert per_key[key] == 1
        assert any(found_state.id == state.id for found_state in found)
    assert set(per_key) <= set(created) | unknown
    assert not set(per_key) & refused
    # A cancel whose reply was lost and then retried counts only what the retry changed.
    assert 0 < cancelled <= len(found)
    assert all(state.status.value == "cancelled" for state in after)
    retries = [entry for entry in logs if entry["event"] == "platform_request_retry"]
    assert {entry["status"] for entry in retries} & {429, 500, 502, 503}
    assert all(platform.token not in str(entry) for entry in logs)


async def test_throttled_requests_wait_at_least_retry_after(
    platform_factory: Callable[..., LocalPlatform],
) -> None:
    platform = platform_factory(
        executor="simulate", seed=1, chaos="throttle_rate=0.5,retry_after_seconds=1"
    )
    with capture_logs() as logs:
        async with PlatformClient(platform.url, platform.token, backoff=PATIENT, seed=1) as client:
            states = await client.create_jobs([job("throttle", f"k{i}") for i in range(3)])
            for _ in range(3):
                polled = await client.get_jobs([state.id for state in states])
                assert [state.id for state in polled] == [state.id for state in states]
    throttled = [
        entry
        for entry in logs
        if entry["event"] == "platform_request_retry" and entry["status"] == 429
    ]
    assert throttled, "the seeded chaos should throttle at least one request"
    for entry in throttled:
        assert entry["retry_after"] == 1.0
        assert entry["delay"] >= 1.0


async def test_a_retry_after_too_long_to_wait_fails_its_request_without_freezing_the_client(
    platform_factory: Callable[..., LocalPlatform],
) -> None:
    """A Retry-After beyond ``max_retry_after_seconds`` is not waited for: that request
    fails, and the other requests do not inherit a ten-minute pause either."""
    platform = platform_factory(
        executor="simulate", seed=3, chaos="throttle_rate=0.5,retry_after_seconds=600"
    )
    impatient = BackoffPolicy(
        attempts=3, base_seconds=0.005, max_seconds=0.05, max_retry_after_seconds=60
    )
    refused = answered_after_refusal = False
    async with PlatformClient(platform.url, platform.token, backoff=impatient, seed=1) as client:
        with anyio.fail_after(60):  # a client frozen by the Retry-After would wait 600 s
            while not answered_after_refusal:
                try:
                    await client.get_jobs(["no-such-job"])
                except TransientError:
                    refused = True
                    continue
                answered_after_refusal = refused
    assert refused and answered_after_refusal
