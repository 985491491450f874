"""Parse, check and validate GraphQL documents once, and remember the outcome.

The same bulk document (say, 100 aliased creates) arrives thousands of times; parsing and
validating it costs more than executing it, so the outcome is cached by document text.
Documents over the root-field or depth limit are refused here, before any execution.
Validation is the standard one, except that an unused variable is tolerated (the seed's
"Get Sessions" declares ``$imageType`` and never uses it).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoUnusedVariablesRule

from orchestrator.platform.server.error_codes import ErrorCode, with_code

RULES = tuple(rule for rule in specified_rules if rule is not NoUnusedVariablesRule)


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """Refuse documents with more root fields (aliases count) or deeper nesting than this."""

    max_root_fields: int = 1000
    max_depth: int = 12
    max_tokens: int = 200_000


@dataclass(frozen=True, slots=True)
class CheckedDocument:
    """A parsed document and its errors (empty: ready to execute)."""

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]


class DocumentCache:
    """LRU cache of :class:`CheckedDocument` by document text; counts hits for tests."""

    def __init__(
        self,
        schema: GraphQLSchema,
        limits: DocumentLimits,
        max_entries: int = 256,
        max_text_chars: int = 256 * 1024,
    ) -> None:
        self.schema = schema
        self.limits = limits
        self.max_entries = max_entries
        self.max_text_chars = max_text_chars  # bigger documents are checked but not kept
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, CheckedDocument] = OrderedDict()

    def get(self, text: str) -> CheckedDocument:
        """The checked document for ``text``, parsed and validated at most once while cached."""
        entry = self._entries.get(text)
        if entry is not None:
            self.hits += 1
            self._entries.move_to_end(text)
            return entry
        self.misses += 1
        entry = self._check(text)
        if len(text) > self.max_text_chars:
            return entry
        self._entries[text] = entry
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return entry

    def _check(self, text: str) -> CheckedDocument:
        try:
            document = parse(text, max_tokens=self.limits.max_tokens)
        except GraphQLError as error:
            too_long = "tokens. Parsing aborted" in error.message  # graphql-core's wording
            code = ErrorCode.TOO_MANY_TOKENS if too_long else ErrorCode.GRAPHQL_PARSE_FAILED
            return CheckedDocument(None, (with_code(error, code),))
        limit_errors = check_limits(document, self.limits)
        if limit_errors:
            return CheckedDocument(None, tuple(limit_errors))
        errors = validate(self.schema, document, RULES)
        coded = tuple(with_code(e, ErrorCode.GRAPHQL_VALIDATION_FAILED) for e in errors)
        return CheckedDocument(document if not coded else None, coded)


def check_limits(document: DocumentNode, limits: DocumentLimits) -> list[GraphQLError]:
    """Errors for operations with too many root fields or too deep a selection."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    errors: list[GraphQLError] = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        name = definition.name.value if definition.name else "(anonymous)"
        roots = _count_fields(definition.selection_set, fragments, set())
        if roots > limits.max_root_fields:
            errors.append(
                GraphQLError(
                    f"operation {name} has {roots} root fields (aliases included); "
                    f"the limit is {limits.max_root_fields}: split it into several requests",
                    extensions={"code": ErrorCode.TOO_MANY_ROOT_FIELDS.value},
                )
            )
        depth = _depth(definition.selection_set, fragments, set())
        if depth > limits.max_depth:
            errors.append(
                GraphQLError(
                    f"operation {name} nests {depth} levels deep; the limit is {limits.max_depth}",
                    extensions={"code": ErrorCode.TOO_DEEP.value},
                )
            )
    return errors


def _count_fields(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[str],
) -> int:
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            count += 1
        elif isinstance(selection, InlineFragmentNode):
            count += _count_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                count += _count_fields(fragments[name].selection_set, fragments, seen | {name})
    return count


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[str],
) -> int:
    """Field nesting depth (fragment cycles are left for validation to report)."""
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            deepest = max(deepest, 1 + _depth(selection.selection_set, fragments, seen))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                deepest = max(
                    deepest, _depth(fragments[name].selection_set, fragments, seen | {name})
                )
    return deepest
