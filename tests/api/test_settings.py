"""Endpoint and token from explicit values or the environment; the token never shows."""

from __future__ import annotations

import pytest

from orchestrator.api import (
    AuthenticationError,
    PermanentError,
    PlatformClient,
    SubmitOutcomeUnknown,
    TransientError,
    resolve_connection,
)
from orchestrator.api.errors import redact
from orchestrator.model import JobCreate

SECRET = "s3cr3t-token-value"


def test_explicit_values_win_over_the_environment() -> None:
    env = {"ORCHESTRATOR_ENDPOINT": "http://env/graphql", "ORCHESTRATOR_TOKEN": "env-token"}
    connection = resolve_connection("http://arg/graphql", SECRET, env)
    assert connection.endpoint == "http://arg/graphql"
    assert connection.token == SECRET


def test_environment_fills_what_is_not_given() -> None:
    env = {"ORCHESTRATOR_ENDPOINT": "http://env/graphql", "ORCHESTRATOR_TOKEN": SECRET}
    connection = resolve_connection(None, None, env)
    assert (connection.endpoint, connection.token) == ("http://env/graphql", SECRET)


def test_missing_endpoint_says_what_to_set() -> None:
    with pytest.raises(PermanentError, match="ORCHESTRATOR_ENDPOINT"):
        resolve_connection(None, SECRET, {})


def test_missing_token_is_an_authentication_error_saying_what_to_set() -> None:
    with pytest.raises(AuthenticationError, match="ORCHESTRATOR_TOKEN"):
        resolve_connection("http://h/graphql", None, {})


def test_endpoint_must_be_http() -> None:
    with pytest.raises(PermanentError, match="http"):
        resolve_connection("ftp://h", SECRET, {})


def test_token_is_not_in_reprs() -> None:
    connection = resolve_connection("http://h/graphql", SECRET, {})
    client = PlatformClient("http://h/graphql", SECRET)
    assert SECRET not in repr(connection)
    assert SECRET not in repr(client)
    assert SECRET not in str(vars(client).get("endpoint"))


def test_client_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCHESTRATOR_ENDPOINT", "http://from-env:1/graphql")
    monkeypatch.setenv("ORCHESTRATOR_TOKEN", SECRET)
    assert PlatformClient().endpoint == "http://from-env:1/graphql"


def test_redact_removes_every_occurrence() -> None:
    assert redact(f"bad {SECRET} and {SECRET}", SECRET) == "bad *** and ***"
    assert redact("nothing", "") == "nothing"


def test_error_hierarchy_lets_callers_catch_what_they_handle() -> None:
    job = JobCreate(fields={"pipelineYamlPath": "p"}, parameters={})
    unknown = SubmitOutcomeUnknown("lost reply", [job])
    assert isinstance(unknown, TransientError)
    assert unknown.jobs == (job,)
    assert unknown.created == ()
    assert str(unknown) == "lost reply"
    assert issubclass(AuthenticationError, PermanentError)
    assert not issubclass(PermanentError, TransientError)
