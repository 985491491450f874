"""The hosted surface only (``platform serve --strict-api``): the schema without the local
platform's extensions.

Local extensions are marked in ``schema.graphql`` with the ``@local`` directive (fields of
object and input types, arguments of fields); the strict schema is the same SDL with those
removed, so standard validation refuses them ("Cannot query field ...") before anything
executes. The strict schema is then rebuilt from its root types, so the types only local
fields reached, and the ``@local`` directive itself, are gone too: introspection of a strict
platform shows the hosted surface and nothing else. Checking a client against a strict
platform shows it depends on nothing the hosted API is not known to have.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    specified_directives,
)

LOCAL_DIRECTIVE = "local"


def _marked(node: Any) -> bool:
    return node is not None and any(d.name.value == LOCAL_DIRECTIVE for d in node.directives or ())


def local_extensions(schema: GraphQLSchema) -> list[str]:
    """``Type.field`` and ``Type.field(argument)`` names marked ``@local`` (for docs and
    tests)."""
    found: list[str] = []
    for type_name, named in schema.type_map.items():
        if isinstance(named, GraphQLObjectType | GraphQLInputObjectType):
            for name, field in named.fields.items():
                if _marked(field.ast_node):
                    found.append(f"{type_name}.{name}")
                for argument, arg in getattr(field, "args", {}).items():
                    if _marked(arg.ast_node):
                        found.append(f"{type_name}.{name}({argument})")
    return sorted(found)


def hosted_schema(schema: GraphQLSchema) -> GraphQLSchema:
    """``schema`` without its ``@local`` fields, the types only they reached, and the
    ``@local`` directive (built from ``schema``'s types, which are changed: call it on a
    freshly built schema, before it is first validated)."""
    for qualified in local_extensions(schema):
        type_name, name = qualified.split(".")
        field_name, _, argument = name.rstrip(")").partition("(")
        named = schema.type_map[type_name]
        assert isinstance(named, GraphQLObjectType | GraphQLInputObjectType)
        if not argument:
            del named.fields[field_name]
        elif field_name in named.fields:
            del named.fields[field_name].args[argument]
    return GraphQLSchema(
        query=schema.query_type,
        mutation=schema.mutation_type,
        directives=specified_directives,
        description=schema.description,
    )
