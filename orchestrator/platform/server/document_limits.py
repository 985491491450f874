"""Size limits of a GraphQL document, computed in time linear in its text.

A document's cost is the size of its *expanded* tree: every fragment spread stands for the
fragment's whole selection. Walking that tree is exponential (fragments that spread the next
fragment twice, 30 levels deep, expand to a billion fields from 1.5 KB of text), so each
fragment is measured once and its figures reused at every spread (memoised); sums saturate
just over their limit, so even absurd expansions stay small integers.

The figures, each compared with a :class:`DocumentLimits` field:

- root fields of an operation (aliases and fragments included): ``TOO_MANY_ROOT_FIELDS``;
- selection depth: ``TOO_DEEP``; values (arguments) nested deeper than ``max_value_depth``
  are ``TOO_DEEP`` as well. An introspection root field (``__schema``/``__type`` directly in
  an operation) is measured against ``max_introspection_depth`` instead: the standard
  introspection query every tool sends first nests 15 levels (its ``ofType`` chain), and
  its breadth is bounded by validation (graphql-core's ``MaxIntrospectionDepthRule``, see
  :mod:`.documents`). Introspection anywhere else (in a fragment, under a user field)
  counts as any field does;
- fields in the expanded tree, fragment spreads in it, and the most times one response name
  is selected in one (merged) selection set: ``QUERY_TOO_COMPLEX``. The last bounds the
  standard "fields can merge" validation, which compares such repeats pairwise; and
  ``__schema``/``__type`` fields in one selection set (each answers the whole schema).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
)

from orchestrator.platform.server.error_codes import ErrorCode


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """Refuse documents over any of these (see the module docstring for what each counts)."""

    max_root_fields: int = 1000
    max_depth: int = 12
    max_tokens: int = 200_000
    max_fields: int = 20_000
    max_spreads: int = 5_000
    max_repeats: int = 100
    max_value_depth: int = 64
    max_introspection: int = 10
    max_introspection_depth: int = 20


@dataclass(frozen=True, slots=True)
class _Measure:
    """One selection set's figures, as if every spread in it were expanded."""

    fields: int  # fields in the whole expanded subtree
    spreads: int  # fragment spreads in the whole expanded subtree
    depth: int  # field nesting depth
    repeats: int  # most selections of one response name in one merged selection set below
    names: Counter[str]  # response names selected at this level (merged), with multiplicity
    introspection: int  # ``__schema`` and ``__type`` fields selected at this level


_INTROSPECTION = frozenset({"__schema", "__type"})


class _TooComplex(Exception):
    """A figure went over its limit; the walk stops at once."""

    def __init__(self, error: GraphQLError) -> None:
        super().__init__(error.message)
        self.error = error


class _Measurer:
    """Measures selection sets, each fragment once."""

    def __init__(self, document: DocumentNode, limits: DocumentLimits) -> None:
        self.limits = limits
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[str, _Measure] = {}
        self.visiting: set[str] = set()  # a cycle is left for validation to report

    def cap(self, value: int, limit: int) -> int:
        """Saturate just over ``limit``: enough to refuse, never a huge number."""
        return min(value, limit + 1)

    def fragment(self, name: str) -> _Measure | None:
        measured = self.memo.get(name)
        if measured is not None:
            return measured
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            return None  # unknown fragment or cycle: validation says so
        self.visiting.add(name)
        measured = self.selection_set(definition.selection_set)
        self.visiting.discard(name)
        self.memo[name] = measured
        return measured

    def selection_set(
        self, selection_set: SelectionSetNode | None, *, root: bool = False
    ) -> _Measure:
        """Figures of one selection set; ``root``: an operation's own (see the module doc)."""
        limits = self.limits
        fields = spreads = depth = repeats = introspection = 0
        names: Counter[str] = Counter()
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                for argument in selection.arguments or ():
                    self.value_depth(argument.value)
                inner = self.selection_set(selection.selection_set)
                fields += 1 + inner.fields
                spreads += inner.spreads
                if root and selection.name.value in _INTROSPECTION:
                    self.introspection_depth(1 + inner.depth)
                    depth = max(depth, 1)
                else:
                    depth = max(depth, 1 + inner.depth)
                repeats = max(repeats, inner.repeats)
                names[(selection.alias or selection.name).value] += 1
                introspection += selection.name.value in _INTROSPECTION
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                spreads += 1
                found = self.fragment(selection.name.value)
                if found is None:
                    continue
                inner = found
            else:  # pragma: no cover - graphql-core has no other selection kind
                continue
            fields += inner.fields
            spreads += inner.spreads
            depth = max(depth, inner.depth)
            repeats = max(repeats, inner.repeats)
            names.update(inner.names)
            introspection += inner.introspection
            if len(names) > limits.max_fields:
                break  # the field count is over its limit too
        if names:
            repeats = max(repeats, max(names.values()))
        measured = _Measure(
            self.cap(fields, limits.max_fields),
            self.cap(spreads, limits.max_spreads),
            depth,
            self.cap(repeats, limits.max_repeats),
            Counter({k: self.cap(v, limits.max_repeats) for k, v in names.items()}),
            self.cap(introspection, limits.max_introspection),
        )
        self.check(measured)
        return measured

    def check(self, measured: _Measure) -> None:
        """Stop as soon as any figure is over: the rest of the walk cannot lower it."""
        limits = self.limits
        if measured.fields > limits.max_fields:
            raise _TooComplex(_complex(f"expands to more than {limits.max_fields} fields"))
        if measured.spreads > limits.max_spreads:
            raise _TooComplex(
                _complex(f"expands to more than {limits.max_spreads} fragment spreads")
            )
        if measured.introspection > limits.max_introspection:
            raise _TooComplex(
                _complex(f"asks for the schema more than {limits.max_introspection} times")
            )
        if measured.repeats > limits.max_repeats:
            raise _TooComplex(
                _complex(
                    f"selects one response name more than {limits.max_repeats} times"
                    " in one selection set"
                )
            )

    def introspection_depth(self, depth: int) -> None:
        """Refuse an introspection root field nested deeper than its own limit."""
        if depth > self.limits.max_introspection_depth:
            raise _TooComplex(
                GraphQLError(
                    f"an introspection field nests {depth} levels deep;"
                    f" the limit is {self.limits.max_introspection_depth}",
                    extensions={"code": ErrorCode.TOO_DEEP.value},
                )
            )

    def value_depth(self, value: ValueNode) -> None:
        """Refuse argument values nested deeper than the limit (checked without recursion)."""
        stack: list[tuple[ValueNode, int]] = [(value, 1)]
        while stack:
            node, level = stack.pop()
            if level > self.limits.max_value_depth:
                raise _TooComplex(
                    GraphQLError(
                        f"an argument value nests more than {self.limits.max_value_depth}"
                        " levels deep",
                        extensions={"code": ErrorCode.TOO_DEEP.value},
                    )
                )
            if isinstance(node, ListValueNode):
                stack.extend((item, level + 1) for item in node.values)
            elif isinstance(node, ObjectValueNode):
                stack.extend((item.value, level + 1) for item in node.fields)


def _complex(what: str) -> GraphQLError:
    return GraphQLError(
        f"the document {what} (fragments count at every spread): send a smaller one",
        extensions={"code": ErrorCode.QUERY_TOO_COMPLEX.value},
    )


def check_limits(document: DocumentNode, limits: DocumentLimits) -> list[GraphQLError]:
    """Errors for operations over any limit; time linear in the document's text."""
    measurer = _Measurer(document, limits)
    errors: list[GraphQLError] = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        name = definition.name.value if definition.name else "(anonymous)"
        try:
            measured = measurer.selection_set(definition.selection_set, root=True)
        except _TooComplex as refused:  # the walk stopped halfway: refuse the document now
            errors.append(refused.error)
            break
        except RecursionError:
            errors.append(
                GraphQLError(
                    f"operation {name} nests too deeply to check",
                    extensions={"code": ErrorCode.TOO_DEEP.value},
                )
            )
            break
        roots = sum(measured.names.values())
        if roots > limits.max_root_fields:
            errors.append(
                GraphQLError(
                    f"operation {name} has {roots} root fields (aliases included); "
                    f"the limit is {limits.max_root_fields}: split it into several requests",
                    extensions={"code": ErrorCode.TOO_MANY_ROOT_FIELDS.value},
                )
            )
        if measured.depth > limits.max_depth:
            errors.append(
                GraphQLError(
                    f"operation {name} nests {measured.depth} levels deep; "
                    f"the limit is {limits.max_depth}",
                    extensions={"code": ErrorCode.TOO_DEEP.value},
                )
            )
    return errors
