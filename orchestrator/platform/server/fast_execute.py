"""A lean executor for the plain documents bulk clients send, answering as graphql-core does.

The hot requests (50 aliased creates, a status read of 500 ids) spend most of their server
time in graphql-core's general execution machinery: a middleware call, a resolve info, an
awaitable check and a path object for every one of thousands of leaf fields. Their documents
use a small part of GraphQL: one operation, plain fields (aliases allowed), arguments only on
root fields, object and leaf types, no fragments, no directives, no abstract types. For such
a document a :class:`FastPlan` is built once (cached with the checked document) and executes
it directly: variables are coerced by compiled functions that answer as graphql-core's
(:mod:`.fast_inputs`), an argument given as a variable takes its coerced value, any other by
graphql-core's ``get_argument_values``; graphql-core builds each root field's resolve info
once, the same resolvers run, and values are completed as graphql-core completes them
(:mod:`.fast_complete`).

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

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    Executor,
    FieldNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    VariableNode,
    get_argument_values,
)
from graphql.execution.values import VariableValues
from graphql.pyutils import Path

from orchestrator.platform.server.budget import Budget, BudgetExceeded
from orchestrator.platform.server.fast_complete import Complete, completer, plain_fields, shape_of
from orchestrator.platform.server.fast_inputs import NotFast, variables_coercer

RESOLVE_MANY = "resolveMany"
"""Key of a root field's ``extensions``: ``f(info, [args of each root]) -> [value of each]``,
reading only ``info.context``, answering as the field's resolver would root by root."""

ResolveMany = Callable[[GraphQLResolveInfo[Any], list[dict[str, Any]]], list[Any]]


@dataclass(frozen=True, slots=True)
class _Root:
    key: str
    node: FieldNode
    field: GraphQLField
    complete: Complete
    variable_args: tuple[tuple[str, str], ...] | None  # (out name, variable) when all are $vars

    def arguments(self, values: VariableValues) -> dict[str, Any]:
        """The field's arguments, as graphql-core's ``get_argument_values`` gives them.

        An argument that is a variable takes the variable's coerced value as it is (that is
        what graphql-core does once validation passed); a missing or null one, or any other
        argument, is left to graphql-core, which also words the errors.
        """
        if self.variable_args is not None:
            coerced = values.coerced
            args: dict[str, Any] = {}
            for out_name, variable in self.variable_args:
                value = coerced.get(variable, Undefined)
                if value is None or value is Undefined:
                    break
                args[out_name] = value
            else:
                return args
        return get_argument_values(self.field, self.node, values)


def _variable_args(field: GraphQLField, node: FieldNode) -> tuple[tuple[str, str], ...] | None:
    """``(out name, variable)`` of each argument when every one is given as a variable."""
    given = {argument.name.value: argument.value for argument in node.arguments or ()}
    if set(given) != set(field.args):
        return None
    pairs = []
    for name, argument in field.args.items():
        value = given[name]
        if not isinstance(value, VariableNode):
            return None
        pairs.append((argument.out_name or name, value.name.value))
    return tuple(pairs)


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
                args = root.arguments(info.variable_values)
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
            args = [root.arguments(info.variable_values) for root in self.roots]
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
    for node in plain_fields(operation.selection_set) or ():
        field = root_type.fields.get(node.name.value)
        if field is None or field.resolve is None:
            return None
        shape = shape_of(field.type, node.selection_set)
        if shape is None:
            return None
        key = node.alias.value if node.alias else node.name.value
        roots.append(_Root(key, node, field, completer(shape), _variable_args(field, node)))
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


__all__ = ["RESOLVE_MANY", "FastPlan", "NotFast", "ResolveMany", "plan_for"]
