"""Completing resolved values for the fast plan (:mod:`.fast_execute`) as graphql-core's
``complete_value`` would, success path only.

A document's selection is turned once into a :data:`Shape` (object, list, non-null and leaf
types, the fields each object selects) and then into nested functions that complete a value
of that shape. Each raises :class:`NotFast` where graphql-core would report an error or
anything unusual appears (a callable field value, a non-mapping object, a null in a non-null
place); the request then takes the general path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    SelectionSetNode,
    Undefined,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)

from orchestrator.platform.server.budget import Budget
from orchestrator.platform.server.fast_inputs import NotFast


@dataclass(frozen=True, slots=True)
class Leaf:
    """A scalar or enum field."""

    kind: GraphQLLeafType


@dataclass(frozen=True, slots=True)
class ListOf:
    """A list of ``item``."""

    item: Shape


@dataclass(frozen=True, slots=True)
class NonNull:
    """A non-null ``inner``."""

    inner: Shape


@dataclass(frozen=True, slots=True)
class ObjectOf:
    """An object type and the fields its selection reads."""

    fields: tuple[tuple[str, str, Shape], ...]  # response key, field name, shape


Shape = Leaf | ListOf | NonNull | ObjectOf


Complete = Callable[[Any, Budget], Any]
_TEXT = (GraphQLString, GraphQLID)  # both answer a str unchanged
_ANY_TEXT, _TEXT_OR_NULL = 1, 2  # fields an object completes in place (see _text_kind)


def _text_kind(shape: Shape) -> int:
    """Whether a field is a String/ID leaf: an object copies a str there as it is (and a
    null, when nullable) without a call, as the leaf's completer would answer the same."""
    if isinstance(shape, Leaf) and shape.kind in _TEXT:
        return _TEXT_OR_NULL
    if isinstance(shape, NonNull) and isinstance(shape.inner, Leaf) and shape.inner.kind in _TEXT:
        return _ANY_TEXT
    return 0


def completer(shape: Shape) -> Complete:
    """A function completing a resolved value as graphql-core's ``complete_value`` would,
    when it succeeds (it raises :class:`NotFast` where graphql-core would report an error).

    Built once per plan, so the per-value work is only what the value needs.
    """
    if isinstance(shape, NonNull):
        inner = completer(shape.inner)

        def non_null(value: Any, budget: Budget) -> Any:
            completed = inner(value, budget)
            if completed is None:
                raise NotFast
            return completed

        return non_null
    if isinstance(shape, Leaf):
        coerce = shape.kind.coerce_output_value
        as_is = shape.kind in _TEXT

        def leaf(value: Any, _budget: Budget) -> Any:
            if value is None or value is Undefined:
                return None
            if as_is and type(value) is str:
                return value
            if isinstance(value, Exception):
                raise NotFast
            coerced = coerce(value)
            if coerced is None or coerced is Undefined:
                raise NotFast
            return coerced

        return leaf
    if isinstance(shape, ListOf):
        item = completer(shape.item)

        def items(value: Any, budget: Budget) -> Any:
            if value is None or value is Undefined:
                return None
            if not isinstance(value, list | tuple):
                raise NotFast
            budget.check()
            return [item(v, budget) for v in value]

        return items
    fields = tuple(
        (key, name, completer(field), _text_kind(field)) for key, name, field in shape.fields
    )

    def obj(value: Any, budget: Budget) -> Any:
        if value is None or value is Undefined:
            return None
        if type(value) is not dict and not isinstance(value, Mapping):  # dict: no ABC check
            raise NotFast
        get = value.get
        result: dict[str, Any] = {}
        for key, name, complete, text in fields:
            field_value = get(name)
            if text and (
                type(field_value) is str or (field_value is None and text == _TEXT_OR_NULL)
            ):
                result[key] = field_value
                continue
            if callable(field_value):
                raise NotFast
            result[key] = complete(field_value, budget)
        return result

    return obj


def plain_fields(selection_set: SelectionSetNode | None) -> list[FieldNode] | None:
    """The selections when all are plain fields (no fragments, no directives)."""
    if selection_set is None:
        return None
    fields: list[FieldNode] = []
    for selection in selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives:
            return None
        if selection.name.value.startswith("__"):
            return None  # __typename and introspection: the general path
        fields.append(selection)
    return fields


def shape_of(kind: GraphQLOutputType, selection_set: SelectionSetNode | None) -> Shape | None:
    if is_non_null_type(kind):
        assert isinstance(kind, GraphQLNonNull)
        inner = shape_of(kind.of_type, selection_set)
        return None if inner is None else NonNull(inner)
    if is_list_type(kind):
        assert isinstance(kind, GraphQLList)
        item = shape_of(kind.of_type, selection_set)
        return None if item is None else ListOf(item)
    if is_leaf_type(kind):
        assert isinstance(kind, GraphQLLeafType)
        return Leaf(kind) if selection_set is None else None
    if not is_object_type(kind):
        return None  # interfaces and unions
    assert isinstance(kind, GraphQLObjectType)
    if kind.is_type_of is not None:
        return None
    nodes = plain_fields(selection_set)
    if not nodes:
        return None
    fields: list[tuple[str, str, Shape]] = []
    for node in nodes:
        field = kind.fields.get(node.name.value)
        if field is None or field.resolve is not None or node.arguments or field.args:
            return None
        shape = shape_of(field.type, node.selection_set)
        if shape is None:
            return None
        fields.append((node.alias.value if node.alias else node.name.value, node.name.value, shape))
    if len({key for key, _, _ in fields}) != len(fields):
        return None
    return ObjectOf(tuple(fields))
