"""The real client against a real local platform over HTTP (simulate executor)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from structlog.testing import capture_logs

from orchestrator.api import (
    AuthenticationError,
    BackoffPolicy,
    JobCreate,
    JobStatus,
    PermanentError,
    PlatformClient,
)
from orchestrator.platform.process.embedded import LocalPlatform

pytestmark = pytest.mark.integration

FAST_BACKOFF = BackoffPolicy(attempts=4, base_seconds=0.01, max_seconds=0.1)
# Jobs stay put while a test looks at them: one worker, each simulated job lasting a minute.
SLOW_JOBS: dict[str, Any] = {"executor": "simulate", "workers": 1, "sim_duration": "60:60"}


def make_jobs(run: str, count: int, **extra: str) -> list[JobCreate]:
    return [
        JobCreate(
            fields={
                "pipelineYamlPath": "pipelines/train.yaml",
                "jobType": "basic",
                "maxRetries": 0,
            },
            parameters={"ORCHESTRATOR_RUN": run, "ORCHESTRATOR_JOB": f"job-{index}", **extra},
        )
        for index in range(count)
    ]


def new_run() -> str:
    return f"run-{uuid.uuid4().hex[:8]}"


async def set_status(platform: LocalPlatform, job_id: str, status: JobStatus) -> None:
    """Finish a job the way a worker would: updatePipelineJob, outside the code under test."""
    document = """
      mutation Finish($id: String!, $status: String!) {
        updatePipelineJob(where: {id: $id}, data: {status: {set: $status}}) { id status }
      }
    """
    headers = {"Authorization": f"Bearer {platform.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        body = {"query": document, "variables": {"id": job_id, "status": status.value}}
        async with session.post(platform.url, json=body) as response:
            answer = await response.json()
    assert answer.get("errors") is None, answer
    assert answer["data"]["updatePipelineJob"]["status"] == status.value


@pytest.fixture
def slow_platform(platform_factory: Callable[..., LocalPlatform]) -> LocalPlatform:
    return platform_factory(**SLOW_JOBS)


def client_for(platform: LocalPlatform, **options: Any) -> PlatformClient:
    options.setdefault("backoff", FAST_BACKOFF)
    return PlatformClient(platform.url, platform.token, **options)


async def test_batched_creates_return_ids_in_order_and_store_parameters(
    slow_platform: LocalPlatform,
) -> None:
    run = new_run()
    jobs = make_jobs(run, 7, lr="0.1")
    async with client_for(slow_platform, create_batch_size=3) as client:
        states = await client.create_jobs(jobs)
        found = await client.find_jobs({"ORCHESTRATOR_RUN": run})
    assert len(states) == 7
    assert len({state.id for state in states}) == 7
    assert all(state.run_id for state in states)
    by_id = {state.id: state for state in found}
    assert set(by_id) == {state.id for state in states}
    for index, state in enumerate(states):
        assert by_id[state.id].parameters == {
            "ORCHESTRATOR_RUN": run,
            "ORCHESTRATOR_JOB": f"job-{index}",
            "lr": "0.1",
        }


async def test_get_jobs_spans_several_batches_and_skips_unknown_ids(
    slow_platform: LocalPlatform,
) -> None:
    run = new_run()
    async with client_for(slow_platform, status_batch_size=4) as client:
        states = await client.create_jobs(make_jobs(run, 10))
        wanted = [state.id for state in reversed(states)] + ["no-such-job"]
        polled = await client.get_jobs(wanted)
    assert [state.id for state in polled] == wanted[:-1]
    assert all(isinstance(state.status, JobStatus) for state in polled)


async def test_job_links_prefer_the_grafana_dashboard(slow_platform: LocalPlatform) -> None:
    run = new_run()
    first_job, plain = make_jobs(run, 2)
    dashboard = {"grafanaLink": "https://grafana.example/d/job-0"}
    linked = JobCreate(fields={**first_job.fields, **dashboard}, parameters=first_job.parameters)
    async with client_for(slow_platform) as client:
        first, second = await client.create_jobs([linked, plain])
        links = await client.job_links([first.id, second.id, first.id])
    assert links == {first.id: "https://grafana.example/d/job-0", second.id: None}


async def test_find_and_count_jobs_by_labels_across_pages(slow_platform: LocalPlatform) -> None:
    run, other = new_run(), new_run()
    async with client_for(slow_platform, status_batch_size=3) as client:
        mine = await client.create_jobs(make_jobs(run, 8, group="a"))
        await client.create_jobs(make_jobs(other, 2, group="a"))
        found = await client.find_jobs({"ORCHESTRATOR_RUN": run})
        both_labels = await client.find_jobs({"ORCHESTRATOR_RUN": run, "group": "a"})
        none = await client.find_jobs({"ORCHESTRATOR_RUN": run, "group": "b"})
        counted = await client.count_jobs({"ORCHESTRATOR_RUN": run})
        counted_group = await client.count_jobs({"group": "a"})
        counted_done = await client.count_jobs({"ORCHESTRATOR_RUN": run}, {JobStatus.DONE})
    assert sorted(state.id for state in found) == sorted(state.id for state in mine)
    assert len(both_labels) == 8 and none == []
    assert (counted, counted_group, counted_done) == (8, 10, 0)


async def test_find_any_looks_up_many_label_sets_in_one_filter(
    slow_platform: LocalPlatform,
) -> None:
    run, other = new_run(), new_run()
    async with client_for(slow_platform, status_batch_size=2) as client:
        mine = await client.create_jobs(make_jobs(run, 5))
        await client.create_jobs(make_jobs(other, 5))
        wanted = [{"ORCHESTRATOR_RUN": run, "ORCHESTRATOR_JOB": f"job-{i}"} for i in (0, 3, 4)]
        found = await client.find_any([*wanted, {"ORCHESTRATOR_RUN": run, "ORCHESTRATOR_JOB": "x"}])
    assert [state.id for state in found] == sorted(mine[i].id for i in (0, 3, 4))
    assert all(state.parameters and state.parameters["ORCHESTRATOR_RUN"] == run for state in found)


async def test_cancel_jobs_never_touches_a_finished_job(slow_platform: LocalPlatform) -> None:
    run = new_run()
    async with client_for(slow_platform, status_batch_size=2) as client:
        states = await client.create_jobs(make_jobs(run, 5))
        finished = states[0].id
        await set_status(slow_platform, finished, JobStatus.DONE)
        cancelled = await client.cancel_jobs([state.id for state in states])
        again = await client.cancel_jobs([state.id for state in states])
        after = {state.id: state.status for state in await client.get_jobs([s.id for s in states])}
    assert after[finished] is JobStatus.DONE
    assert cancelled == sum(1 for status in after.values() if status is JobStatus.CANCELLED)
    assert cancelled == 4
    assert again == 0


async def test_cancel_where_touches_only_matching_non_final_jobs(
    slow_platform: LocalPlatform,
) -> None:
    run, other = new_run(), new_run()
    async with client_for(slow_platform) as client:
        mine = await client.create_jobs(make_jobs(run, 3))
        theirs = await client.create_jobs(make_jobs(other, 2))
        await set_status(slow_platform, mine[0].id, JobStatus.FAILED)
        only_final = await client.cancel_where({"ORCHESTRATOR_RUN": run}, {JobStatus.FAILED})
        cancelled = await client.cancel_where({"ORCHESTRATOR_RUN": run})
        states = await client.get_jobs([s.id for s in mine + theirs])
    status = {state.id: state.status for state in states}
    assert only_final == 0
    assert cancelled == 2
    assert status[mine[0].id] is JobStatus.FAILED
    assert all(status[s.id] is JobStatus.CANCELLED for s in mine[1:])
    assert all(not status[s.id].is_final for s in theirs)


async def test_wrong_token_is_an_authentication_error_without_the_token(
    platform: LocalPlatform,
) -> None:
    wrong = "wrong-token-" + uuid.uuid4().hex
    async with PlatformClient(platform.url, wrong, backoff=FAST_BACKOFF) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.get_jobs(["x"])
        with pytest.raises(AuthenticationError):
            await client.create_jobs(make_jobs(new_run(), 1))
    message = str(caught.value)
    assert "401" in message and "ORCHESTRATOR_TOKEN" in message
    assert wrong not in message and platform.token not in message
    assert wrong not in repr(caught.value)


async def test_unknown_field_is_a_permanent_error_with_the_servers_message(
    slow_platform: LocalPlatform,
) -> None:
    run = new_run()
    bad = JobCreate(
        fields={"pipelineYamlPath": "p.yaml", "colour": "blue"},
        parameters={"ORCHESTRATOR_RUN": run},
    )
    async with client_for(slow_platform) as client:
        with pytest.raises(PermanentError) as caught:
            await client.create_jobs([*make_jobs(run, 2), bad])
        assert await client.count_jobs({"ORCHESTRATOR_RUN": run}) == 0
    assert not isinstance(caught.value, AuthenticationError)
    assert "colour" in str(caught.value)
    assert f"[failing: job #2 {{ORCHESTRATOR_RUN={run}}}]" in str(caught.value)
    assert "HTTP 200" not in str(caught.value)
    assert caught.value.created == (None, None, None)


async def test_a_body_over_the_size_limit_is_split_too(slow_platform: LocalPlatform) -> None:
    run = new_run()
    bulky = "x" * (5 * 1024 * 1024)  # two of these exceed the local platform's 8 MiB body limit
    jobs = make_jobs(run, 2, blob=bulky)
    async with client_for(slow_platform, create_batch_size=2) as client:
        states = await client.create_jobs(jobs)
        assert client.create_batch_size == 1
        assert await client.count_jobs({"ORCHESTRATOR_RUN": run}) == 2
    assert len({state.id for state in states}) == 2


async def test_a_value_json_cannot_carry_is_a_permanent_error_at_once(
    platform: LocalPlatform,
) -> None:
    odd = JobCreate(fields={"pipelineYamlPath": "p.yaml", "pinned": {1, 2}}, parameters={})
    with capture_logs() as logs:
        async with client_for(platform) as client:
            with pytest.raises(PermanentError, match="JSON"):
                await client.create_jobs([odd])
    assert not [entry for entry in logs if entry["event"] == "platform_request_retry"]


async def test_a_failed_batch_reports_the_jobs_other_batches_created(
    slow_platform: LocalPlatform,
) -> None:
    run = new_run()
    jobs = make_jobs(run, 6)
    jobs[3] = JobCreate(fields={"pipelineYamlPath": "p.yaml", "colour": "red"}, parameters={})
    async with client_for(slow_platform, create_batch_size=2) as client:
        with pytest.raises(PermanentError) as caught:
            await client.create_jobs(jobs)
        on_server = {state.id for state in await client.find_jobs({"ORCHESTRATOR_RUN": run})}
    created = caught.value.created
    assert [state is not None for state in created] == [True, True, False, False, True, True]
    assert {state.id for state in created if state is not None} == on_server


async def test_a_document_over_the_root_field_limit_is_split_and_the_size_kept(
    slow_platform: LocalPlatform,
) -> None:
    run = new_run()
    jobs = make_jobs(run, 1001)  # the local platform allows 1000 root fields per document
    async with client_for(slow_platform, create_batch_size=1001, status_batch_size=1000) as client:
        states = await client.create_jobs(jobs)
        assert client.create_batch_size == 501
        assert await client.count_jobs({"ORCHESTRATOR_RUN": run}) == 1001
    assert len({state.id for state in states}) == 1001
