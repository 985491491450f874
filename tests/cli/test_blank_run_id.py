"""An empty or blank run id is bad usage (exit 2) for every command that takes one.

Run ids match by prefix, and ``""`` is a prefix of every id: ``orchestrator cancel "$RUN"
--yes`` with ``RUN`` unset matched the state dir's run and cancelled it. Here the state dir
holds exactly one run, so a blank id that got through would find it.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from orchestrator.cli import main
from orchestrator.cli.run_ids import RunIdType
from orchestrator.ledger import Ledger
from orchestrator.manifest import Policy
from tests.helpers.cli import invoke

DEAD = ["--endpoint", "http://127.0.0.1:9/graphql", "--token", "t"]  # nobody listens there

COMMANDS = {  # each command taking a run id, with what else it needs after the id
    "cancel": ["--yes"],
    "status": [],
    "watch": [],
    "jobs": [],
    "logs": ["some-key"],
    "resume": DEAD,
    "retry": DEAD,
}


def one_run(state: Path) -> str:
    with Ledger(state) as ledger:
        return ledger.create_run(name="only", policy=Policy()).id


@pytest.mark.parametrize("blank", ["", "  ", "\t"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_blank_run_id_is_refused_with_exit_2(tmp_path: Path, command: str, blank: str) -> None:
    state = tmp_path / "state"
    run_id = one_run(state)
    args = [command, blank, *COMMANDS[command], "--state-dir", str(state)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].endswith(
        "RUN': a run id cannot be empty or blank (it would match every run)"
    )
    assert "only" not in result.stdout and run_id not in result.output
    with Ledger(state, read_only=True) as ledger:
        assert not ledger.get_run(run_id).cancel_requested


def test_cancel_run_option_refuses_a_blank_run_id(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["cancel", "--run", "", "--yes", *DEAD])
    assert result.exit_code == 2
    assert "Invalid value for '--run': a run id cannot be empty" in result.stderr


def test_cancel_of_an_unset_variable_cancels_nothing_in_a_real_process(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run_id = one_run(state)
    result = invoke("cancel", "", "--yes", "--state-dir", state, *DEAD)  # cancel "$RUN" --yes
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    with Ledger(state, read_only=True) as ledger:
        assert not ledger.get_run(run_id).cancel_requested


def test_every_run_id_parameter_of_the_cli_refuses_blanks() -> None:
    """A command added later with a RUN argument or ``--run`` option gets the same check."""
    context = click.Context(main)
    found = set()
    for name in main.list_commands(context):
        command = main.get_command(context, name)
        assert command is not None
        for param in command.params:
            if param.name in ("run_id", "scope_run") or param.metavar in ("RUN", "[RUN]"):
                assert isinstance(param.type, RunIdType), (name, param.name)
                found.add(name)
    assert found == set(COMMANDS)


def test_the_ledger_itself_finds_no_run_for_a_blank_id(tmp_path: Path) -> None:
    one_run(tmp_path)
    with Ledger(tmp_path) as ledger:
        for blank in ("", " "):
            with pytest.raises(LookupError, match="cannot be empty or blank"):
                ledger.get_run(blank)
