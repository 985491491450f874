"""Operation documents: loaded from .graphql files, batched by aliasing, built once per size."""

from __future__ import annotations

import pytest
from graphql import FieldNode, OperationDefinitionNode, parse, print_ast
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.api.documents import alias_name, batched, operation

OPERATIONS = [
    "create_job",
    "get_jobs",
    "find_jobs",
    "count_jobs",
    "cancel_jobs",
    "cancel_where",
]


@pytest.mark.parametrize("name", OPERATIONS)
def test_every_operation_parses_and_declares_its_variables(name: str) -> None:
    op = operation(name)
    (definition,) = op.document.definitions
    assert isinstance(definition, OperationDefinitionNode)
    assert definition.variable_definitions
    assert parse(op.text)  # the cached text is valid GraphQL


def test_batched_create_matches_the_contract_shape() -> None:
    op = batched("create_job", 3)
    assert op.text.startswith(
        "mutation CreateJobs($d0: PipelineJobCreateInput!, $d1: PipelineJobCreateInput!, "
        "$d2: PipelineJobCreateInput!) {"
    )
    for index in range(3):
        assert f"j{index}: createPipelineJob(data: $d{index}) {{" in op.text
    assert "$d3" not in op.text and "j3:" not in op.text
    assert print_ast(op.document) == op.text


def test_batched_documents_are_built_once_per_size() -> None:
    assert batched("create_job", 50) is batched("create_job", 50)
    assert batched("create_job", 49) is not batched("create_job", 50)


def test_alias_names_follow_the_batch_order() -> None:
    assert [alias_name("create_job", i) for i in range(3)] == ["j0", "j1", "j2"]


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        batched("create_job", 0)


def test_requests_carry_values_only_as_variables() -> None:
    op = batched("create_job", 1)
    request = op.request({"d0": {"pipelineYamlPath": 'evil"} }', "jobType": "basic"}})
    payload = request.payload
    assert payload["query"] == op.text
    assert "evil" not in payload["query"]
    assert payload["variables"]["d0"]["pipelineYamlPath"] == 'evil"} }'


@settings(max_examples=25, deadline=None)
@given(size=st.integers(min_value=1, max_value=80))
def test_a_batch_of_any_size_has_exactly_that_many_aliases_and_variables(size: int) -> None:
    op = batched("create_job", size)
    (definition,) = parse(op.text).definitions
    assert isinstance(definition, OperationDefinitionNode)
    aliases = [
        field.alias.value
        for field in definition.selection_set.selections
        if isinstance(field, FieldNode) and field.alias is not None
    ]
    variables = [v.variable.name.value for v in definition.variable_definitions]
    assert aliases == [f"j{i}" for i in range(size)]
    assert variables == [f"d{i}" for i in range(size)]
