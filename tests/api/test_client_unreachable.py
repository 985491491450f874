"""The real client against a port nobody listens on: refused connections are safe to retry."""

from __future__ import annotations

import socket

import pytest

from orchestrator.api import (
    BackoffPolicy,
    JobCreate,
    PlatformClient,
    SubmitOutcomeUnknown,
    TransientError,
)

SECRET = "unreachable-secret-token"
FAST = BackoffPolicy(attempts=3, base_seconds=0.001, max_seconds=0.01)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _client() -> PlatformClient:
    return PlatformClient(f"http://127.0.0.1:{_closed_port()}/graphql", SECRET, backoff=FAST)


async def test_create_against_a_refused_connection_is_transient_not_unknown() -> None:
    jobs = [
        JobCreate(fields={"pipelineYamlPath": "p.yaml"}, parameters={"k": str(i)}) for i in range(3)
    ]
    async with _client() as client:
        with pytest.raises(TransientError) as caught:
            await client.create_jobs(jobs)
    assert not isinstance(caught.value, SubmitOutcomeUnknown)
    assert caught.value.created == (None, None, None)
    assert SECRET not in str(caught.value)


async def test_queries_against_a_refused_connection_give_up_with_transient_error() -> None:
    async with _client() as client:
        with pytest.raises(TransientError, match="retries exhausted"):
            await client.get_jobs(["a", "b"])


async def test_using_a_closed_client_says_how_to_open_it() -> None:
    client = _client()
    with pytest.raises(RuntimeError, match="async with"):
        await client.get_jobs(["a"])


async def test_empty_inputs_send_nothing() -> None:
    async with _client() as client:
        assert await client.create_jobs([]) == []
        assert await client.get_jobs([]) == []
        assert await client.cancel_jobs([]) == 0


async def test_a_client_opens_once_at_a_time_and_can_reopen() -> None:
    client = _client()
    async with client:
        with pytest.raises(RuntimeError, match="already open"):
            await client.__aenter__()
    async with client:
        assert await client.get_jobs([]) == []


async def test_a_malformed_job_fails_the_call_before_anything_is_sent() -> None:
    good = JobCreate(fields={"pipelineYamlPath": "p.yaml"}, parameters={})
    bad = JobCreate(fields={"pipelineYamlPath": "p.yaml", "parameters": {}}, parameters={})
    url = f"http://127.0.0.1:{_closed_port()}/graphql"
    async with PlatformClient(url, SECRET, backoff=FAST, create_batch_size=1) as client:
        with pytest.raises(ValueError, match=r"JobCreate\.parameters"):
            await client.create_jobs([good, good, bad])
