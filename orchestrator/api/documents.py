"""The operation documents the client sends, parsed once and printed once.

Operations live as ``.graphql`` files next to this module. Batched creates repeat the single
aliased root field of ``create_job.graphql`` N times (alias ``j`` -> ``j0..jN-1``, variable
``$d`` -> ``$d0..$dN-1``); the document for each batch size is built once and cached, and so
is its printed text, which is what travels and what the server caches its parse under.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from gql import GraphQLRequest
from graphql import (
    DocumentNode,
    FieldNode,
    NameNode,
    OperationDefinitionNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

_PACKAGE = "orchestrator.api.operations"


@dataclass(frozen=True, slots=True)
class Operation:
    """A parsed operation and its printed text (printed once: printing is not free)."""

    name: str
    document: DocumentNode
    text: str

    def request(self, variables: dict[str, Any]) -> GraphQLRequest:
        """A gql request carrying ``variables``; values never enter the document text."""
        return _PrintedRequest(self, variables)


class _PrintedRequest(GraphQLRequest):
    """A GraphQLRequest whose payload reuses the operation's cached text."""

    def __init__(self, operation: Operation, variables: dict[str, Any]) -> None:
        super().__init__(operation.document, variable_values=variables)
        self._text = operation.text

    @property
    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"query": self._text}
        if self.variable_values:
            payload["variables"] = self.variable_values
        return payload


@cache
def operation(name: str) -> Operation:
    """The operation stored in ``operations/<name>.graphql``, parsed and printed once."""
    source = resources.files(_PACKAGE).joinpath(f"{name}.graphql").read_text(encoding="utf-8")
    document = parse(source)
    return Operation(name=name, document=document, text=print_ast(document))


class _RenameForCopy(Visitor):
    """Suffix every variable and the root field's alias with the copy's index."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.suffix = str(index)

    def enter_variable(self, node: VariableNode, *_args: Any) -> VariableNode:
        return VariableNode(name=NameNode(value=node.name.value + self.suffix))


def _single_root(document: DocumentNode) -> tuple[OperationDefinitionNode, FieldNode]:
    (definition,) = document.definitions
    if not isinstance(definition, OperationDefinitionNode):
        raise ValueError("a batch template must hold exactly one operation")
    (root,) = definition.selection_set.selections
    if not isinstance(root, FieldNode) or root.alias is None:
        raise ValueError("a batch template must have exactly one aliased root field")
    return definition, root


def alias_name(template: str, index: int) -> str:
    """The alias of copy ``index`` of a batch template's root field (``j`` -> ``j3``)."""
    _definition, root = _single_root(operation(template).document)
    assert root.alias is not None  # checked by _single_root
    return root.alias.value + str(index)


@cache
def batched(template: str, size: int) -> Operation:
    """``size`` aliased copies of a single-root-field operation in one document (cached)."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    definition, root = _single_root(operation(template).document)
    assert root.alias is not None  # checked by _single_root
    fields: list[FieldNode] = []
    variables: list[VariableDefinitionNode] = []
    for index in range(size):
        renamer = _RenameForCopy(index)
        copy: FieldNode = visit(root, renamer)
        fields.append(replace(copy, alias=NameNode(value=root.alias.value + str(index))))
        for definition_node in definition.variable_definitions or ():
            renamed: VariableDefinitionNode = visit(definition_node, renamer)
            variables.append(renamed)
    batch = replace(
        definition,
        variable_definitions=tuple(variables),
        selection_set=replace(definition.selection_set, selections=tuple(fields)),
    )
    document = DocumentNode(definitions=(batch,))
    return Operation(name=f"{template}x{size}", document=document, text=print_ast(document))


__all__ = ["Operation", "alias_name", "batched", "operation"]
