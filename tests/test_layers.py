"""Imports point down: every module's imports, read with ``ast`` (function-level and
``TYPE_CHECKING`` ones included), go only where its room's rule allows, and no two rooms
import each other, even through others.

A *room* is a top-level module or package of ``orchestrator`` (``engine``, ``connect``), or a
room of the local platform (``platform.server``); ``platform`` itself is its shared modules
(``config``, ``client_text``). A room may always import itself and the ground floor.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import orchestrator

PACKAGE = Path(orchestrator.__file__).parent

# The ground floor: standard-library-only values and helpers every room may import. Each may
# import only other ground modules (checked below like every room).
GROUND = frozenset(
    {
        "model",  # domain enums and values (JobStatus, JobCreate, JobState, DEFAULT_STATE_DIR)
        "errors",  # the one exception family and its exit codes
        "json_codec",  # the one JSON encoding of the ledger and the api
        "library_logging",  # structlog set up quietly for a library
        "state_files",  # private files and dirs under a state dir
        "lazy_exports",  # package faces imported on first use
    }
)
EVERYTHING = frozenset(
    {
        "manifest",
        "api",
        "ledger",
        "engine",
        "views",
        "connect",
        "runs",
        "ops",
        "platform",
        "platform.process",
        "platform.store",
        "platform.executor",
        "platform.server",
        "dashboard",
        "cli",
    }
)

# room -> the rooms it may import besides itself and GROUND. A listed room that does not
# exist (yet) is no failure; a room that exists and is not listed is one (place it here).
ALLOWED: dict[str, frozenset[str]] = {
    # the ground: only each other
    "model": frozenset(),
    "errors": frozenset(),
    "json_codec": frozenset(),
    "library_logging": frozenset(),
    "state_files": frozenset(),
    "lazy_exports": frozenset(),
    # manifests are read without knowing any platform
    "manifest": frozenset(),
    # the platform's API knows nothing of manifests, runs or ledgers
    "api": frozenset(),
    # the ledger stores what a manifest's policy and jobs are, not how they are sent
    "ledger": frozenset({"manifest"}),
    # the engine drives jobs through a ready connection: never starts a server, never prints
    "engine": frozenset({"api", "ledger", "manifest"}),
    # the read side: views of runs and jobs from the ledger or the server, watching, digests
    "views": frozenset({"api", "engine", "ledger"}),
    # finding or starting a platform: the only client-side room that knows the platform process
    "connect": frozenset({"api", "manifest", "platform", "platform.process"}),
    # runs as the Python API sees them: ledger + connect + engine + views, wired together
    "runs": frozenset({"api", "connect", "engine", "ledger", "manifest", "views"}),
    # bulk operations across the platform (cancel and wait, sessions, params)
    "ops": frozenset({"api", "connect", "engine", "ledger", "manifest"}),
    # the local platform shares nothing with the client side beyond the ground
    "platform": frozenset(),
    "platform.process": frozenset({"platform"}),  # runs `platform serve` as a child: no server
    "platform.store": frozenset({"platform"}),
    "platform.executor": frozenset({"platform", "platform.store"}),
    # the server also mounts the dashboard: a client of the platform's own API, nothing more
    "platform.server": frozenset({"dashboard", "platform", "platform.executor", "platform.store"}),
    # the web dashboard reads and cancels through the hosted API surface only (the client and
    # the bulk operations), so one implementation serves a local platform and a hosted one
    "dashboard": frozenset({"api", "engine", "ledger", "ops", "views"}),
    # the faces: the CLI and the package's own face may import every room
    "cli": EVERYTHING | {"orchestrator"},
    "__main__": frozenset({"cli"}),
    "orchestrator": EVERYTHING - {"cli", "platform", "platform.process"},
    # the in-memory platform shipped for users' tests: anything, and nothing imports it
    "testing": EVERYTHING | {"orchestrator"},
}


def room_of(module: str) -> str:
    """``orchestrator.platform.server.app`` -> ``platform.server``; ``orchestrator`` itself
    (its ``__init__``) -> ``orchestrator``."""
    parts = module.split(".")[1:]
    if not parts:
        return "orchestrator"
    if parts[0] == "platform" and len(parts) > 1 and (PACKAGE / "platform" / parts[1]).is_dir():
        return f"platform.{parts[1]}"
    return parts[0]


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import of an ``orchestrator`` module in the file."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from orchestrator import model` imports the module orchestrator.model
            names = (
                [f"{base}.{alias.name}" for alias in node.names]
                if base == "orchestrator"
                else [base]
            )
        else:
            continue
        for name in names:
            if name == "orchestrator" or name.startswith("orchestrator."):
                yield node.lineno, name


def _exists(module: str) -> bool:
    """A module or package of ``orchestrator`` (else a name ``orchestrator`` itself holds)."""
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def all_imports() -> Iterator[tuple[str, str, int, str]]:
    """(room, file, line, imported room) for every cross-room import in the package."""
    for path in sorted(PACKAGE.rglob("*.py")):
        source = room_of(module_name(path))
        for line, name in imported(path):
            target = room_of(name) if _exists(name) else "orchestrator"  # a name of the face
            if target != source:
                yield source, str(path.relative_to(PACKAGE.parent)), line, target


def test_every_room_has_a_rule() -> None:
    rooms = {room_of(module_name(path)) for path in PACKAGE.rglob("*.py")}
    assert rooms - ALLOWED.keys() == set(), "a new room: give it a rule in ALLOWED"


def test_imports_point_only_where_the_rules_allow() -> None:
    wrong = [
        f"{file}:{line}: {source} imports {target}"
        for source, file, line, target in all_imports()
        if target not in ALLOWED[source] | GROUND
    ]
    assert wrong == []


def test_no_cycle_between_rooms() -> None:
    edges: dict[str, set[str]] = {}
    for source, _, _, target in all_imports():
        edges.setdefault(source, set()).add(target)
    cycles = []
    for start in edges:
        seen: set[str] = set()
        todo = list(edges[start])
        while todo:
            room = todo.pop()
            if room == start:
                cycles.append(start)
                break
            if room not in seen:
                seen.add(room)
                todo.extend(edges.get(room, ()))
    assert cycles == []


def test_the_client_side_never_reaches_the_platform_or_the_cli() -> None:
    """The rule the layering exists for, said once more without the table."""
    low = {"manifest", "api", "ledger", "engine", "views"}
    reaches = {
        (source, target)
        for source, _, _, target in all_imports()
        if source in low and (target.startswith("platform") or target in {"cli", "connect"})
    }
    assert reaches == set()
