"""``from hyperplane import notebook_common as nc`` inside a local job.

The hosted helpers that submit, check and cancel pipeline jobs, with the documented names,
arguments and results, acting on the platform that runs the job:

- ``await nc.submit_pipeline_job(jobName=..., pipelineYamlPath=..., jobType=...,
  timeout=..., active_timeout=..., max_retries=..., parameters={...})`` -> ``(job id, run id)``
- ``await nc.checkjobs(ids, loop=False, interval=5)`` -> the jobs summary text
- ``await nc.cancel_pipeline_job(jobID)`` -> ``{'id': ..., 'status': 'cancelled'}``

The platform's GraphQL endpoint is ``HYPERPLANE_GRAPHQL_URL``, which the executor sets. No
token is sent, and none is available: a token never reaches a job's environment, files or
argv. As the hosted platform's in-cluster endpoint, the platform must then accept calls
without one: run it with ``--auth none`` (any process on the machine may then call it, which
is what that mode means). Against a platform that asks for a token, every helper raises
:class:`PlatformError` saying so.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping
from typing import Any

import aiohttp

GRAPHQL_URL_VARIABLE = "HYPERPLANE_GRAPHQL_URL"
REQUEST_SECONDS = 30.0
FINAL_STATUSES = ("done", "timed out", "cancelled", "failed")

_SUBMIT = """
mutation submit($input: PipelineJobCreateWithAlertingInput!) {
  createPipelineJobWithAlerting(input: $input) { id runId }
}"""
_CHECK = """
query check($ids: [String!]!, $take: Int!) {
  pipelineJobs(where: {id: {in: $ids}}, take: $take) { id status daskDashboardUrl }
}"""
_CANCEL = """
mutation cancel($id: String!) {
  updatePipelineJob(where: {id: $id}, data: {status: {set: "cancelled"}}) { id status }
}"""


class PlatformError(RuntimeError):
    """The platform could not be reached or refused the call; ``str()`` says why."""


async def submit_pipeline_job(
    jobName: str | None = None,
    pipelineYamlPath: str | None = None,
    jobType: str | None = None,
    timeout: int | None = None,  # noqa: ASYNC109 (the job's timeout, the documented name)
    active_timeout: int | None = None,
    max_retries: int | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> tuple[str, str]:
    """Create a pipeline job on the platform running this job; its id and run id.

    Parameter values become strings (``{"a": 1}`` reaches the job as ``"1"``). The new job
    is created for the same user (``hyperplaneUserEmail`` from ``USER_EMAIL``), if any, with
    the job calling this as its ``parentJob``.
    """
    if not pipelineYamlPath:
        raise PlatformError("submit_pipeline_job needs pipelineYamlPath")
    fields: dict[str, Any] = {
        "jobName": jobName,
        "pipelineYamlPath": pipelineYamlPath,
        "jobType": jobType,
        "timeout": timeout,
        "activeTimeout": active_timeout,
        "maxRetries": max_retries,
        "hyperplaneUserEmail": os.environ.get("USER_EMAIL") or None,
        "parentJobId": os.environ.get("HYPERPLANE_JOB_ID") or None,  # the job submitting it
    }
    job_input = {key: value for key, value in fields.items() if value is not None}
    if parameters:
        pairs = [{"key": str(key), "value": str(value)} for key, value in parameters.items()]
        job_input["parameters"] = {"create": pairs}
    data = await _call(_SUBMIT, {"input": job_input})
    created = data["createPipelineJobWithAlerting"]
    return str(created["id"]), str(created["runId"])


async def checkjobs(ids: Iterable[str], loop: bool = False, interval: float = 5) -> str:
    """The jobs summary of ``ids`` (as the hosted helper prints it). With ``loop``, print
    the summary every ``interval`` seconds until every job is processed, then return it."""
    wanted = list(dict.fromkeys(str(job_id) for job_id in ids))
    while True:
        jobs = await _statuses(wanted)
        summary = _summary(wanted, jobs)
        processed = all(jobs[job_id][0] in FINAL_STATUSES for job_id in wanted)
        if not loop or processed:
            return summary
        print(summary, flush=True)
        await asyncio.sleep(interval)


async def cancel_pipeline_job(jobID: str) -> dict[str, str]:
    """Cancel a job: ``{'id': jobID, 'status': 'cancelled'}``. A job that already ended keeps
    its final status, which is what the answer then says."""
    data = await _call(_CANCEL, {"id": str(jobID)})
    job = data["updatePipelineJob"]
    if job is None:
        raise PlatformError(f"no pipeline job with id {jobID!r}")
    return {"id": str(job["id"]), "status": str(job["status"])}


async def _statuses(ids: list[str]) -> dict[str, tuple[str, str | None]]:
    data = await _call(_CHECK, {"ids": ids, "take": len(ids)})
    found = {job["id"]: (job["status"], job["daskDashboardUrl"]) for job in data["pipelineJobs"]}
    missing = [job_id for job_id in ids if job_id not in found]
    if missing:
        raise PlatformError(f"no pipeline job with id {', '.join(map(repr, missing))}")
    return found


def _summary(ids: list[str], jobs: Mapping[str, tuple[str, str | None]]) -> str:
    total = len(ids)
    statuses = [jobs[job_id][0] for job_id in ids]
    processed = sum(status in FINAL_STATUSES for status in statuses)
    ended = " | ".join(f"{statuses.count(status)} {status}" for status in FINAL_STATUSES)
    progress = 100.0 * processed / total if total else 100.0
    lines = [
        "#### Jobs summary",
        f"{statuses.count('in progress')} / {total} in progress",
        "",
        f"{statuses.count('pending')} / {total} pending",
        "",
        f"{processed} / {total} processed",
        "",
        ended,
        "",
        f"Progress: {round(progress, 2)}%",
        "",
        "#### Dask dashboards",
        *(f"{job_id} {jobs[job_id][0]} {jobs[job_id][1]}" for job_id in ids),
    ]
    return "\n".join(lines)


async def _call(document: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    """One GraphQL call; values travel only as variables. Raises :class:`PlatformError`."""
    url = os.environ.get(GRAPHQL_URL_VARIABLE)
    if not url:
        raise PlatformError(
            f"{GRAPHQL_URL_VARIABLE} is not set: the hyperplane helpers work inside a job "
            "the local platform runs"
        )
    timeout = aiohttp.ClientTimeout(total=REQUEST_SECONDS)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            body = {"query": document, "variables": dict(variables)}
            async with session.post(url, json=body) as response:
                if response.status == 401:
                    raise PlatformError(
                        f"the platform at {url} asks for a token, and a job has none (tokens "
                        "never reach a job): run the platform with --auth none for jobs "
                        "that submit, check or cancel jobs"
                    )
                if response.status != 200:
                    raise PlatformError(f"the platform at {url} answered HTTP {response.status}")
                answer: dict[str, Any] = await response.json()
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise PlatformError(f"cannot reach the platform at {url}: {exc}") from None
    errors = answer.get("errors")
    if errors:
        raise PlatformError(f"the platform refused the call: {errors[0].get('message')}")
    data: dict[str, Any] = answer["data"]
    return data
