"""The client against a real local platform that fails unexpectedly (HTTP 500, coded).

The failure is made from outside the server, as in life: another SQLite connection renames
the ``parameter`` table away, so every statement on it fails inside the server. The platform
answers ``INTERNAL_SERVER_ERROR`` with HTTP 500; for a mutation it says it rolled back.
"""

from __future__ import annotations

import pytest

from orchestrator.api import (
    BackoffPolicy,
    JobCreate,
    PlatformClient,
    SubmitOutcomeUnknown,
    TransientError,
)
from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.sqlite_faults import parameter_table_missing

pytestmark = pytest.mark.integration

FAST_BACKOFF = BackoffPolicy(attempts=3, base_seconds=0.01, max_seconds=0.05)
RUN = "internal-errors"


def jobs(count: int) -> list[JobCreate]:
    return [
        JobCreate(
            fields={"pipelineYamlPath": "p.yaml", "maxRetries": 0},
            parameters={"ORCHESTRATOR_RUN": RUN, "ORCHESTRATOR_JOB": f"job-{index}"},
        )
        for index in range(count)
    ]


async def test_a_rolled_back_create_is_a_plain_transient_error_and_nothing_exists(
    platform: LocalPlatform,
) -> None:
    assert platform.db is not None
    async with PlatformClient(platform.url, platform.token, backoff=FAST_BACKOFF) as client:
        with parameter_table_missing(platform.db), pytest.raises(TransientError) as raised:
            await client.create_jobs(jobs(3))
        # The server said it rolled back: the jobs certainly do not exist, no look-up needed.
        assert not isinstance(raised.value, SubmitOutcomeUnknown)
        assert raised.value.created == (None, None, None)
        assert "internal server error" in raised.value.message
        assert platform.token not in raised.value.message
        assert await client.count_jobs({"ORCHESTRATOR_RUN": RUN}) == 0
        created = await client.create_jobs(jobs(3))  # submitting again is safe and works
        assert len({state.id for state in created}) == 3
        assert await client.count_jobs({"ORCHESTRATOR_RUN": RUN}) == 3


async def test_queries_retry_internal_errors_then_give_up_transiently(
    platform: LocalPlatform,
) -> None:
    assert platform.db is not None
    async with PlatformClient(platform.url, platform.token, backoff=FAST_BACKOFF) as client:
        with parameter_table_missing(platform.db), pytest.raises(TransientError) as raised:
            await client.find_jobs({"ORCHESTRATOR_RUN": RUN})
        assert "retries exhausted" in raised.value.message
        assert "HTTP 500" in raised.value.message
        assert await client.find_jobs({"ORCHESTRATOR_RUN": RUN}) == []
