"""Issue 19, item 1: the standard introspection query, as tools send it first, is answered in
both modes (strict shows only the hosted surface); hostile introspection stays refused."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport
from graphql import build_client_schema, get_introspection_query

from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.api import Api, start_api

PlatformFactory = Callable[..., LocalPlatform]

VARIANTS: list[dict[str, bool]] = [
    {},
    {"input_value_deprecation": True},
    {"specified_by_url": True, "directive_is_repeatable": True, "schema_description": True},
    {
        "input_value_deprecation": True,
        "specified_by_url": True,
        "directive_is_repeatable": True,
        "schema_description": True,
        "one_of": True,
    },
]


@pytest.fixture
async def strict(tmp_path: Path) -> AsyncIterator[Api]:
    async for running in start_api(tmp_path, strict_api=True):
        yield running


def _schema_of(data: Any) -> Any:
    return build_client_schema(data)


async def test_the_standard_introspection_query_and_its_variants_are_answered(
    api: Api, strict: Api
) -> None:
    for variant in VARIANTS:
        document = get_introspection_query(descriptions=True, **variant)
        full = _schema_of(await api.query(document))
        hosted = _schema_of(await strict.query(document))
        assert "countPipelineJobs" in full.query_type.fields, variant
        assert "countJobs" in hosted.query_type.fields, variant
        assert "countPipelineJobs" not in hosted.query_type.fields, variant
        # Types only a local extension reaches, and the @local directive, are gone too.
        assert "AggregatePipelineJob" in full.type_map
        assert "AggregatePipelineJob" not in hosted.type_map
        assert "local" in {d.name for d in full.directives}
        assert "local" not in {d.name for d in hosted.directives}
        assert "createdAt" not in hosted.type_map["PipelineJob"].fields  # type: ignore[union-attr]


HOSTILE = {
    # The schema's types' fields' types' fields...: refused by validation (breadth).
    "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }": (
        "QUERY_TOO_COMPLEX"
    ),
    # The same through a fragment cycling through __Type.
    'query Q { __type(name: "PipelineJob") { ...T } }\n'
    "fragment T on __Type { fields { type { ...T } } }": "QUERY_TOO_COMPLEX",
    # Introspection under a user field counts as any field does (and is no field there).
    "{ pipelineJobs { "
    + "".join("parameters { " for _ in range(12))
    + "__schema { types { name } }"
    + " }" * 12
    + " } }": "TOO_DEEP",
    # Asking for the whole schema again and again.
    "{ " + " ".join(f"s{i}: __schema {{ types {{ name }} }}" for i in range(11)) + " }": (
        "QUERY_TOO_COMPLEX"
    ),
    # An ofType chain deeper than any tool asks for.
    '{ __type(name: "PipelineJob") { ' + "ofType { " * 30 + "name" + " }" * 32: "TOO_DEEP",
}


async def test_hostile_introspection_is_refused(api: Api, strict: Api) -> None:
    for running in (api, strict):
        for document, code in HOSTILE.items():
            body = await running.errors(document)
            assert body.get("data") is None, document
            codes = {error["extensions"]["code"] for error in body["errors"]}
            assert code in codes, (document, body)


async def test_a_fragment_cycle_through_type_is_refused_before_anything_runs(api: Api) -> None:
    document = (
        "{ __schema { types { ...A } } }\n"
        "fragment A on __Type { ofType { ...B } }\n"
        "fragment B on __Type { ofType { ...A } }"
    )
    body = await api.errors(document)
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "cycle" in body["errors"][0]["message"] or "itself" in body["errors"][0]["message"]


async def test_a_gql_client_reads_the_schema_of_a_real_strict_platform(
    platform_factory: PlatformFactory,
) -> None:
    strict_platform = platform_factory()
    transport = AIOHTTPTransport(
        url=strict_platform.url, headers={"Authorization": f"Bearer {strict_platform.token}"}
    )
    client = Client(transport=transport, fetch_schema_from_transport=True)
    async with client as session:
        answer = await session.execute(gql("query Count { countJobs }"))
        assert answer == {"countJobs": 0}
        schema = client.schema
        assert schema is not None
        assert "countJobs" in schema.query_type.fields  # type: ignore[union-attr]
        assert "countPipelineJobs" not in schema.query_type.fields  # type: ignore[union-attr]


def test_gql_cli_prints_the_schema_of_a_real_platform(platform_factory: PlatformFactory) -> None:
    # gql-cli takes headers only on its command line: a platform without a token keeps the
    # token out of argv (the house rule).
    open_platform = platform_factory(token=None, auth="none", strict_api=False)
    gql_cli = Path(sys.executable).with_name("gql-cli")
    printed = subprocess.run(
        [str(gql_cli), open_platform.url, "--print-schema"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert printed.returncode == 0, printed.stderr
    assert "type Query {" in printed.stdout
    assert "countPipelineJobs" in printed.stdout
    assert "createPipelineJob(data: PipelineJobCreateInput!): PipelineJob!" in printed.stdout
