"""Unexpected server-side failures: HTTP 500, code INTERNAL_SERVER_ERROR, mutations rolled back.

The failures are provoked from outside the server, as they happen in life: another
connection renames a table the server needs (every statement on it fails with
``sqlite3.OperationalError``), or holds an exclusive lock ("database is locked").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.platform.store.model import JobStatus
from tests.helpers.api import TOKEN, Api
from tests.helpers.sqlite_faults import exclusive_lock, parameter_table_missing

DB_NAME = "api.db"  # the harness's database under tmp_path
COUNT_LABELLED = 'query { countPipelineJobs(where: {parameters: {some: {key: {equals: "I"}}}}) }'
CREATE_AND_LABEL = """mutation ($id: String!) {
  a: createPipelineJob(data: {pipelineYamlPath: "a.yaml"}) { id }
  b: updatePipelineJob(where: {id: $id},
                       data: {parameters: {create: [{key: "I", value: "1"}]}}) { id }
}"""


def assert_internal(body: Any, *, rolled_back: bool) -> None:
    """Every error is the generic internal one; nothing of the cause leaks."""
    assert body["errors"], body
    for error in body["errors"]:
        assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        assert error["extensions"].get("rolledBack", False) is rolled_back
        assert "internal server error" in error["message"]
    text = str(body)
    for leak in ("parameter_away", "no such table", "locked", "Traceback", "sqlite", TOKEN):
        assert leak not in text


async def test_a_mutation_failing_unexpectedly_gets_500_and_keeps_nothing(
    api: Api, tmp_path: Path
) -> None:
    existing = await api.query(
        'mutation { createPipelineJob(data: {pipelineYamlPath: "x"}) { id } }'
    )
    job_id = existing["createPipelineJob"]["id"]
    notified = api.executor.notified
    with parameter_table_missing(tmp_path / DB_NAME):
        status, body = await api.post({"query": CREATE_AND_LABEL, "variables": {"id": job_id}})
    assert status == 500
    assert body["data"] is None  # "a" succeeded inside the transaction but was rolled back
    assert_internal(body, rolled_back=True)
    assert api.store.count_jobs() == 1
    assert api.executor.notified == notified
    data = await api.query(CREATE_AND_LABEL, {"id": job_id})  # the server is fine afterwards
    assert data["b"] == {"id": job_id}
    assert api.store.count_jobs() == 2


async def test_a_query_failing_unexpectedly_gets_500_and_no_rollback_claim(
    api: Api, tmp_path: Path
) -> None:
    with parameter_table_missing(tmp_path / DB_NAME):
        status, body = await api.post({"query": COUNT_LABELLED})
    assert status == 500
    assert_internal(body, rolled_back=False)
    assert await api.query(COUNT_LABELLED) == {"countPipelineJobs": 0}


async def test_a_locked_database_fails_mutations_with_500_while_reads_go_on(
    api: Api, tmp_path: Path
) -> None:
    # Test-only: wait 50 ms for the lock instead of the server's 5 s before giving up.
    api.store.connection.execute("PRAGMA busy_timeout=50")
    create = 'mutation { createPipelineJob(data: {pipelineYamlPath: "x"}) { id status } }'
    with exclusive_lock(tmp_path / DB_NAME):
        status, body = await api.post({"query": create})
        assert status == 500
        assert body["data"] is None
        assert_internal(body, rolled_back=True)
        read_status, read = await api.post({"query": "query { countPipelineJobs }"})
        assert (read_status, read) == (200, {"data": {"countPipelineJobs": 0}})
    data = await api.query(create)
    assert data["createPipelineJob"]["status"] == JobStatus.PENDING.value
    assert api.store.count_jobs() == 1
