"""Parse, check and validate GraphQL documents once, and remember the outcome.

The same bulk document (say, 100 aliased creates) arrives thousands of times; parsing and
validating it costs more than executing it, so the outcome is cached by document text.
Documents over a limit (:mod:`orchestrator.platform.server.document_limits`) are refused
here, before any execution. The app looks the cache up on the event loop and runs
:meth:`DocumentCache.check` of a miss in a worker thread, under the request's time budget.
Validation is the standard one, except that an unused variable is tolerated (the seed's
"Get Sessions" declares ``$imageType`` and never uses it), plus graphql-core's
``MaxIntrospectionDepthRule``: introspection may nest ``fields``, ``inputFields``,
``interfaces`` and ``possibleTypes`` at most twice (the standard introspection query does), so
a document cannot ask for the schema's types' fields' types' fields ... (refused as
``QUERY_TOO_COMPLEX``).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import MaxIntrospectionDepthRule, NoUnusedVariablesRule

from orchestrator.platform.server.budget import Budget
from orchestrator.platform.server.document_limits import DocumentLimits, check_limits
from orchestrator.platform.server.error_codes import ErrorCode, with_code
from orchestrator.platform.server.fast_execute import FastPlan, plan_for

__all__ = ["CheckedDocument", "DocumentCache", "DocumentLimits", "check_limits"]

RULES = (
    *(rule for rule in specified_rules if rule is not NoUnusedVariablesRule),
    MaxIntrospectionDepthRule,
)
_INTROSPECTION_TOO_DEEP = "Maximum introspection depth exceeded"  # graphql-core's wording


@dataclass(frozen=True, slots=True)
class CheckedDocument:
    """A parsed document and its errors (empty: ready to execute), and its fast plan when it
    is plain enough for one (:mod:`orchestrator.platform.server.fast_execute`)."""

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]
    plan: FastPlan | None = None


class DocumentCache:
    """LRU cache of :class:`CheckedDocument` by document text; counts hits for tests."""

    def __init__(
        self,
        schema: GraphQLSchema,
        limits: DocumentLimits,
        max_entries: int = 256,
        max_text_chars: int = 256 * 1024,
        *,
        fast_plans: bool = True,
    ) -> None:
        self.schema = schema
        self.fast_plans = fast_plans  # False: always graphql-core's general execution
        self.limits = limits
        self.max_entries = max_entries
        self.max_text_chars = max_text_chars  # bigger documents are checked but not kept
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, CheckedDocument] = OrderedDict()

    def get(self, text: str) -> CheckedDocument:
        """The checked document for ``text``, parsed and validated at most once while cached."""
        entry = self.lookup(text)
        if entry is None:
            entry = self.check(text)
            self.remember(text, entry)
        return entry

    def lookup(self, text: str) -> CheckedDocument | None:
        """The cached outcome for ``text`` (counted as a hit), or ``None`` (a miss)."""
        entry = self._entries.get(text)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(text)
        return entry

    def remember(self, text: str, entry: CheckedDocument) -> None:
        """Cache the outcome of :meth:`check` (documents over ``max_text_chars`` are not)."""
        if len(text) > self.max_text_chars:
            return
        self._entries[text] = entry
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def check(self, text: str, budget: Budget | None = None) -> CheckedDocument:
        """Parse, check the limits and validate; touches no cache state (any thread may run it).

        Raises :class:`BudgetExceeded` when ``budget`` runs out during validation (that
        outcome says nothing about the document, so it must not be cached).
        """
        try:
            document = parse(text, max_tokens=self.limits.max_tokens)
        except GraphQLError as error:
            too_long = "tokens. Parsing aborted" in error.message  # graphql-core's wording
            code = ErrorCode.TOO_MANY_TOKENS if too_long else ErrorCode.GRAPHQL_PARSE_FAILED
            return CheckedDocument(None, (with_code(error, code),))
        limit_errors = check_limits(document, self.limits)
        if limit_errors:
            return CheckedDocument(None, tuple(limit_errors))
        rules = RULES if budget is None else (budget.validation_rule(), *RULES)
        errors = validate(self.schema, document, rules)
        if budget is not None:
            budget.check()  # validation may have stopped early; its errors would be partial
        coded = tuple(
            with_code(
                e,
                ErrorCode.QUERY_TOO_COMPLEX
                if e.message == _INTROSPECTION_TOO_DEEP
                else ErrorCode.GRAPHQL_VALIDATION_FAILED,
            )
            for e in errors
        )
        if coded:
            return CheckedDocument(None, coded)
        plan = plan_for(self.schema, document) if self.fast_plans else None
        return CheckedDocument(document, (), plan)
