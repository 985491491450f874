"""Request shapes meant to stall or crash a GraphQL server, each with the answer it must get.

Every shape is a raw HTTP body (some cannot even be built by ``json.dumps``: it recurses) and
the status and ``extensions.code`` the platform answers it with. Small texts, huge costs:
fragments spreading the next fragment twice expand to a billion fields from 1.5 KB.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JOBS_WHERE = "query ($w: PipelineJobWhereInput) { pipelineJobs(where: $w) { id } }"
IDS_WHERE = "query ($ids: [String!]) { pipelineJobs(where: {id: {in: $ids}}) { id } }"
UPDATE_WHERE = (
    "mutation ($w: PipelineJobWhereInput) "
    "{ updateManyPipelineJob(where: $w, data: {pinned: {set: true}}) { count } }"
)


@dataclass(frozen=True, slots=True)
class Hostile:
    """One hostile request and the answer it must get."""

    name: str
    body: bytes
    status: int
    code: str


def request(query: str, variables: dict[str, Any] | None = None) -> bytes:
    """A well-formed GraphQL request body."""
    return json.dumps({"query": query, "variables": variables or {}}).encode()


def exponential_fragments(levels: int = 30, leaf: str = "id") -> str:
    """F0 spreads F1 twice, F1 spreads F2 twice, ...: 2**levels copies of ``leaf``."""
    parts = ["query Q { pipelineJobs { ...F0 } }"]
    for i in range(levels):
        parts.append(f"fragment F{i} on PipelineJob {{ ...F{i + 1} ...F{i + 1} }}")
    parts.append(f"fragment F{levels} on PipelineJob {{ {leaf} }}")
    return "\n".join(parts)


def nested_and(levels: int) -> str:
    """A ``where`` JSON text ``levels`` ANDs deep (built as text: json.dumps would recurse)."""
    return '{"AND": [' * levels + '{"runId": {"equals": "x"}}' + "]}" * levels


def nested_and_literal(levels: int) -> str:
    """The same filter as a GraphQL literal inside the document."""
    return "{AND: [" * levels + '{runId: {equals: "x"}}' + "]}" * levels


def huge_or(terms: int) -> dict[str, Any]:
    return {"OR": [{"runId": {"equals": f"r{i}"}} for i in range(terms)]}


def nested_not(levels: int) -> dict[str, Any]:
    condition: dict[str, Any] = {"equals": "x"}
    for _ in range(levels):
        condition = {"not": condition}
    return {"runId": condition}


def _variables_body(query: str, where_json: str) -> bytes:
    return ('{"query": ' + json.dumps(query) + ', "variables": {"w": ' + where_json + "}}").encode()


def hostile_requests() -> list[Hostile]:
    """The catalogue; each needs a server with the default limits."""
    schema = "__schema { types { name fields { name } } }"
    of_type = "name " + "ofType { " * 20 + "name" + " }" * 20
    return [
        Hostile(
            "exponential fragments", request(exponential_fragments()), 200, "QUERY_TOO_COMPLEX"
        ),
        Hostile(
            "exponential empty fragments",
            request(exponential_fragments(leaf="")),
            200,
            "QUERY_TOO_COMPLEX",
        ),
        Hostile(
            "100,000 duplicate fields",
            request("query { pipelineJobs { " + "id " * 100_000 + "} }"),
            200,
            "QUERY_TOO_COMPLEX",
        ),
        Hostile(
            "25,000 nested aliases",
            request(
                "query { pipelineJobs { " + " ".join(f"a{i}: id" for i in range(25_000)) + " } }"
            ),
            200,
            "QUERY_TOO_COMPLEX",
        ),
        Hostile(
            "1,001 root aliases",
            request("query { " + " ".join(f"c{i}: countPipelineJobs" for i in range(1001)) + " }"),
            200,
            "TOO_MANY_ROOT_FIELDS",
        ),
        Hostile(
            "introspection 11 times",
            request("query { " + " ".join(f"s{i}: {schema}" for i in range(11)) + " }"),
            200,
            "QUERY_TOO_COMPLEX",
        ),
        Hostile(
            "introspection 20 ofType deep",
            request(
                'query { __type(name: "PipelineJob") { fields { type { ' + of_type + " } } } }"
            ),
            200,
            "TOO_DEEP",
        ),
        Hostile("5,000-term OR", request(JOBS_WHERE, {"w": huge_or(5000)}), 200, "BAD_USER_INPUT"),
        Hostile(
            "5,000-term OR in a mutation",
            request(UPDATE_WHERE, {"w": huge_or(5000)}),
            200,
            "BAD_USER_INPUT",
        ),
        Hostile("40-deep AND", _variables_body(JOBS_WHERE, nested_and(40)), 200, "BAD_USER_INPUT"),
        Hostile(
            "3,000-deep AND", _variables_body(JOBS_WHERE, nested_and(3000)), 400, "BAD_REQUEST"
        ),
        Hostile(
            "40-deep AND literal",
            request("query { pipelineJobs(where: " + nested_and_literal(40) + ") { id } }"),
            200,
            "TOO_DEEP",
        ),
        Hostile(
            "3,000-deep AND literal",
            request("query { pipelineJobs(where: " + nested_and_literal(3000) + ") { id } }"),
            200,
            "GRAPHQL_PARSE_FAILED",
        ),
        Hostile("40-deep not", request(JOBS_WHERE, {"w": nested_not(40)}), 200, "BAD_USER_INPUT"),
        Hostile(
            "40,000-value in list",
            request(JOBS_WHERE, {"w": {"id": {"in": [f"j{i}" for i in range(40_000)]}}}),
            200,
            "BAD_USER_INPUT",
        ),
        Hostile(
            "100,000-deep JSON",
            b'{"query": "{ countPipelineJobs }", "variables": {"a": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}}",
            400,
            "BAD_REQUEST",
        ),
        Hostile(
            "150-deep variables",
            b'{"query": "{ countPipelineJobs }", "variables": {"a": '
            + b"[" * 150
            + b"]" * 150
            + b"}}",
            400,
            "BAD_REQUEST",
        ),
        Hostile("truncated JSON", b'{"query": "{ countPipe', 400, "BAD_REQUEST"),
        Hostile("invalid UTF-8", b'{"query": "\xff\xfe"}', 400, "BAD_REQUEST"),
        Hostile(
            "600,000 ids in variables (7 MB)",
            request(IDS_WHERE, {"ids": [f"j{i:06}" for i in range(600_000)]}),
            200,
            "BAD_USER_INPUT",
        ),
        Hostile(
            "9 MB of variables",
            request("{ countPipelineJobs }", {"big": "x" * (9 * 1024 * 1024)}),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ]
