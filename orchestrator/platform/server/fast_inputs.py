"""Variable coercion for the fast plan: graphql-core's ``coerce_variable_values``, success
path only, compiled once per document.

graphql-core coerces a variable by walking its type for every value, with a type check per
field of every input object, after a separate walk that guards against deep nesting; for 50
create inputs that is a third of a create request. Here each variable's type is compiled
once into nested functions that produce the same dict (fields in the type's order, output
names, ``out_type`` applied) and raise :class:`NotFast` wherever graphql-core would fail or
anything unusual appears (a default value, a ``@oneOf`` input, deep nesting, a value of an
unexpected kind); the request then takes the general path, which words the error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    OperationDefinitionNode,
    Undefined,
    is_input_object_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from graphql.execution.get_variable_signature import get_variable_signature
from graphql.execution.values import VariableValues, VariableValueSource

MAX_DEPTH = 24  # deeper values take the general path (graphql-core refuses far deeper ones)
_SCALARS = (str, int, float, bool)

Coerce = Callable[[Any, int], Any]


class NotFast(Exception):
    """This request needs graphql-core's general execution (it may end in an error)."""


def variables_coercer(
    schema: GraphQLSchema, operation: OperationDefinitionNode
) -> Callable[[dict[str, Any]], VariableValues] | None:
    """A function coercing a request's variables as graphql-core would, or ``None`` when the
    operation's variables need more than it handles (defaults, @oneOf, ...)."""
    variables: list[tuple[str, Any, bool, Coerce]] = []
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None:
            return None
        signature = get_variable_signature(schema, definition)
        if isinstance(signature, GraphQLError):  # the general path words it
            return None
        coerce = _coercer(signature.type)
        if coerce is None:
            return None
        variables.append((signature.name, signature, is_non_null_type(signature.type), coerce))

    def coerce_all(inputs: dict[str, Any]) -> VariableValues:
        sources: dict[str, VariableValueSource] = {}
        coerced: dict[str, Any] = {}
        for name, signature, required, coerce in variables:
            value = inputs.get(name, Undefined)
            if value is Undefined:
                if required:
                    raise NotFast
                sources[name] = VariableValueSource(signature)
                continue
            sources[name] = VariableValueSource(signature, value)
            coerced[name] = coerce(value, 0)
        return VariableValues(sources, coerced)

    return coerce_all


def _coercer(kind: GraphQLInputType) -> Coerce | None:
    if is_non_null_type(kind):
        assert isinstance(kind, GraphQLNonNull)
        inner = _coercer(kind.of_type)
        if inner is None:
            return None

        def non_null(value: Any, depth: int) -> Any:
            if value is None:
                raise NotFast
            return inner(value, depth)

        return non_null
    if is_list_type(kind):
        assert isinstance(kind, GraphQLList)
        item = _coercer(kind.of_type)
        if item is None:
            return None

        def items(value: Any, depth: int) -> Any:
            if value is None:
                return None
            if depth > MAX_DEPTH:
                raise NotFast
            if isinstance(value, list):
                return [item(v, depth + 1) for v in value]
            if isinstance(value, _SCALARS):  # one value stands for a list of one
                return [item(value, depth + 1)]
            raise NotFast

        return items
    if is_input_object_type(kind):
        assert isinstance(kind, GraphQLInputObjectType)
        if kind.is_one_of:
            return None
        return _object_coercer(kind)
    if is_leaf_type(kind):
        parse = kind.coerce_input_value

        def leaf(value: Any, _depth: int) -> Any:
            if value is None:
                return None
            try:
                coerced = parse(value)
            except Exception as error:  # the general path words it
                raise NotFast from error
            if coerced is Undefined:
                raise NotFast
            return coerced

        return leaf
    return None


def _object_coercer(kind: GraphQLInputObjectType) -> Coerce | None:
    fields: list[tuple[str, str, bool, Coerce]] = []
    compiled: dict[str, Coerce] = {}

    def later(name: str) -> Coerce:
        # input types may refer to themselves (AND: [Where]): compile fields lazily, once
        def coerce(value: Any, depth: int) -> Any:
            function = compiled.get(name)
            if function is None:
                made = _coercer(kind.fields[name].type)
                if made is None:
                    raise NotFast
                function = compiled[name] = made
            return function(value, depth)

        return coerce

    for name, field in kind.fields.items():
        if field.default_value is not Undefined or field.default is not None:
            return None  # graphql-core fills defaults: the general path
        required = is_non_null_type(field.type)
        fields.append((name, field.out_name or name, required, later(name)))
    known = frozenset(kind.fields)
    out_type = kind.out_type

    def obj(value: Any, depth: int) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict) or depth > MAX_DEPTH:
            raise NotFast
        if not known.issuperset(value):
            raise NotFast
        coerced: dict[str, Any] = {}
        for name, out_name, required, coerce in fields:
            field_value = value.get(name, Undefined)
            if field_value is Undefined:
                if required:
                    raise NotFast
                continue
            coerced[out_name] = coerce(field_value, depth + 1)
        return out_type(coerced)

    return obj
