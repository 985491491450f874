"""The lazy command group: every command registered, its listing right, light imports."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner

import orchestrator.cli as cli_package
from orchestrator.cli import LAZY_COMMANDS, main
from tests.helpers.cli import connection, write_manifest

HEAVY = ("aiohttp", "gql", "graphql", "orchestrator.platform.server", "orchestrator.engine")
# what a command reading the ledger must not import (the engine's light modules it may)
NETWORK = ("aiohttp", "gql", "graphql", "orchestrator.platform.server", "orchestrator.api.client")


def _cli_modules() -> list[str]:
    """Every module of orchestrator.cli, its sub-packages' too."""
    return [info.name for info in pkgutil.walk_packages(cli_package.__path__, "orchestrator.cli.")]


def _home(command: click.Command) -> str | None:
    """The module that defines ``command`` (its callback's)."""
    return getattr(command.callback, "__module__", None)


def test_every_command_defined_in_cli_is_in_the_table() -> None:
    """Each top-level command (a click command or group some cli module defines that no
    group holds) is in the table, pointing at the module that defines it."""
    table = {entry.name: entry for entry in LAZY_COMMANDS}
    held: set[int] = set()  # every command some group holds, at any depth
    groups = [entry.load() for entry in LAZY_COMMANDS]
    while groups:
        group = groups.pop()
        if isinstance(group, click.Group):
            for sub in group.commands.values():
                held.add(id(sub))
                groups.append(sub)
    found = 0
    for name in _cli_modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if not isinstance(value, click.Command) or _home(value) != name:
                continue
            if id(value) in held or value is main:
                continue
            assert value.name in table, f"{name}: {value.name} missing from LAZY_COMMANDS"
            assert f"orchestrator.cli.{table[value.name].module}" == name
            assert table[value.name].load() is value
            found += 1
    assert found == len(table)  # and nothing in the table that no module offers


def test_table_short_help_is_the_commands_own() -> None:
    for entry in LAZY_COMMANDS:
        command = entry.load()
        for limit in (30, 45, 80, 150):
            stand_in = click.Command(entry.name, help=entry.short_help)
            assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit), (
                entry.name
            )


def test_group_walk_finds_every_command() -> None:
    ctx = click.Context(main)
    names = main.list_commands(ctx)
    assert names == sorted(entry.name for entry in LAZY_COMMANDS)
    for name in names:
        command = main.get_command(ctx, name)
        assert isinstance(command, click.Command)
        assert command.name == name
    assert main.get_command(ctx, "nope") is None


def test_help_lists_every_command_with_its_short_help() -> None:
    result = CliRunner().invoke(main, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for entry in LAZY_COMMANDS:
        line = next(ln for ln in result.output.splitlines() if ln.split()[:1] == [entry.name])
        assert entry.load().get_short_help_str(200 - 6 - 8) in line


def _imported_after(
    argv: list[str], expect_exit: int | None = None, env: dict[str, str] | None = None
) -> list[str]:
    code = (
        "import sys, json\n"
        "from orchestrator.cli import main\n"
        f"try:\n    main({argv!r}, prog_name='orchestrator')\n"
        "except SystemExit as exit:\n    code = exit.code\n"
        "print(json.dumps([code, sorted(sys.modules)]), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        env={**os.environ, **(env or {})},
    )
    code, modules = json.loads(done.stderr.strip().splitlines()[-1])
    if expect_exit is not None:
        assert code == expect_exit, done.stderr[-2000:]
    return list(modules)


def _heavy(modules: list[str], heavy: tuple[str, ...] = HEAVY) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in heavy)]


def test_help_plan_and_schema_import_no_network_stack(tmp_path: object) -> None:
    for argv in (["--help"], ["schema"], ["plan", "--help"]):
        assert _heavy(_imported_after(argv)) == [], argv


def test_commands_reading_the_ledger_import_no_network_stack(tmp_path: Path) -> None:
    state = ["--state-dir", str(tmp_path / "state")]
    for argv in (["runs", *state], ["runs", "-o", "json", *state], ["status", "--help"]):
        assert _heavy(_imported_after(argv), NETWORK) == [], argv


def test_completing_a_run_id_imports_no_network_stack(tmp_path: Path) -> None:
    completing = {
        "_ORCHESTRATOR_COMPLETE": "bash_complete",
        "COMP_WORDS": f"orchestrator status --state-dir {tmp_path} ",
        "COMP_CWORD": "4",
    }
    modules = _imported_after([], env=completing)
    assert "orchestrator.cli.completion" in modules
    assert _heavy(modules, NETWORK) == []


def test_a_command_runs_after_lazy_loading() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output)["type"] == "object"


def test_run_with_json_output_imports_no_display_and_no_log_renderer(
    platform: Any, tmp_path: Path
) -> None:
    # no live progress to draw and no event at the default level: rich and structlog
    # (whose structlog.dev pulls in rich's traceback machinery) are never needed
    manifest = write_manifest(
        tmp_path,
        "version: 1\nname: quiet\ndefaults: {pipelineYamlPath: p.yaml, timeout: 60}\n"
        'jobs:\n  - name: "j-{{ i }}"\n    matrix: {i: [1, 2]}\n'
        '    parameters: {SIM_DURATION: "0"}\n',
    )
    argv = ["run", str(manifest), *connection(platform, tmp_path / "state"), "-o", "json"]
    modules = _imported_after(argv, expect_exit=0)
    assert "orchestrator.engine.driver" in modules  # it did run
    unwanted = ("rich", "structlog")
    shown = [m for m in modules if any(m == u or m.startswith(u + ".") for u in unwanted)]
    assert shown == []
