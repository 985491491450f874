"""The fast plan answers exactly as graphql-core's general execution does.

Two endpoints share one store: one with fast plans, one without (``fast_path=False``). Each
(document, variables) pair goes to both and the answers must be byte-identical (status and
JSON text), errors included. For creates the new ids differ by nature, so ids are masked and
the store's job count is checked instead (a fallback must not create anything twice).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from orchestrator.api.documents import batched, operation
from orchestrator.platform.server.row_reads import ROW_FIELDS, row_reader
from orchestrator.platform.server.values import JobView
from orchestrator.platform.store.model import JobStatus
from tests.helpers.endpoints import Pair, create, job_data
from tests.helpers.values import job_to_dict

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z")

NAIVE_READ = "query ($id: String) { pipelineJob(where: {id: $id}) { id status statusReason } }"
ALIASED_READ = """query Two($a: String, $b: String) {
  first: pipelineJob(where: {id: $a}) { key: id state: status parameters { key value } }
  second: pipelineJob(where: {id: $b}) { id createdAt pinned notificationTargets {
    notificationTarget { id email } } }
  n: countPipelineJobs
}"""
NOT_PLAIN = "query { pipelineJobs(take: 2) { id ... on PipelineJob { status } __typename } }"


def seeded(pair: Pair, count: int) -> list[str]:
    answer = json.loads(create(pair, pair.general, [job_data(n) for n in range(count)])[4:])
    return [job["id"] for job in answer["data"].values()]


def test_hot_documents_get_a_plan_and_odd_ones_do_not(pair: Pair) -> None:
    for text in (
        operation("get_jobs").text,
        batched("create_job", 50).text,
        NAIVE_READ,
        ALIASED_READ,
        operation("find_jobs").text,
    ):
        assert pair.fast.documents.get(text).plan is not None, text
    assert pair.fast.documents.get(NOT_PLAIN).plan is None
    assert pair.general.documents.get(operation("get_jobs").text).plan is None


def test_reads_answer_byte_identically(pair: Pair) -> None:
    ids = seeded(pair, 30)
    get_jobs = operation("get_jobs").text
    cases: list[tuple[str, Any, Any]] = [
        (get_jobs, {"ids": ids, "take": len(ids)}, None),
        (get_jobs, {"ids": [*ids[:5], "nope", ids[7]], "take": 10}, None),
        (get_jobs, {"ids": [], "take": None}, None),
        (get_jobs, {"ids": ids, "take": -3}, None),
        (get_jobs, {"ids": ids}, "GetJobs"),
        (get_jobs, {"ids": ids}, "Other"),  # unknown operation name: an error
        (get_jobs, {"ids": [1, 2]}, None),  # coercible? (Int to String: an error)
        (get_jobs, {"ids": None}, None),  # null for a non-null variable
        (get_jobs, {}, None),  # missing variable
        (get_jobs, {"ids": ids, "take": "ten"}, None),
        (get_jobs, {"ids": ids, "take": 2**40}, None),
        (get_jobs, {"ids": ids[:3], "take": 3, "extra": 1}, None),
        (NAIVE_READ, {"id": ids[0]}, None),
        (NAIVE_READ, {"id": "nope"}, None),  # null
        (NAIVE_READ, {"id": None}, None),  # where without an id: an error
        (NAIVE_READ, None, None),
        (ALIASED_READ, {"a": ids[1], "b": ids[2]}, None),
        (ALIASED_READ, {"a": "nope", "b": ids[2]}, None),
        (operation("find_jobs").text, {"where": {"id": {"in": ids[:4]}}, "take": 4}, None),
        (operation("find_jobs").text, {"where": {"nope": 1}, "take": 4}, None),
        (operation("list_jobs").text, {"where": {}, "take": 100}, None),
    ]
    for query, variables, name in cases:
        fast, general = pair.both(query, variables, name)
        assert fast == general, (query[:40], variables, name)
    assert pair.fast.fast_answers >= 8  # the fast plan did answer the simple cases
    assert pair.fast.fast_fallbacks >= 1  # and gave the error cases to the general path
    assert pair.general.fast_answers == 0


def test_creates_answer_identically_and_a_fallback_creates_nothing_twice(pair: Pair) -> None:
    cases: list[tuple[list[Any], int]] = [  # inputs, jobs the request creates
        ([job_data(n) for n in range(5)], 5),
        ([job_data(1), job_data(2, timeout=-5)], 0),  # a resolver error: all rolled back
        ([job_data(1), job_data(2, schedule="not cron")], 0),
        ([job_data(1), {"jobType": "basic"}], 0),  # a required field missing: coercion
        ([job_data(1), job_data(2, timeout="long")], 0),
        ([job_data(1), job_data(2, unknownField=1)], 0),
        ([job_data(1), None], 0),
        ([job_data(3, schedule="*/5 * * * *")], 1),  # cron: "scheduled"
    ]
    for inputs, made in cases:
        before = pair.jobs()
        fast = create(pair, pair.fast, inputs)
        assert pair.jobs() == before + made, fast
        general = create(pair, pair.general, inputs)
        assert pair.jobs() == before + 2 * made, general
        assert UUID.sub("<id>", fast) == UUID.sub("<id>", general), inputs
    assert pair.fast.fast_answers == 2
    assert pair.fast.fast_fallbacks >= 1


def test_job_view_and_row_fields_read_as_the_full_dict(pair: Pair) -> None:
    ids = seeded(pair, 4)
    pair.store.claim_pending(3)  # in progress: a start time
    pair.store.finish(ids[0], JobStatus.FAILED, "exit 3")  # final: a completion and a reason
    names = ("id", *sorted(ROW_FIELDS - {"id"}))
    columns, read = row_reader(names)
    rows = {
        row["id"]: row
        for row in map(
            read, pair.store.find_job_values({"id": {"in": ids}}, None, None, None, columns)
        )
    }
    assert len(rows) == 4
    for job in pair.store.get_jobs(ids):
        view = JobView(job)
        full = job_to_dict(job)
        assert dict(view) == full
        assert list(view) == list(full)
        assert len(view) == len(full)
        assert view.get("nope") is None
        assert "hyperplaneUserEmail" in full
        assert rows[job.id] == {k: full[k] for k in names}
    statuses = {job.status for job in pair.store.get_jobs(ids)}
    assert statuses == {JobStatus.FAILED, JobStatus.IN_PROGRESS, JobStatus.PENDING}


def test_row_reads_convert_odd_stored_times_as_the_full_record_does(pair: Pair) -> None:
    ids = seeded(pair, 2)
    pair.store.connection.execute(  # not the store's own fixed-width form
        "UPDATE pipeline_job SET start_time = '2024-05-01T12:00:00+00:00' WHERE id = ?", (ids[0],)
    )
    names = ("createdAt", "id", "startTime", "status")
    columns, read = row_reader(names)
    rows = [read(row) for row in pair.store.find_job_values(None, None, None, None, columns)]
    assert rows == [{k: job_to_dict(job)[k] for k in names} for job in pair.store.get_jobs(ids)]
    assert rows[0]["startTime"] == "2024-05-01T12:00:00.000Z"


COERCION_CASES: list[dict[str, Any]] = [
    {"d0": job_data(1)},
    {"d0": dict(reversed(job_data(1, minReplicas=2, hyperplaneUserEmail="e").items()))},
    {"d0": job_data(1, timeout=3.0)},  # an integral float for an Int
    {"d0": job_data(1, timeout=2.5)},
    {"d0": job_data(1, timeout=2**40)},
    {"d0": job_data(1, timeout=True)},
    {"d0": job_data(1, pinned="yes")},
    {"d0": job_data(1, pinned=True, debuggable=None)},
    {"d0": job_data(1, parameters={"create": {"key": "a", "value": "b"}})},  # one for a list
    {"d0": job_data(1, parameters={"create": [{"key": "a", "value": 1}]})},
    {"d0": job_data(1, parameters={"create": [{"key": "a"}]})},
    {"d0": job_data(1, parameters={"create": [None]})},
    {"d0": job_data(1, parameters={"nope": []})},
    {"d0": job_data(1, notificationTargetIds="one")},
    {"d0": job_data(1, notificationTargetIds=["a", None])},
    {"d0": {**job_data(1), "pipelineYamlPath": None}},
    {"d0": "not an object"},
    {"d0": [job_data(1)]},
    {"d0": None},
    {},
]


def test_fast_coercion_matches_graphql_core(pair: Pair) -> None:
    from graphql import get_variable_values

    from orchestrator.platform.server.fast_inputs import NotFast, variables_coercer

    schema = pair.fast.schema
    for text in (batched("create_job", 1).text, operation("get_jobs").text):
        checked = pair.fast.documents.get(text)
        assert checked.plan is not None and checked.plan.coerce_variables is not None
    checked = pair.fast.documents.get(batched("create_job", 1).text)
    assert checked.plan is not None
    coerce = variables_coercer(schema, checked.plan.operation)
    assert coerce is not None
    definitions = checked.plan.operation.variable_definitions
    fast_ok = 0
    for variables in COERCION_CASES:
        expected = get_variable_values(schema, definitions, variables)
        try:
            got = coerce(variables)
        except NotFast:
            continue  # the general path answers (its errors or its values): nothing to match
        assert not isinstance(expected, list), (variables, expected)
        assert got.coerced == expected.coerced, variables
        assert list(got.coerced["d0"]) == list(expected.coerced["d0"])  # same field order
        assert {
            k: (v.signature.name, str(v.signature.type), v.value) for k, v in got.sources.items()
        } == {
            k: (v.signature.name, str(v.signature.type), v.value)
            for k, v in expected.sources.items()
        }
        fast_ok += 1
    assert fast_ok >= 3


def test_creates_after_the_first_match_for_every_coercion_case(pair: Pair) -> None:
    create(pair, pair.fast, [job_data(0)])  # the plan now coerces variables itself
    for variables in COERCION_CASES:
        inputs = [variables.get("d0")] if "d0" in variables else []
        if not inputs:
            continue
        fast = create(pair, pair.fast, inputs)
        general = create(pair, pair.general, inputs)
        assert UUID.sub("<id>", fast) == UUID.sub("<id>", general), variables


ALERTING_BATCH = """mutation Alerting($a: PipelineJobCreateWithAlertingInput!,
  $b: PipelineJobCreateWithAlertingInput!) {
  a: createPipelineJobWithAlerting(input: $a) { id status jobName hyperplaneUserEmail
    parameters { key value pipelineJobId } }
  b: createPipelineJobWithAlerting(input: $b) { id status jobName hyperplaneUserEmail
    parameters { key value pipelineJobId } }
}"""
MIXED = """mutation Mixed($d: PipelineJobCreateInput!, $w: PipelineJobWhereUniqueInput!) {
  c: createPipelineJob(data: $d) { id }
  u: updatePipelineJob(where: $w, data: {statusReason: {set: "x"}}) { id }
}"""


def stored(pair: Pair) -> list[tuple[Any, ...]]:
    """Every job, parameter and user row in insertion order; ids replaced by their rank,
    times masked."""
    rank: dict[str, str] = {}

    def masked(value: Any) -> Any:
        if isinstance(value, str) and UUID.fullmatch(value):
            return rank.setdefault(value, f"<{len(rank)}>")
        if isinstance(value, str) and MOMENT.fullmatch(value):
            return "<time>"  # differs by nature (the clock)
        return value

    connection = pair.store.connection
    rows = [
        *connection.execute("SELECT * FROM pipeline_job ORDER BY seq"),
        *connection.execute("SELECT * FROM parameter ORDER BY seq"),
        *connection.execute("SELECT email FROM hyperplane_user ORDER BY seq"),
    ]
    return [tuple(masked(value) for value in row) for row in rows]


def test_aliased_creates_take_one_batch_write_and_store_what_single_creates_store(
    tmp_path: Path,
) -> None:
    inputs = [
        job_data(1, hyperplaneUserEmail="a@example.com"),
        job_data(2, schedule="*/5 * * * *", pinned=True, parameters={"create": []}),
        job_data(3, hyperplaneUserEmail="a@example.com", workingDir="w", minReplicas=2),
    ]
    tables = []
    for fast in (True, False):
        (tmp_path / str(fast)).mkdir()
        made = Pair(tmp_path / str(fast))
        endpoint = made.fast if fast else made.general
        plan = endpoint.documents.get(batched("create_job", len(inputs)).text).plan
        assert (plan is not None and plan.resolve_many is not None) is fast
        answer = create(made, endpoint, inputs)
        assert answer.startswith("200 ") and '"errors"' not in answer, answer
        assert made.fast.fast_answers == (1 if fast else 0)  # the batch answered
        tables.append(stored(made))
        made.close()
    assert tables[0] == tables[1]
    assert len(tables[0]) == 3 + 2 + 1  # jobs, parameters, users


def test_aliased_creates_with_alerting_answer_identically(pair: Pair) -> None:
    plan = pair.fast.documents.get(ALERTING_BATCH).plan
    assert plan is not None and plan.resolve_many is not None
    mixed = pair.fast.documents.get(MIXED).plan
    assert mixed is not None and mixed.resolve_many is None  # different fields: one by one
    cases: list[tuple[dict[str, Any], int]] = [
        ({"a": job_data(1), "b": job_data(2, hyperplaneUserEmail="u@example.com")}, 2),
        ({"a": job_data(1), "b": job_data(2, jobName="")}, 0),  # a resolver error
        ({"a": job_data(1), "b": job_data(2, maxRetries=-1)}, 0),
    ]
    for variables, made in cases:
        before = pair.jobs()
        fast = pair.ask(pair.fast, ALERTING_BATCH, variables)
        assert pair.jobs() == before + made, fast
        general = pair.ask(pair.general, ALERTING_BATCH, variables)
        assert pair.jobs() == before + 2 * made, general
        assert UUID.sub("<id>", fast) == UUID.sub("<id>", general), variables
    assert pair.fast.fast_answers == 1


def test_fast_arguments_match_graphql_core(pair: Pair) -> None:
    from graphql import GraphQLError, get_argument_values, get_variable_values

    documents: list[tuple[str, list[dict[str, Any]]]] = [
        (batched("create_job", 2).text, [{"d0": job_data(0), "d1": job_data(1)}]),
        (operation("get_jobs").text, [{"ids": ["a", "b"], "take": 2}, {"ids": ["a"]}]),
        (NAIVE_READ, [{"id": "x"}, {"id": None}, {}]),
        (ALIASED_READ, [{"a": "x", "b": "y"}, {"a": None}]),
    ]
    shortcuts = 0
    for text, cases in documents:
        plan = pair.fast.documents.get(text).plan
        assert plan is not None
        definitions = plan.operation.variable_definitions
        for variables in cases:
            values = get_variable_values(pair.fast.schema, definitions, variables)
            assert not isinstance(values, list), (text[:30], variables)
            for root in plan.roots:
                shortcuts += root.variable_args is not None
                try:
                    expected: Any = get_argument_values(root.field, root.node, values)
                except GraphQLError as error:
                    expected = error.message
                try:
                    got: Any = root.arguments(values)
                except GraphQLError as error:
                    got = error.message
                assert got == expected, (text[:30], variables, root.key)
    assert shortcuts >= 2  # the creates: every argument a variable


PAGE_READ = """query Page($ids: [String!]) {
  pipelineJobs(where: {id: {in: $ids}}) {
    id startTime maxRetries timeout priorityClass preemptible workerPodName gitServerName
  }
}"""
PAGE_RELATIONS = """query Relations($ids: [String!]) {
  pipelineJobs(where: {id: {in: $ids}}) {
    id hyperplaneVCServer { name url } childJobs { id } parentJob { id }
    parameters { key PipelineJob { id } }
  }
}"""


def test_the_hosted_page_fields_answer_identically_relations_by_the_general_path(
    pair: Pair,
) -> None:
    """Issue 19: the page's plain fields are served fast; a relation (read when selected)
    falls back to graphql-core, and both paths answer the same."""
    server = json.loads(
        pair.ask(
            pair.general,
            'mutation { createHyperplaneVCServer(data: {name: "gh", url: "https://g/r"}) { id } }',
            None,
        )[4:]
    )["data"]["createHyperplaneVCServer"]["id"]
    inputs = [
        {"pipelineYamlPath": "p.yaml", "priorityClass": "high", "preemptible": True},
        {"pipelineYamlPath": "p.yaml", "hyperplaneVCServer": {"connect": {"id": server}}},
    ]
    fast_create, general_create = (
        create(pair, pair.fast, inputs),
        create(pair, pair.general, inputs),
    )
    assert UUID.sub("<id>", fast_create) == UUID.sub("<id>", general_create)
    ids = [job.id for job in pair.store.find_jobs(None, None, None, None)]
    parent = ids[0]
    pair.ask(
        pair.general,
        'mutation($p: String) { createPipelineJob(data: {pipelineYamlPath: "c.yaml",'
        ' parentJobId: $p, parameters: {create: [{key: "K", value: "v"}]}}) { id } }',
        {"p": parent},
    )
    ids = [job.id for job in pair.store.find_jobs(None, None, None, None)]
    answers_before = pair.fast.fast_answers
    fast, general = pair.both(PAGE_READ, {"ids": ids})
    assert fast == general
    assert pair.fast.fast_answers == answers_before + 1
    fallbacks_before = pair.fast.fast_fallbacks
    fast, general = pair.both(PAGE_RELATIONS, {"ids": ids})
    assert fast == general
    assert pair.fast.fast_fallbacks == fallbacks_before + 1
    jobs = json.loads(general[4:])["data"]["pipelineJobs"]
    assert {"name": "gh", "url": "https://g/r"} in [j["hyperplaneVCServer"] for j in jobs]
    by_id = {j["id"]: j for j in jobs}
    assert by_id[parent]["childJobs"] == [{"id": ids[-1]}]
    assert by_id[ids[-1]]["parentJob"] == {"id": parent}
    assert by_id[ids[-1]]["parameters"] == [{"key": "K", "PipelineJob": {"id": ids[-1]}}]
