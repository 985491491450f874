"""The GraphQL documents the dashboard sends (``queries/*.graphql``): hosted-surface
operations only, parsed and printed once, sent with their values as variables."""

from __future__ import annotations

from functools import cache
from importlib import resources

from graphql import parse, print_ast

from orchestrator.api.documents import Operation


@cache
def query(name: str) -> Operation:
    """The document in ``queries/<name>.graphql``."""
    source = resources.files(__package__).joinpath("queries", f"{name}.graphql")
    document = parse(source.read_text(encoding="utf-8"))
    return Operation(name=name, document=document, text=print_ast(document))
