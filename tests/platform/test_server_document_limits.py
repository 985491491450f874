"""Document limits counted at every spread, in linear time (pure: no server)."""

from __future__ import annotations

import pytest
from graphql import parse

from orchestrator.platform.server.document_limits import DocumentLimits, check_limits
from tests.helpers.hostile import exponential_fragments


def codes(text: str, **limits: int) -> list[str]:
    errors = check_limits(parse(text), DocumentLimits(**limits))
    return [str((e.extensions or {})["code"]) for e in errors]


def test_a_billion_field_expansion_is_refused_without_walking_it() -> None:
    # 2**60 copies: a walk of the expanded tree would never end; the memoised one is instant.
    assert codes(exponential_fragments(levels=60)) == ["QUERY_TOO_COMPLEX"]


@pytest.mark.parametrize(("levels", "refused"), [(3, False), (4, True)])
def test_fields_are_counted_at_every_spread(levels: int, refused: bool) -> None:
    # pipelineJobs + 2**levels copies of id: 9 fields at 3 levels, 17 at 4.
    found = codes(exponential_fragments(levels=levels), max_fields=9, max_repeats=100)
    assert found == (["QUERY_TOO_COMPLEX"] if refused else [])


def test_spreads_are_counted_even_when_the_fragments_select_nothing() -> None:
    assert codes(exponential_fragments(levels=20, leaf="")) == ["QUERY_TOO_COMPLEX"]
    assert codes(exponential_fragments(levels=3, leaf=""), max_spreads=15) == []
    assert codes(exponential_fragments(levels=3, leaf=""), max_spreads=14) == ["QUERY_TOO_COMPLEX"]


def test_repeats_of_one_response_name_are_counted_across_fragments() -> None:
    text = "{ pipelineJobs { id ...A ...B } } fragment A on PipelineJob { id } "
    text += "fragment B on PipelineJob { id ... on PipelineJob { id } }"
    assert codes(text, max_repeats=4) == []
    assert codes(text, max_repeats=3) == ["QUERY_TOO_COMPLEX"]


def test_depth_through_fragments_is_the_deepest_field() -> None:
    text = "{ pipelineJobs { ...A } } fragment A on PipelineJob { parameters { ...B } } "
    text += "fragment B on Parameter { key }"
    assert codes(text, max_depth=3) == []
    assert codes(text, max_depth=2) == ["TOO_DEEP"]


def test_root_fields_count_aliases_and_fragments() -> None:
    text = "{ a: countPipelineJobs ...R } fragment R on Query { b: countPipelineJobs }"
    assert codes(text, max_root_fields=2) == []
    assert codes(text, max_root_fields=1) == ["TOO_MANY_ROOT_FIELDS"]


def test_fragment_cycles_are_left_to_validation() -> None:
    text = "{ pipelineJobs { ...A } } fragment A on PipelineJob { id ...B } "
    text += "fragment B on PipelineJob { ...A }"
    assert codes(text) == []


def test_argument_values_nested_too_deeply_are_refused() -> None:
    deep = "{AND: [" * 40 + '{runId: {equals: "x"}}' + "]}" * 40
    assert codes("{ pipelineJobs(where: " + deep + ") { id } }") == ["TOO_DEEP"]
    shallow = "{AND: [" * 5 + '{runId: {equals: "x"}}' + "]}" * 5
    assert codes("{ pipelineJobs(where: " + shallow + ") { id } }") == []


def test_introspection_is_limited_per_selection_set() -> None:
    many = "{ " + " ".join(f"s{i}: __schema {{ queryType {{ name }} }}" for i in range(3)) + " }"
    assert codes(many, max_introspection=3) == []
    assert codes(many, max_introspection=2) == ["QUERY_TOO_COMPLEX"]
