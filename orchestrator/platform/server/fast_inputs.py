"""Variable coercion for the fast plan: graphql-core's ``coerce_variable_values``, success
path only, compiled once per document.

graphql-core coerces a variable by walking its type for every value, with a type check per
field of every input object, after a separate walk that guards against deep nesting; for 50
create inputs that is a third of a create request. Here each variable's type is compiled
once into nested functions that produce the same dict (fields in the type's order, output
names, ``out_type`` applied) and raise :class:`NotFast` wherever graphql-core would fail or
anything unusual appears (a default value, a ``@oneOf`` input, deep nesting, a value of an
unexpected kind); the request then takes the general path, which words the error. An input
object visits only the fields a value gives (a create gives 6 of ~50), then orders them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    GraphQLString,
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
    objects: dict[str, Coerce | None] = {}  # one coercer per input object type
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None:
            return None
        signature = get_variable_signature(schema, definition)
        if isinstance(signature, GraphQLError):  # the general path words it
            return None
        coerce = _coercer(signature.type, objects)
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


def _coercer(kind: GraphQLInputType, objects: dict[str, Coerce | None]) -> Coerce | None:
    if is_non_null_type(kind):
        assert isinstance(kind, GraphQLNonNull)
        inner = _coercer(kind.of_type, objects)
        if inner is None:
            return None

        def non_null(value: Any, depth: int) -> Any:
            if value is None:
                raise NotFast
            return inner(value, depth)

        return non_null
    if is_list_type(kind):
        assert isinstance(kind, GraphQLList)
        item = _coercer(kind.of_type, objects)
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
        if kind.name not in objects:
            objects[kind.name] = _object_coercer(kind, objects)
        return objects[kind.name]
    if is_leaf_type(kind):
        parse = kind.coerce_input_value
        as_is = kind in (GraphQLString, GraphQLID)  # both take a str unchanged

        def leaf(value: Any, _depth: int) -> Any:
            if value is None:
                return None
            if as_is and type(value) is str:
                return value
            try:
                coerced = parse(value)
            except Exception as error:  # the general path words it
                raise NotFast from error
            if coerced is Undefined:
                raise NotFast
            return coerced

        return leaf
    return None


def _refuse(_value: Any, _depth: int) -> Any:
    raise NotFast


def _object_coercer(
    kind: GraphQLInputObjectType, objects: dict[str, Coerce | None]
) -> Coerce | None:
    """A coercer of ``kind``'s values: only the fields given are visited, then put in the
    type's order (as graphql-core's own loop over every field of the type leaves them)."""
    for field in kind.fields.values():
        if field.default_value is not Undefined or field.default is not None:
            return None  # graphql-core fills defaults: the general path
    order = {name: index for index, name in enumerate(kind.fields)}
    required = frozenset(name for name, f in kind.fields.items() if is_non_null_type(f.type))
    compiled: dict[str, tuple[str, Coerce]] = {}  # filled on first use: types may nest
    out_type = kind.out_type

    def compile_fields() -> dict[str, tuple[str, Coerce]]:
        for name, field in kind.fields.items():
            made = _coercer(field.type, objects)
            compiled[name] = (field.out_name or name, _refuse if made is None else made)
        return compiled

    def obj(value: Any, depth: int) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict) or depth > MAX_DEPTH:
            raise NotFast
        if not required <= value.keys():
            raise NotFast  # a required field missing
        fields = compiled or compile_fields()
        try:
            names = sorted(value, key=order.__getitem__)
        except KeyError:
            raise NotFast from None  # a field the type does not have
        coerced: dict[str, Any] = {}
        for name in names:
            out_name, coerce = fields[name]
            coerced[out_name] = coerce(value[name], depth + 1)
        return out_type(coerced)

    return obj
