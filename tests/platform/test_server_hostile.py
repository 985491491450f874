"""The platform stays responsive under any one request (the reliability suite, server half).

Each hostile shape of :mod:`tests.helpers.hostile` gets its documented status and code, and the
server then answers a normal request correctly. How fast is measured in
``bench/bench_hostile.py`` (as a ratio against an idle server), never asserted here.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from orchestrator.api.classify import FailureKind, Reply, classify
from tests.helpers.api import TOKEN, Api
from tests.helpers.hostile import Hostile, exponential_fragments, hostile_requests, request

CREATE = 'mutation { createPipelineJob(data: {pipelineYamlPath: "a.yaml"}) { id } }'
COUNT = "query { countPipelineJobs }"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


async def post_raw(api: Api, body: bytes, session: aiohttp.ClientSession | None = None) -> Any:
    async with (session or api.session).post(api.url, data=body, headers=HEADERS) as response:
        return response.status, await response.json(content_type=None)


async def assert_normal_requests_answered(api: Api) -> None:
    """A create and a count: both answered, with the right data."""
    before = (await api.query(COUNT))["countPipelineJobs"]
    created = await api.query(CREATE)
    assert created["createPipelineJob"]["id"]
    assert await api.query(COUNT) == {"countPipelineJobs": before + 1}


@pytest.mark.parametrize("hostile", hostile_requests(), ids=lambda h: h.name)
async def test_each_hostile_request_gets_its_code_and_the_server_answers_the_next(
    api: Api, hostile: Hostile
) -> None:
    status, body = await post_raw(api, hostile.body)
    assert status == hostile.status, body
    assert [e["extensions"]["code"] for e in body["errors"]] == [hostile.code], body
    assert "Traceback" not in str(body)
    assert body.get("data") is None
    assert api.store.count_jobs() == 0  # nothing executed
    await assert_normal_requests_answered(api)


@pytest.mark.parametrize("hostile", hostile_requests(), ids=lambda h: h.name)
def test_the_client_never_retries_a_hostile_request_as_it_is(hostile: Hostile) -> None:
    """Each answer is permanent (fix the request) or too large (send less), never "retry"."""
    error = {"message": "refused", "extensions": {"code": hostile.code}}
    failure = classify(Reply(status=hostile.status, errors=(error,)))
    assert failure is not None
    assert failure.kind in (FailureKind.PERMANENT, FailureKind.TOO_LARGE)
    assert not failure.executed_possibly


async def test_a_hostile_mutation_changes_nothing(api: Api) -> None:
    await api.query(CREATE)
    (hostile,) = [h for h in hostile_requests() if h.name == "5,000-term OR in a mutation"]
    status, body = await post_raw(api, hostile.body)
    assert (status, body["errors"][0]["extensions"]["code"]) == (200, "BAD_USER_INPUT")
    assert [job.spec.pinned for job in api.store.find_jobs()] == [False]


async def test_a_normal_request_completes_while_a_hostile_one_is_in_flight(api: Api) -> None:
    """The hostile check runs off the event loop: another connection is answered meanwhile."""
    hostile = request("query { pipelineJobs { " + "id " * 100_000 + "} }")
    misses = api.endpoint.documents.misses
    async with aiohttp.ClientSession() as other:
        in_flight = asyncio.create_task(post_raw(api, hostile, other))
        for _ in range(2000):  # poll until the server has started checking it
            if api.endpoint.documents.misses > misses or in_flight.done():
                break
            await asyncio.sleep(0.005)
        await assert_normal_requests_answered(api)
        status, body = await in_flight
    assert (status, body["errors"][0]["extensions"]["code"]) == (200, "QUERY_TOO_COMPLEX")


async def test_a_request_over_the_time_budget_is_stopped_with_timeout(api: Api) -> None:
    api.endpoint.budget_seconds = 0.0  # every request runs out at once
    status, body = await api.post({"query": COUNT})
    assert status == 200
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "TIMEOUT"}
    assert "time budget" in body["errors"][0]["message"]
    api.endpoint.budget_seconds = 20.0  # the timed-out check was not cached
    assert await api.query(COUNT) == {"countPipelineJobs": 0}


async def test_a_mutation_over_the_time_budget_is_rolled_back(api: Api) -> None:
    await api.query(CREATE)  # the document is cached: the budget runs out in execution
    api.endpoint.budget_seconds = 0.0
    status, body = await api.post({"query": CREATE})
    assert status == 200
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "TIMEOUT", "rolledBack": True}
    assert api.store.count_jobs() == 1
    assert api.executor.notified == 1  # only the first create
    api.endpoint.budget_seconds = 20.0
    await assert_normal_requests_answered(api)


async def test_mutations_have_their_own_shorter_budget(api: Api) -> None:
    """A mutation holds the event loop, so its budget is separate (and shorter)."""
    api.endpoint.mutation_budget_seconds = 0.0
    status, body = await api.post({"query": CREATE})
    assert (status, body["data"]) == (200, None)
    assert body["errors"][0]["extensions"] == {"code": "TIMEOUT", "rolledBack": True}
    assert api.store.count_jobs() == 0
    assert await api.query(COUNT) == {"countPipelineJobs": 0}  # queries are not affected


async def test_a_query_over_the_time_budget_in_execution_is_stopped(api: Api) -> None:
    query = "query { pipelineJobs { id runId status } }"
    await api.query(CREATE)
    await api.query(query)  # cached
    api.endpoint.budget_seconds = 0.0
    status, body = await api.post({"query": query})
    assert (status, body["data"]) == (200, None)
    assert body["errors"][0]["extensions"] == {"code": "TIMEOUT"}


async def test_exponential_fragments_below_the_limits_still_execute(api: Api) -> None:
    """Memoised counting changes no answer: 2**4 copies of ``id`` merge into one field."""
    await api.query(CREATE)
    data = await api.query(exponential_fragments(levels=4))
    assert len(data["pipelineJobs"]) == 1
    assert set(data["pipelineJobs"][0]) == {"id"}
