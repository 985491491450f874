"""HTTP behaviour of the GraphQL endpoint: auth, bad input, limits, caching, transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orchestrator.platform.store.model import JobStatus
from tests.helpers.api import TOKEN, Api, start_api
from tests.helpers.store import set_status

COUNT = "query { countPipelineJobs }"


def aliased_creates(count: int, *, bad_index: int | None = None) -> str:
    fields = []
    for i in range(count):
        path = "null" if i == bad_index else f'"p{i}.yaml"'
        fields.append(
            f"c{i}: createPipelineJob(data: {{pipelineYamlPath: {path}, parameters: "
            f'{{create: [{{key: "I", value: "{i}"}}]}}}}) {{ id }}'
        )
    return "mutation {\n" + "\n".join(fields) + "\n}"


@pytest.mark.parametrize("token", [None, "wrong", ""])
async def test_requests_without_the_token_get_401_and_no_data(api: Api, token: str | None) -> None:
    status, body = await api.post({"query": COUNT}, token=token)
    assert status == 401
    assert "data" not in body
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert TOKEN not in str(body)


async def test_malformed_json_gets_400_with_a_message(api: Api) -> None:
    status, body = await api.post(None, raw=b'{"query": ')
    assert status == 400
    assert "not valid JSON" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"[1, 2]", "must be a JSON object"),
        (b'{"variables": {}}', "needs a 'query' string"),
        (b'{"query": "{ countPipelineJobs }", "variables": [1]}', "'variables' must be"),
    ],
)
async def test_bodies_that_are_not_graphql_requests_get_400(
    api: Api, payload: bytes, message: str
) -> None:
    status, body = await api.post(None, raw=payload)
    assert status == 400
    assert message in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


@pytest.fixture
async def small_api(tmp_path: Path) -> AsyncIterator[Api]:
    async for running in start_api(
        tmp_path, max_body_bytes=10_000, max_root_fields=50, max_depth=4
    ):
        yield running


async def test_bodies_over_the_limit_get_413(small_api: Api) -> None:
    query = "query { countPipelineJobs }" + " " * 20_000
    status, body = await small_api.post({"query": query})
    assert status == 413
    assert "over 10000 bytes" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}


async def test_too_many_root_fields_are_refused_before_execution(small_api: Api) -> None:
    body = await small_api.errors(aliased_creates(51))
    assert "51 root fields" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"] == {"code": "TOO_MANY_ROOT_FIELDS"}
    assert small_api.store.count_jobs() == 0


async def test_too_deep_documents_are_refused(small_api: Api) -> None:
    deep = "query { pipelineJobs { parameters { id } } }"
    assert await small_api.query(deep) == {"pipelineJobs": []}
    fragment = (
        "query { ...A } fragment A on Query { pipelineJobs { ...B } }"
        " fragment B on PipelineJob { parameters { id key { x { y } } } }"
    )
    body = await small_api.errors(fragment)
    assert "levels deep" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"] == {"code": "TOO_DEEP"}


@pytest.mark.parametrize(
    ("document", "variables", "message", "code"),
    [
        (
            "query { pipelineJobs { nope } }",
            {},
            "Cannot query field 'nope'",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            'query { pipelineJobs(take: "x") { id } }',
            {},
            "Int cannot represent",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "query ($t: Int!) { pipelineJobs(take: $t) { id } }",
            {"t": "x"},
            "Int cannot represent",
            "BAD_USER_INPUT",
        ),
        (
            "query ($t: Int!) { pipelineJobs(take: $t) { id } }",
            {},
            "to be provided",
            "BAD_USER_INPUT",
        ),
        ("query { pipelineJobs(", {}, "Syntax Error", "GRAPHQL_PARSE_FAILED"),
        ("query { pipelineJobs(skip: -1) { id } }", {}, "skip must not be", "BAD_USER_INPUT"),
        (
            'mutation { updatePipelineJob(where: {id: "x"}, data: {status: {set: "finished"}})'
            " { id } }",
            {},
            "unknown status 'finished'",
            "BAD_USER_INPUT",
        ),
        (
            'mutation { updatePipelineJob(where: {id: "x"}, data: {status: {set: "done"}})'
            " { id } }",
            {},
            "no pipeline job with id 'x'",
            "NOT_FOUND",
        ),
        (
            'mutation { updateParameter(where: {id: "nope"}, data: {key: {set: "k"}}) { id } }',
            {},
            "no parameter with id 'nope'",
            "NOT_FOUND",
        ),
        (
            'mutation { updateHyperHubSession(where: {id: "nope"}, data: {}) { id } }',
            {},
            "no session with id 'nope'",
            "NOT_FOUND",
        ),
        (
            'query { pipelineJobs(where: {startTime: {gt: "yesterday"}}) { id } }',
            {},
            "not an ISO-8601 DateTime",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "query ($w: PipelineJobWhereInput) { pipelineJobs(where: $w) { id } }",
            {"w": {"startTime": {"gt": "yesterday"}}},
            "not an ISO-8601 DateTime",
            "BAD_USER_INPUT",
        ),
    ],
)
async def test_bad_documents_get_coded_graphql_errors_that_say_what_was_wrong(
    api: Api, document: str, variables: dict[str, object], message: str, code: str
) -> None:
    body = await api.errors(document, variables)
    assert message in body["errors"][0]["message"]
    assert [error["extensions"]["code"] for error in body["errors"]] == [code]


async def test_parsed_documents_are_cached_by_text(api: Api) -> None:
    cache = api.endpoint.documents
    for _ in range(5):
        await api.query(COUNT)
    assert (cache.misses, cache.hits) == (1, 4)
    await api.query(COUNT + " ")
    assert cache.misses == 2


async def test_many_aliased_creates_commit_together(api: Api) -> None:
    data = await api.query(aliased_creates(100))
    assert len({v["id"] for v in data.values()}) == 100
    assert api.store.count_jobs() == 100
    assert api.executor.notified == 1
    jobs = api.store.find_jobs()
    assert [j.parameter_map()["I"] for j in jobs] == [str(i) for i in range(100)]


async def test_a_create_failing_mid_request_keeps_nothing_of_the_request(api: Api) -> None:
    doc = aliased_creates(3).replace(
        'pipelineYamlPath: "p1.yaml"', 'pipelineYamlPath: "p1.yaml", timeout: -5'
    )
    body = await api.errors(doc)
    assert body["data"] is None
    assert "timeout must be -1 (never) or a number of seconds" in body["errors"][0]["message"]
    assert api.store.count_jobs() == 0
    assert api.executor.notified == 0


@pytest.mark.parametrize("schedule", ["every day", "0 0 * * * *"])
async def test_bad_cron_schedule_is_refused(api: Api, schedule: str) -> None:
    doc = (
        "mutation ($s: String) {"
        ' createPipelineJob(data: {pipelineYamlPath: "p", schedule: $s}) { id } }'
    )
    body = await api.errors(doc, {"s": schedule})
    assert "not a cron expression of five fields" in body["errors"][0]["message"]


async def test_partial_update_results_match_what_was_committed(api: Api) -> None:
    first = (await api.query(aliased_creates(2)))["c0"]["id"]
    set_status(api.store, first, JobStatus.CANCELLED)
    second = api.store.find_jobs()[1].id
    doc = """mutation ($a: String!, $b: String!) {
      a: updatePipelineJob(where: {id: $a}, data: {status: {set: "pending"}}) { id }
      b: updatePipelineJob(where: {id: $b}, data: {status: {set: "cancelled"}}) { id }
    }"""
    body = await api.errors(doc, {"a": first, "b": second})
    assert body["data"] == {"a": None, "b": {"id": second}}
    assert body["errors"][0]["extensions"] == {"code": "FINAL_STATUS"}
    assert api.store.get_job(first).status is JobStatus.CANCELLED  # type: ignore[union-attr]
    assert api.store.get_job(second).status is JobStatus.CANCELLED  # type: ignore[union-attr]


async def test_a_job_without_a_schedule_cannot_be_set_scheduled(api: Api) -> None:
    job_id = (await api.query(aliased_creates(1)))["c0"]["id"]
    doc = """mutation ($id: String!) {
      updatePipelineJob(where: {id: $id}, data: {status: {set: "scheduled"}}) { id } }"""
    body = await api.errors(doc, {"id": job_id})
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "cannot be 'scheduled'" in body["errors"][0]["message"]


async def test_update_many_with_label_filter_and_statuses(api: Api) -> None:
    await api.query(aliased_creates(6))
    jobs = api.store.find_jobs()
    api.store.claim_pending(2)
    api.store.finish(jobs[0].id, JobStatus.DONE, None)
    doc = """mutation ($labels: [PipelineJobWhereInput!], $statuses: [String!]) {
      updateManyPipelineJob(
        where: {AND: $labels, status: {in: $statuses}}
        data: {status: {set: "cancelled"}, statusReason: {set: "cancelled by test"}}
      ) { count }
    }"""
    labels = [{"parameters": {"some": {"key": {"equals": "I"}, "value": {"in": ["0", "1", "2"]}}}}]
    variables = {"labels": labels, "statuses": ["pending", "in progress", "done"]}
    data = await api.query(doc, variables)
    assert data == {"updateManyPipelineJob": {"count": 2}}
    after = {j.id: j for j in api.store.find_jobs()}
    assert after[jobs[0].id].status is JobStatus.DONE
    assert after[jobs[1].id].status_reason == "cancelled by test"
    assert after[jobs[1].id].duration is not None  # it had started
    assert [after[j.id].status for j in jobs[3:]] == [JobStatus.PENDING] * 3


async def test_filters_order_and_paging(api: Api) -> None:
    await api.query(aliased_creates(10))
    doc = """query ($where: PipelineJobWhereInput, $take: Int, $skip: Int) {
      pipelineJobs(where: $where, orderBy: {pipelineYamlPath: desc}, take: $take, skip: $skip) {
        pipelineYamlPath
      }
      countPipelineJobs(where: $where)
      aggregatePipelineJob(where: $where) { _count { _all } }
    }"""
    where = {
        "OR": [{"pipelineYamlPath": {"startsWith": "p1"}}, {"pipelineYamlPath": {"contains": "5"}}],
        "NOT": [{"pipelineYamlPath": {"equals": "p9.yaml"}}],
    }
    data = await api.query(doc, {"where": where})
    assert [j["pipelineYamlPath"] for j in data["pipelineJobs"]] == ["p5.yaml", "p1.yaml"]
    assert data["countPipelineJobs"] == 2
    assert data["aggregatePipelineJob"] == {"_count": {"_all": 2}}
    data = await api.query(doc, {"take": 3, "skip": 2})
    assert [j["pipelineYamlPath"] for j in data["pipelineJobs"]] == [
        "p7.yaml",
        "p6.yaml",
        "p5.yaml",
    ]
    data = await api.query(doc, {"where": {"id": {"in": []}}})
    assert data["pipelineJobs"] == []


async def test_datetime_variables_filter_like_literals(api: Api) -> None:
    """DateTime values sent as variables are parsed as literals are (graphql-core 3.3 coerces
    variables through ``coerce_input_value``, not ``parse_value``)."""
    await api.query('mutation { createPipelineJob(data: {pipelineYamlPath: "p.yaml"}) { id } }')
    (started,) = api.store.claim_pending(1)  # picked up now: startTime set
    by_variable = "query ($w: PipelineJobWhereInput) { pipelineJobs(where: $w) { id } }"
    past, future = "2000-01-01T00:00:00Z", "2999-01-01T00:00:00.000Z"
    for op, value, expected in (
        ("gt", past, [started.id]),
        ("gt", future, []),
        ("lt", future, [started.id]),
    ):
        data = await api.query(by_variable, {"w": {"startTime": {op: value}}})
        literal = await api.query(
            f'query {{ pipelineJobs(where: {{startTime: {{{op}: "{value}"}}}}) {{ id }} }}'
        )
        assert [job["id"] for job in data["pipelineJobs"]] == expected, (op, value)
        assert literal == data, (op, value)
