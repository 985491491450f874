"""Package faces whose names are imported on first use (PEP 562).

Each layer re-exports its public names from its ``__init__`` so that callers need not know
which module inside holds them. Imported eagerly, that face costs every importer the whole
layer, because importing any ``orchestrator.api.X`` runs ``orchestrator/api/__init__.py``
first: ``orchestrator --help`` imports ``orchestrator`` (whose face names ``run_manifest``, the
engine and the api client) and a command importing ``orchestrator.api.tokens`` would pay for
aiohttp, gql and graphql-core, about 0.6 s of every command's start. (Shared enums now live in
the dependency-free :mod:`orchestrator.model`, but the faces still name heavy modules.)
A package's ``__init__`` therefore names its exports in a
table, ``module -> names``, and this module's ``__getattr__`` imports a name's module when the
name is first asked for. The same names are imported under ``TYPE_CHECKING`` for type checkers,
and ``__getattr__`` is defined only outside type checking, so that a misspelt name is still an
error to mypy (``tests/test_lazy_exports.py`` checks that table and ``__all__`` agree).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, table: Mapping[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each name of ``table`` (``module -> names``)
    is imported from its module when first asked for, then kept on the package."""
    where = {name: module for module, names in table.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # the next lookup is a plain attribute
        return value

    return __getattr__
