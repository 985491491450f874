"""The seed's pipeline-job documents, sent verbatim with realistic variables."""

from __future__ import annotations

from typing import Any

from orchestrator.platform.store.model import JobStatus
from orchestrator.platform.store.store import JobChanges
from orchestrator.platform.store.timestamps import to_api
from tests.helpers.api import Api

CREATE_VARIABLES: dict[str, Any] = {
    "type": "basic",
    "timeout": 1500,
    "activeTimeout": 1000,
    "maxRetries": 0,
    "yamlPath": "pipelines/train.yaml",
    "exposedPort": "8787",
    "parameters": {
        "create": [
            {"key": "LEARNING_RATE", "value": "0.01"},
            {"key": "ORCHESTRATOR_RUN", "value": "run-1"},
        ]
    },
}


async def create(api: Api, seed: dict[str, str], **overrides: Any) -> dict[str, Any]:
    data = await api.query(seed["Create a pipeline job"], {**CREATE_VARIABLES, **overrides})
    job: dict[str, Any] = data["createPipelineJob"]
    return job


async def test_create_pipeline_job_echoes_fields_and_parameters(
    api: Api, seed: dict[str, str]
) -> None:
    job = await create(api, seed)
    assert job["status"] == "pending"
    assert job["pipelineYamlPath"] == "pipelines/train.yaml"
    assert (job["timeout"], job["activeTimeout"], job["maxRetries"]) == (1500, 1000, 0)
    assert (job["jobType"], job["exposedPort"], job["schedule"]) == ("basic", "8787", "immediate")
    assert job["pinned"] is False
    # A pending job's startTime is its submission time, as the hosted platform answers.
    stored = api.store.get_job(job["id"])
    assert stored is not None and stored.start_time is None
    assert job["startTime"] == to_api(stored.created_at) and job["completionTime"] is None
    assert job["parameters"] == CREATE_VARIABLES["parameters"]["create"]
    stored = api.store.get_job(job["id"])
    assert stored is not None and stored.parameter_map()["LEARNING_RATE"] == "0.01"
    assert api.executor.notified == 1


async def test_create_with_schedule_is_scheduled(api: Api, seed: dict[str, str]) -> None:
    job = await create(api, seed, schedule="0 * * * *")
    assert (job["status"], job["schedule"]) == ("scheduled", "0 * * * *")


async def test_create_with_omitted_optional_variables(api: Api, seed: dict[str, str]) -> None:
    variables = {
        k: v
        for k, v in CREATE_VARIABLES.items()
        if k in ("type", "timeout", "maxRetries", "yamlPath")
    }
    data = await api.query(seed["Create a pipeline job"], variables)
    job = data["createPipelineJob"]
    # An omitted activeTimeout is the hosted default, -1: no limit (issue 19).
    assert (job["activeTimeout"], job["exposedPort"], job["parameters"]) == (-1, None, [])


async def test_submit_job_literal_document_returns_id_and_run_id(
    api: Api, seed: dict[str, str]
) -> None:
    data = await api.query(seed["Submit a pipeline job"])
    job = data["createPipelineJob"]
    assert job["runId"] and job["id"] != job["runId"]
    stored = api.store.get_job(job["id"])
    assert stored is not None
    assert stored.spec.max_retries == 5
    assert stored.parameter_map() == {"a_param": "pass parameters as strings"}


async def test_cancel_pipeline_job_by_variable(api: Api, seed: dict[str, str]) -> None:
    job = await create(api, seed)
    notified = api.executor.notified
    data = await api.query(seed["Cancel a pipeline job"], {"id": job["id"]})
    assert data["updatePipelineJob"]["id"] == job["id"]
    assert api.executor.notified == notified + 1  # the executor hears of it at once
    stored = api.store.get_job(job["id"])
    assert stored is not None
    assert stored.status is JobStatus.CANCELLED and stored.completion_time is not None


async def test_cancel_of_a_finished_job_is_refused_and_changes_nothing(
    api: Api, seed: dict[str, str]
) -> None:
    job = await create(api, seed)
    api.store.claim_pending(1)
    api.store.finish(job["id"], JobStatus.DONE, None)
    body = await api.errors(seed["Cancel a pipeline job"], {"id": job["id"]})
    assert "already 'done'" in body["errors"][0]["message"]
    assert body["data"] == {"updatePipelineJob": None}
    assert api.store.get_job(job["id"]).status is JobStatus.DONE  # type: ignore[union-attr]


async def test_literal_id_documents_answer_not_found(api: Api, seed: dict[str, str]) -> None:
    body = await api.errors(seed["Cancel a job"])
    assert "no pipeline job with id 'your-job-id'" in body["errors"][0]["message"]
    data = await api.query(seed["Check the status of a job"])
    assert data == {"pipelineJob": None}


async def test_cancel_job_and_check_status_with_a_real_id(api: Api, seed: dict[str, str]) -> None:
    job = await create(api, seed)
    status_doc = seed["Check the status of a job"].replace("your-job-id", job["id"])
    assert await api.query(status_doc) == {"pipelineJob": {"status": "pending"}}
    await api.query(seed["Cancel a job"].replace("your-job-id", job["id"]))
    assert await api.query(status_doc) == {"pipelineJob": {"status": "cancelled"}}


async def test_cancel_all_scheduled_jobs_counts_only_changed(
    api: Api, seed: dict[str, str]
) -> None:
    scheduled = [await create(api, seed, schedule="*/5 * * * *") for _ in range(3)]
    pending = await create(api, seed)
    data = await api.query(seed["Cancel all scheduled jobs"])
    assert data == {"updateManyPipelineJob": {"count": 3}}
    statuses = {j["id"]: api.store.get_job(j["id"]).status for j in [*scheduled, pending]}  # type: ignore[union-attr]
    assert statuses[pending["id"]] is JobStatus.PENDING
    assert [statuses[j["id"]] for j in scheduled] == [JobStatus.CANCELLED] * 3
    again = await api.query(seed["Cancel all scheduled jobs"])
    assert again == {"updateManyPipelineJob": {"count": 0}}


async def test_get_a_list_of_jobs_orders_pinned_first_then_latest_start(
    api: Api, seed: dict[str, str]
) -> None:
    jobs = [await create(api, seed) for _ in range(4)]
    api.store.claim_pending(2)  # jobs 0 and 1 start (same instant)
    api.store.update_job(jobs[3]["id"], JobChanges(columns=(("pinned", True),)))
    data = await api.query(seed["Get a list of jobs"], {"limit": 3})
    listed = [j["id"] for j in data["pipelineJobs"]]
    # pinned first; then startTime desc: jobs 0 and 1 started after job 2 was submitted (a
    # pending job's startTime is its submission time, as the hosted platform answers)
    assert listed == [jobs[3]["id"], jobs[0]["id"], jobs[1]["id"]]
    assert set(data["pipelineJobs"][0]) >= {"estimatedCost", "owner", "department", "jobType"}


async def test_get_a_list_of_services_filters_never_ending_jobs(
    api: Api, seed: dict[str, str]
) -> None:
    services = [await create(api, seed, timeout=-1, activeTimeout=-1) for _ in range(3)]
    await create(api, seed)  # a normal job: not a service
    await api.query(seed["Cancel a pipeline job"], {"id": services[0]["id"]})
    variables = {"limit": 10, "offset": 0, "status": "pending"}
    data = await api.query(seed["Get a list of services"], variables)
    assert sorted(j["id"] for j in data["pipelineJobs"]) == sorted(s["id"] for s in services[1:])
    assert all(j["timeout"] == -1 and j["activeTimeout"] == -1 for j in data["pipelineJobs"])
    paged = await api.query(seed["Get a list of services"], {**variables, "offset": 1})
    assert len(paged["pipelineJobs"]) == 1
    cancelled = await api.query(
        seed["Get a list of services"], {**variables, "status": "cancelled"}
    )
    assert [j["id"] for j in cancelled["pipelineJobs"]] == [services[0]["id"]]
    assert cancelled["pipelineJobs"][0]["duration"] is None  # never started


async def test_get_update_and_delete_job_parameters(api: Api, seed: dict[str, str]) -> None:
    job = await create(api, seed)
    other = await create(api, seed)
    data = await api.query(seed["Get job parameters"], {"id": job["id"]})
    parameters = data["pipelineJobs"][0]["parameters"]
    assert [(p["key"], p["value"]) for p in parameters] == [
        ("LEARNING_RATE", "0.01"),
        ("ORCHESTRATOR_RUN", "run-1"),
    ]
    assert all(p["pipelineJobId"] == job["id"] for p in parameters)
    rate, label = parameters

    update = {"parameterId": rate["id"], "keyValue": "LR", "valueValue": "0.5"}
    data = await api.query(seed["Update job parameters"], update)
    assert data == {"updateParameter": {"id": rate["id"]}}
    only_value = {"parameterId": rate["id"], "valueValue": "0.7"}  # key variable not sent
    await api.query(seed["Update job parameters"], only_value)

    data = await api.query(
        seed["Detele job parameters"], {"jobId": job["id"], "parameterId": label["id"]}
    )
    assert data == {"updatePipelineJob": {"id": job["id"]}}
    data = await api.query(seed["Get job parameters"], {"id": job["id"]})
    remaining = data["pipelineJobs"][0]["parameters"]
    assert [(p["key"], p["value"]) for p in remaining] == [("LR", "0.7")]
    other_params = api.store.get_job(other["id"]).parameter_map()  # type: ignore[union-attr]
    assert other_params == {"LEARNING_RATE": "0.01", "ORCHESTRATOR_RUN": "run-1"}


async def test_delete_parameter_of_another_job_is_refused(api: Api, seed: dict[str, str]) -> None:
    job = await create(api, seed)
    other = await create(api, seed)
    parameter_id = api.store.get_job(other["id"]).parameters[0].id  # type: ignore[union-attr]
    body = await api.errors(
        seed["Detele job parameters"], {"jobId": job["id"], "parameterId": parameter_id}
    )
    assert "is not connected to pipeline job" in body["errors"][0]["message"]
    assert len(api.store.get_job(other["id"]).parameters) == 2  # type: ignore[union-attr]
