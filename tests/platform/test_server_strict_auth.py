"""``platform serve --strict-api`` (only the hosted surface) and ``--auth none`` (no token,
loopback only)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from graphql import parse, validate

from orchestrator.cli import main
from orchestrator.platform.server.documents import RULES
from orchestrator.platform.server.resolvers import load_schema
from orchestrator.platform.server.strict import local_extensions
from tests.helpers.api import Api, PlatformFactory, start_api
from tests.helpers.hosted import (
    COUNT_JOBS,
    COUNT_JOBS_INLINE,
    CREATE_INLINE,
    CREATE_VC_SERVER,
    USERS,
)

LOCAL_EXTENSIONS = {
    "{ countPipelineJobs }": "countPipelineJobs",
    "{ aggregatePipelineJob { _count { _all } } }": "aggregatePipelineJob",
    "{ pipelineJobs { id scheduledFrom } }": "scheduledFrom",
    '{ pipelineJobs(where: {scheduledFrom: {equals: "x"}}) { id } }': "scheduledFrom",
    "{ pipelineJobs(orderBy: [{createdAt: asc}]) { id } }": "createdAt",
    "{ pipelineJobs { createdAt } }": "createdAt",
}


@pytest.fixture
async def strict(tmp_path: Path) -> AsyncIterator[Api]:
    async for running in start_api(tmp_path, strict_api=True):
        yield running


def test_every_seed_document_is_valid_against_the_strict_schema(seed: dict[str, str]) -> None:
    schema = load_schema(strict=True)
    for title, document in seed.items():
        assert validate(schema, parse(document), RULES) == [], title


def test_the_strict_schema_has_no_local_extension_left() -> None:
    assert local_extensions(load_schema(strict=True)) == []
    assert "Query.countPipelineJobs" in local_extensions(load_schema())


async def test_strict_platform_refuses_local_extensions_with_validation_errors(
    strict: Api,
) -> None:
    for document, name in LOCAL_EXTENSIONS.items():
        status, body = await strict.post({"query": document})
        assert status == 200, (document, body)
        assert body.get("data") is None, document
        error = body["errors"][0]
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", document
        assert name in error["message"], (document, error)


async def test_strict_platform_serves_what_real_clients_send(strict: Api) -> None:
    await strict.query(CREATE_VC_SERVER, {"data": {"name": "github-main"}})
    created = (await strict.query(CREATE_INLINE))["createPipelineJobWithAlerting"]
    assert created["jobName"] == "scanner-batch-1"
    assert (await strict.query(COUNT_JOBS))["countJobs"] == 1
    assert (await strict.query(COUNT_JOBS_INLINE))["oneOff"] == 1
    assert (await strict.query(USERS, {"email": "x@example.com"}))["hyperplaneUsers"] == []


async def test_the_default_platform_still_serves_local_extensions(api: Api) -> None:
    for document in LOCAL_EXTENSIONS:
        await api.query(document)


async def test_auth_none_lets_requests_without_a_token_in(tmp_path: Path) -> None:
    async for running in start_api(tmp_path, auth_none=True):
        status, body = await running.post({"query": "{ countJobs }"}, token=None)
        assert (status, body) == (200, {"data": {"countJobs": 0}})


def test_auth_none_on_a_non_loopback_host_exits_2_saying_loopback(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "192.168.1.10", "example.com"):
        result = CliRunner().invoke(
            main,
            ["platform", "serve", "--auth", "none", "--host", host, "--state-dir", str(tmp_path)],
        )
        assert result.exit_code == 2, result.output
        assert "loopback" in result.output
    assert not (tmp_path / "platform.db").exists()


def _post_without_token(url: str, query: str) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_served_with_auth_none_and_strict_api_a_tokenless_script_runs(
    platform_factory: PlatformFactory,
) -> None:
    platform = platform_factory(auth="none", token=None)
    assert platform.token == ""
    _post_without_token(
        platform.url, 'mutation { createHyperplaneVCServer(data: {name: "github-main"}) { id } }'
    )
    body = _post_without_token(platform.url, CREATE_INLINE)
    assert body["data"]["createPipelineJobWithAlerting"]["status"] == "pending"
    assert _post_without_token(platform.url, "{ countJobs }") == {"data": {"countJobs": 1}}
    refused = _post_without_token(platform.url, "{ countPipelineJobs }")
    assert refused["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "warning: --auth none" in platform.log_path().read_text()
