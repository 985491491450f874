"""A lean executor for the plain documents bulk clients send, answering as graphql-core does.

The hot requests (50 aliased creates, a status read of 500 ids) spend most of their server
time in graphql-core's general execution machinery: a middleware call, a resolve info, an
awaitable check and a path object for every one of thousands of leaf fields. Their documents
use a small part of GraphQL: one operation, plain fields (aliases allowed), arguments only on
root fields, object and leaf types, no fragments, no directives, no abstract types. For such
a document a :class:`FastPlan` is built once (cached with the checked document) and executes
it directly: graphql-core still coerces the variables and arguments and builds each root
field's resolve info, the same resolvers run, and leaves are coerced by the same
``coerce_output_value``.

Only the success path is fast. Anything that would produce an error or needs more of GraphQL
(a variable or argument error, a resolver raising, a null in a non-null place, an unexpected
value shape) raises :class:`NotFast` and the caller runs graphql-core's general execution
instead, which then produces the exact errors. A mutation runs its fast attempt inside a
savepoint, so the general path starts from the same state (see ``GraphQLEndpoint._execute``).
``tests/platform/test_server_fast_path.py`` checks both paths answer byte-identically.

When every root field is the same field and it has a batch resolver (``extensions`` key
:data:`RESOLVE_MANY`: 50 aliased creates), the plan resolves all roots with one call, so the
store writes them with one statement; the batch resolver answers what the field's resolver
would for each root, in order, or raises where any of them would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    Executor,
    FieldNode,
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    get_argument_values,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.values import VariableValues
from graphql.pyutils import Path

from orchestrator.platform.server.budget import Budget, BudgetExceeded
from orchestrator.platform.server.fast_inputs import NotFast, variables_coercer

RESOLVE_MANY = "resolveMany"
"""Key of a root field's ``extensions``: ``f(info, [args of each root]) -> [value of each]``,
reading only ``info.context``, answering as the field's resolver would root by root."""

ResolveMany = Callable[[GraphQLResolveInfo[Any], list[dict[str, Any]]], list[Any]]


@dataclass(frozen=True, slots=True)
class _Leaf:
    kind: GraphQLLeafType


@dataclass(frozen=True, slots=True)
class _List:
    item: _Shape


@dataclass(frozen=True, slots=True)
class _NonNull:
    inner: _Shape


@dataclass(frozen=True, slots=True)
class _Object:
    fields: tuple[tuple[str, str, _Shape], ...]  # response key, field name, shape


_Shape = _Leaf | _List | _NonNull | _Object


@dataclass(frozen=True, slots=True)
class _Root:
    key: str
    node: FieldNode
    field: GraphQLField
    complete: _Complete


@dataclass(frozen=True, slots=True)
class FastPlan:
    """How to execute one plain document without graphql-core's general machinery."""

    operation: OperationDefinitionNode
    root_type: GraphQLObjectType
    roots: tuple[_Root, ...]
    coerce_variables: Callable[[dict[str, Any]], VariableValues] | None
    resolve_many: ResolveMany | None = None  # one call for every root (see RESOLVE_MANY)
    infos: list[GraphQLResolveInfo[Any]] = field(default_factory=list)  # per root, once known

    @property
    def mutation(self) -> bool:
        return self.operation.operation is OperationType.MUTATION

    def execute(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: Any,
        budget: Budget,
    ) -> dict[str, Any]:
        """The ``data`` graphql-core would answer; :class:`NotFast` where it would not succeed
        simply (and :class:`BudgetExceeded` once the budget has run out)."""
        name = self.operation.name.value if self.operation.name else None
        if operation_name is not None and operation_name != name:
            raise NotFast
        infos = self._resolve_infos(schema, document, variables or {}, context)
        if self.resolve_many is not None:
            return self._execute_many(infos[0], budget)
        data: dict[str, Any] = {}
        for root, info in zip(self.roots, infos, strict=True):
            budget.check()
            try:
                args = get_argument_values(root.field, root.node, info.variable_values)
                assert root.field.resolve is not None
                value = root.field.resolve(None, info, **args)
                data[root.key] = root.complete(value, budget)
            except (NotFast, BudgetExceeded):
                raise
            except Exception as error:  # GraphQLError, NotFoundError, a bug: words differ
                raise NotFast from error
        return data

    def _execute_many(self, info: GraphQLResolveInfo[Any], budget: Budget) -> dict[str, Any]:
        """Every root through the field's batch resolver: one call, then each completed."""
        assert self.resolve_many is not None
        budget.check()
        try:
            args = [
                get_argument_values(root.field, root.node, info.variable_values)
                for root in self.roots
            ]
            values = self.resolve_many(info, args)
            if len(values) != len(self.roots):
                raise NotFast
            return {
                root.key: root.complete(value, budget)
                for root, value in zip(self.roots, values, strict=True)
            }
        except (NotFast, BudgetExceeded):
            raise
        except Exception as error:  # as in execute: the general path words it
            raise NotFast from error

    def _resolve_infos(
        self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any], context: Any
    ) -> list[GraphQLResolveInfo[Any]]:
        """Each root field's resolve info: graphql-core's own the first time, then copies of
        those with this request's variables (coerced here) and context."""
        templates = self.infos
        if self.coerce_variables is not None and len(templates) == len(self.roots):
            values = self.coerce_variables(variables)
            if self.resolve_many is not None:  # only the first root's is read
                templates = templates[:1]
            return [t._replace(variable_values=values, context=context) for t in templates]
        executor = Executor.build(
            schema, document, context_value=context, raw_variable_values=variables
        )
        if isinstance(executor, list):  # variable errors: the general path words them
            raise NotFast
        infos = [
            executor.build_resolve_info(
                root.field, [root.node], self.root_type, Path(None, root.key, None)
            )
            for root in self.roots
        ]
        if not templates:
            templates.extend(infos)
        return infos


_Complete = Callable[[Any, Budget], Any]


def _completer(shape: _Shape) -> _Complete:
    """A function completing a resolved value as graphql-core's ``complete_value`` would,
    when it succeeds (it raises :class:`NotFast` where graphql-core would report an error).

    Built once per plan, so the per-value work is only what the value needs.
    """
    if isinstance(shape, _NonNull):
        inner = _completer(shape.inner)

        def non_null(value: Any, budget: Budget) -> Any:
            completed = inner(value, budget)
            if completed is None:
                raise NotFast
            return completed

        return non_null
    if isinstance(shape, _Leaf):
        coerce = shape.kind.coerce_output_value
        as_is = shape.kind in (GraphQLString, GraphQLID)  # both answer a str unchanged

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
    if isinstance(shape, _List):
        item = _completer(shape.item)

        def items(value: Any, budget: Budget) -> Any:
            if value is None or value is Undefined:
                return None
            if not isinstance(value, list | tuple):
                raise NotFast
            budget.check()
            return [item(v, budget) for v in value]

        return items
    fields = tuple((key, name, _completer(field)) for key, name, field in shape.fields)

    def obj(value: Any, budget: Budget) -> Any:
        if value is None or value is Undefined:
            return None
        if not isinstance(value, Mapping):
            raise NotFast
        get = value.get
        result: dict[str, Any] = {}
        for key, name, complete in fields:
            field_value = get(name)
            if callable(field_value):
                raise NotFast
            result[key] = complete(field_value, budget)
        return result

    return obj


def plan_for(schema: GraphQLSchema, document: DocumentNode) -> FastPlan | None:
    """A plan for ``document`` when it uses only what :class:`FastPlan` executes, else None."""
    if len(document.definitions) != 1:
        return None
    operation = document.definitions[0]
    if not isinstance(operation, OperationDefinitionNode) or operation.directives:
        return None
    if operation.operation is OperationType.QUERY:
        root_type = schema.query_type
    elif operation.operation is OperationType.MUTATION:
        root_type = schema.mutation_type
    else:
        return None
    if root_type is None:
        return None
    roots: list[_Root] = []
    for node in _plain_fields(operation.selection_set) or ():
        field = root_type.fields.get(node.name.value)
        if field is None or field.resolve is None:
            return None
        shape = _shape(field.type, node.selection_set)
        if shape is None:
            return None
        key = node.alias.value if node.alias else node.name.value
        roots.append(_Root(key, node, field, _completer(shape)))
    if not roots or len({root.key for root in roots}) != len(roots):
        return None  # repeated response keys merge fields: the general path
    resolve_many = None
    if all(root.field is roots[0].field for root in roots):
        resolve_many = roots[0].field.extensions.get(RESOLVE_MANY)
    return FastPlan(
        operation,
        root_type,
        tuple(roots),
        variables_coercer(schema, operation),
        resolve_many,
    )


def _plain_fields(selection_set: SelectionSetNode | None) -> list[FieldNode] | None:
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


def _shape(kind: GraphQLOutputType, selection_set: SelectionSetNode | None) -> _Shape | None:
    if is_non_null_type(kind):
        assert isinstance(kind, GraphQLNonNull)
        inner = _shape(kind.of_type, selection_set)
        return None if inner is None else _NonNull(inner)
    if is_list_type(kind):
        assert isinstance(kind, GraphQLList)
        item = _shape(kind.of_type, selection_set)
        return None if item is None else _List(item)
    if is_leaf_type(kind):
        assert isinstance(kind, GraphQLLeafType)
        return _Leaf(kind) if selection_set is None else None
    if not is_object_type(kind):
        return None  # interfaces and unions
    assert isinstance(kind, GraphQLObjectType)
    if kind.is_type_of is not None:
        return None
    nodes = _plain_fields(selection_set)
    if not nodes:
        return None
    fields: list[tuple[str, str, _Shape]] = []
    for node in nodes:
        field = kind.fields.get(node.name.value)
        if field is None or field.resolve is not None or node.arguments or field.args:
            return None
        shape = _shape(field.type, node.selection_set)
        if shape is None:
            return None
        fields.append((node.alias.value if node.alias else node.name.value, node.name.value, shape))
    if len({key for key, _, _ in fields}) != len(fields):
        return None
    return _Object(tuple(fields))


__all__ = ["RESOLVE_MANY", "FastPlan", "NotFast", "ResolveMany", "plan_for"]
