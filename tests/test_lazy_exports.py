"""Package faces: every exported name resolves, lazily, to the object its module defines."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import orchestrator

PACKAGES = (
    "orchestrator",
    "orchestrator.api",
    "orchestrator.engine",
    "orchestrator.ledger",
    "orchestrator.manifest",
    "orchestrator.ops",
)


def _type_checking_imports(package: str) -> dict[str, str]:
    """``name -> module`` of the imports under ``if TYPE_CHECKING:`` in the package's source."""
    source = Path(importlib.import_module(package).__file__ or "").read_text()
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                for alias in statement.names:
                    found[alias.asname or alias.name] = str(statement.module)
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_is_its_modules_own(package: str) -> None:
    face = importlib.import_module(package)
    declared = _type_checking_imports(package)
    assert set(declared) == set(face.__all__) - {"__version__"}
    for name, module in declared.items():
        assert getattr(face, name) is getattr(importlib.import_module(module), name), name


@pytest.mark.parametrize("package", PACKAGES)
def test_an_unknown_name_is_an_attribute_error(package: str) -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = importlib.import_module(package).no_such_name


def _modules_after(statement: str) -> set[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_a_data_model_does_not_import_the_network_stack() -> None:
    # the ledger's records need the API's enums, not its client (aiohttp, gql, graphql-core)
    modules = _modules_after("import orchestrator.ledger.records, orchestrator.model")
    heavy = {"aiohttp", "gql", "graphql", "orchestrator.api.client", "orchestrator.engine"}
    assert not modules & heavy


def test_importing_a_package_imports_none_of_its_modules() -> None:
    modules = _modules_after("import " + ", ".join(PACKAGES))
    inside = {m for m in modules if m.startswith("orchestrator.") and m not in PACKAGES}
    assert inside <= {"orchestrator.lazy_exports", "orchestrator.library_logging"}


def test_star_import_yields_the_whole_face() -> None:
    namespace: dict[str, object] = {}
    exec("from orchestrator.api import *", namespace)
    face = importlib.import_module("orchestrator.api")
    assert set(namespace) - {"__builtins__"} == set(face.__all__)
    assert orchestrator.watch is importlib.import_module("orchestrator.views.watching").watch
