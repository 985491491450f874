"""The hosted surface only (``platform serve --strict-api``): the schema without the local
platform's extensions.

Local extensions are marked in ``schema.graphql`` with the ``@local`` directive (fields of
object and input types); the strict schema is the same SDL with those removed, so standard
validation refuses them ("Cannot query field ...") before anything executes. Checking a client
against a strict platform shows it depends on nothing the hosted API is not known to have.
"""

from __future__ import annotations

from graphql import GraphQLInputObjectType, GraphQLObjectType, GraphQLSchema

LOCAL_DIRECTIVE = "local"


def local_extensions(schema: GraphQLSchema) -> list[str]:
    """``Type.field`` names marked ``@local`` (for docs and tests)."""
    found: list[str] = []
    for type_name, named in schema.type_map.items():
        if isinstance(named, GraphQLObjectType | GraphQLInputObjectType):
            for name, field in named.fields.items():
                node = field.ast_node
                if node is not None and any(
                    d.name.value == LOCAL_DIRECTIVE for d in node.directives or ()
                ):
                    found.append(f"{type_name}.{name}")
    return sorted(found)


def drop_local_extensions(schema: GraphQLSchema) -> None:
    """Remove every ``@local`` field from ``schema`` (before it is first validated)."""
    for qualified in local_extensions(schema):
        type_name, name = qualified.split(".")
        named = schema.type_map[type_name]
        assert isinstance(named, GraphQLObjectType | GraphQLInputObjectType)
        del named.fields[name]
