"""The --where grammar: every operator, fields versus parameters, and malformed terms."""

from __future__ import annotations

import pytest

from orchestrator.ops.job_query import JobQuery
from orchestrator.ops.where_terms import GRAMMAR, Op, Term, WhereError, parse_term, term_filter


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SOURCE=x", Term("SOURCE", Op.EQ, ("x",))),
        ("SOURCE!=x", Term("SOURCE", Op.NE, ("x",))),
        ("SOURCE^=pre", Term("SOURCE", Op.PREFIX, ("pre",))),
        ("SOURCE in (a, b,c)", Term("SOURCE", Op.IN, ("a", "b", "c"))),
        ("jobType=basic", Term("jobType", Op.EQ, ("basic",))),
        ("status in (pending,scheduled)", Term("status", Op.IN, ("pending", "scheduled"))),
        ("URL=a=b", Term("URL", Op.EQ, ("a=b",))),
        ("EMPTY=", Term("EMPTY", Op.EQ, ("",))),
        ("timeout=-1", Term("timeout", Op.EQ, ("-1",))),
    ],
)
def test_terms_parse_into_name_operator_and_values(text: str, expected: Term) -> None:
    assert parse_term(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "novalue",
        "=x",
        "K==x",
        "K=!x",
        "K in (a,,b)",
        "K in ()",
        "1K=x",
        "status=running",
        "status^=pen",
        "timeout=soon",
        "timeout^=1",
    ],
)
def test_malformed_terms_raise_with_the_grammar_or_the_reason(text: str) -> None:
    with pytest.raises(WhereError) as raised:
        parse_term(text)
    assert repr(text) in str(raised.value)


def test_a_term_that_is_not_a_term_shows_the_accepted_grammar() -> None:
    with pytest.raises(WhereError, match="accepted: NAME=VALUE") as raised:
        parse_term("SOURCE")
    assert GRAMMAR in str(raised.value)


def test_field_terms_filter_the_field_and_parameter_terms_the_parameters() -> None:
    assert term_filter(parse_term("owner=ada")) == {"owner": {"equals": "ada"}}
    assert term_filter(parse_term("owner!=ada")) == {"NOT": [{"owner": {"equals": "ada"}}]}
    assert term_filter(parse_term("pipelineYamlPath^=jobs/")) == {
        "pipelineYamlPath": {"startsWith": "jobs/"}
    }
    assert term_filter(parse_term("timeout in (-1, 60)")) == {"timeout": {"in": [-1, 60]}}
    some = {"key": {"equals": "SOURCE"}, "value": {"in": ["a", "b"]}}
    assert term_filter(parse_term("SOURCE in (a,b)")) == {"parameters": {"some": some}}
    one = {"key": {"equals": "SOURCE"}, "value": {"equals": "a"}}
    assert term_filter(parse_term("SOURCE!=a")) == {"NOT": [{"parameters": {"some": one}}]}


def test_a_query_ands_every_part_and_keeps_to_labelled_jobs_unless_everyone() -> None:
    terms = (parse_term("status=pending"), parse_term("status=scheduled"))
    conditions = JobQuery(terms=terms).conditions()
    assert {"status": {"equals": "pending"}} in conditions
    assert {"status": {"equals": "scheduled"}} in conditions  # ANDed: nothing is both
    labelled = {"parameters": {"some": {"key": {"equals": "ORCHESTRATOR_RUN"}}}}
    assert labelled in conditions
    assert labelled not in JobQuery(terms=terms, everyone=True).conditions()
    scoped = JobQuery(run="r1").conditions()
    run_label = {"key": {"equals": "ORCHESTRATOR_RUN"}, "value": {"equals": "r1"}}
    assert scoped == [{"parameters": {"some": run_label}}]


def test_older_than_keeps_jobs_started_before_the_cutoff_and_never_unstarted_ones() -> None:
    from datetime import UTC, datetime, timedelta

    from orchestrator.model import JobStatus
    from orchestrator.ops.records import Job

    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    old = Job("a", JobStatus.IN_PROGRESS, start_time=now - timedelta(hours=3))
    new = Job("b", JobStatus.IN_PROGRESS, start_time=now - timedelta(minutes=5))
    unstarted = Job("c", JobStatus.PENDING)
    query = JobQuery(older_than=7200)
    assert [j.id for j in (old, new, unstarted) if query.keeps(j, now)] == ["a"]
    assert JobQuery().keeps(unstarted, now)
