"""``--where`` terms: a small grammar for selecting jobs, parsed into a Prisma-style filter.

Pure (no I/O), so every rule is unit-tested. A term names a job field (``jobType``,
``status``, ``owner``, ...) or, for any other name, a job parameter; all terms must hold::

    TERM  := NAME OP VALUE | NAME in (VALUE, VALUE, ...) | NAME in VALUE,VALUE,...
    OP    := =  (equals)  |  !=  (differs)  |  ^=  (starts with)

The filter travels as a GraphQL variable (``PipelineJobWhereInput``); nothing here is
pasted into a document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from orchestrator.errors import UsageError
from orchestrator.model import JobStatus


class WhereError(UsageError, ValueError):
    """A term that does not follow the grammar; the message quotes it and shows the grammar."""


GRAMMAR = (
    "accepted: NAME=VALUE, NAME!=VALUE, NAME^=PREFIX, NAME in (A,B,...) or NAME in A,B,...; "
    "NAME is a job field "
    "(id, runId, jobType, jobName, pipelineYamlPath, status, statusReason, owner, department, "
    "schedule, exposedPort, timeout, activeTimeout, maxRetries) or a parameter key; "
    "all terms must hold"
)

STRING_FIELDS = frozenset(
    {
        "id",
        "runId",
        "jobType",
        "jobName",
        "pipelineYamlPath",
        "status",
        "statusReason",
        "owner",
        "department",
        "schedule",
        "exposedPort",
    }
)
INT_FIELDS = frozenset({"timeout", "activeTimeout", "maxRetries"})


class Op(StrEnum):
    """How a term compares."""

    EQ = "="
    NE = "!="
    PREFIX = "^="
    IN = "in"


@dataclass(frozen=True, slots=True)
class Term:
    """One parsed term: a job field or a parameter, an operator, one or more values."""

    name: str
    op: Op
    values: tuple[str, ...]

    @property
    def is_field(self) -> bool:
        """A job field (else a parameter key)."""
        return self.name in STRING_FIELDS or self.name in INT_FIELDS

    def describe(self) -> str:
        """The term as the user wrote it, normalised."""
        if self.op is Op.IN:
            return f"{self.name} in ({','.join(self.values)})"
        return f"{self.name}{self.op}{self.values[0]}"


_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
# the parentheses are optional: ``I in (20,21)`` and ``I in 20,21`` are the same term
_IN = re.compile(rf"^\s*({_NAME})\s+in(?:\s*\((.*)\)|\s+([^()]*?))\s*$", re.DOTALL)
_BINARY = re.compile(rf"^\s*({_NAME})\s*(!=|\^=|=)(.*)$", re.DOTALL)


def parse_term(text: str) -> Term:
    """One term; raises :class:`WhereError` naming it and the grammar when malformed."""
    matched_in = _IN.match(text)
    if matched_in:
        name, bracketed, bare = matched_in.groups()
        inside = bracketed if bracketed is not None else bare
        values = tuple(v.strip() for v in inside.split(","))
        if not values or any(not v for v in values):
            raise WhereError(f"--where {text!r}: empty value in the list; {GRAMMAR}")
        return _checked(Term(name, Op.IN, values), text)
    matched = _BINARY.match(text)
    if not matched:
        raise WhereError(f"--where {text!r} is not a term; {GRAMMAR}")
    name, op, value = matched.groups()
    if op == "=" and value.startswith(("=", "!", "^")):
        raise WhereError(f"--where {text!r}: unknown operator; {GRAMMAR}")
    return _checked(Term(name, Op(op), (value,)), text)


def _checked(term: Term, text: str) -> Term:
    if term.name == "status":
        known = {s.value for s in JobStatus}
        for value in term.values:
            if value not in known:
                raise WhereError(
                    f"--where {text!r}: status {value!r} is not one of {', '.join(sorted(known))}"
                )
        if term.op is Op.PREFIX:
            raise WhereError(f"--where {text!r}: status takes =, != or in; {GRAMMAR}")
    if term.name in INT_FIELDS:
        if term.op is Op.PREFIX:
            raise WhereError(f"--where {text!r}: {term.name} is a number; ^= needs text")
        for value in term.values:
            try:
                int(value)
            except ValueError:
                raise WhereError(f"--where {text!r}: {term.name} takes a whole number") from None
    return term


def parse_where(items: Sequence[str]) -> tuple[Term, ...]:
    """Every term, in order; the first malformed one raises :class:`WhereError`."""
    return tuple(parse_term(item) for item in items)


def term_filter(term: Term) -> dict[str, Any]:
    """The ``PipelineJobWhereInput`` condition of one term.

    ``NAME!=VALUE`` on a parameter holds for jobs that do not carry ``NAME=VALUE`` (jobs
    without the parameter included); on a field, for jobs whose field is set and differs.
    """
    numeric = term.name in INT_FIELDS
    values: list[Any] = [int(v) for v in term.values] if numeric else list(term.values)
    if term.op is Op.EQ:
        condition: dict[str, Any] = {"equals": values[0]}
    elif term.op is Op.NE:
        condition = {"equals": values[0]}
    elif term.op is Op.PREFIX:
        condition = {"startsWith": values[0]}
    else:
        condition = {"in": values}
    if term.is_field:
        match: dict[str, Any] = {term.name: condition}
    else:
        match = {"parameters": {"some": {"key": {"equals": term.name}, "value": condition}}}
    return {"NOT": [match]} if term.op is Op.NE else match


def terms_filter(terms: Sequence[Term]) -> list[dict[str, Any]]:
    """One condition per term, to be ANDed."""
    return [term_filter(term) for term in terms]


__all__ = [
    "GRAMMAR",
    "Op",
    "Term",
    "WhereError",
    "parse_term",
    "parse_where",
    "term_filter",
    "terms_filter",
]
