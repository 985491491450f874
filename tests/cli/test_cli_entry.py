"""The console entry point assembles every command family and answers --version."""

from click.testing import CliRunner

from orchestrator import __version__
from orchestrator.cli import main


def test_version_names_the_program_and_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert f"orchestrator, version {__version__}" in result.output


def test_unknown_command_is_a_usage_error_with_exit_code_2() -> None:
    result = CliRunner().invoke(main, ["no-such-command"])
    assert result.exit_code == 2
