"""Every command's known failures end at the CLI's one boundary (``cli/boundary.py``): one
``error: ...`` line on stderr (a manifest: one line per issue), the documented exit code, no
traceback. Bad usage click catches itself (an unknown option, a bad value) exits 2 with its
usage line. In process (click's CliRunner): the boundary is what runs, not the interpreter.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from orchestrator.cli import main
from orchestrator.errors import (
    EXIT_INTERRUPTED,
    EXIT_JOB_FAILED,
    EXIT_PLATFORM,
    EXIT_USAGE,
    OrchestratorError,
    UsageError,
)
from orchestrator.ledger import Ledger, LedgerError, RunLockedError, RunNotFoundError
from orchestrator.manifest import ManifestError, load_manifest
from orchestrator.ops.where_terms import WhereError
from orchestrator.platform.process.embedded import LocalPlatform
from orchestrator.runs import record_manifest_run

DEAD = ["--endpoint", "http://127.0.0.1:9/graphql", "--token", "t"]  # port 9: nobody listens
MANIFEST = "name: t\ndefaults: {pipelineYamlPath: p.yaml}\njobs:\n  - matrix: {i: {range: [2]}}\n"
BAD_MANIFEST = "name: t\njobs:\n  - matrix: {i: {range: [2]}}\n    unknownKey: 1\n"


def invoke(*args: object, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def one_line(result: Result, code: int, words: str) -> None:
    """Exit ``code``, and stderr one ``error:`` line holding ``words``."""
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    assert words in lines[0], result.stderr
    assert "Traceback" not in result.output


def click_usage(result: Result, words: str) -> None:
    """click's own usage error: exit 2, its ``Error:`` line."""
    assert result.exit_code == EXIT_USAGE, (result.exit_code, result.stderr)
    assert "Error:" in result.stderr and words in result.stderr, result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST)
    return path


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


def test_the_family_keeps_the_builtin_bases_callers_catch() -> None:
    assert issubclass(WhereError, UsageError) and issubclass(WhereError, ValueError)
    assert issubclass(RunNotFoundError, LedgerError) and issubclass(RunNotFoundError, LookupError)
    assert issubclass(RunLockedError, LedgerError) and issubclass(RunLockedError, RuntimeError)
    assert issubclass(ManifestError, OrchestratorError)
    assert OrchestratorError("x", exit_code=7).exit_code == 7


@pytest.mark.parametrize("command", ["run", "plan"])
def test_bad_manifest_lists_every_issue_and_exits_2(tmp_path: Path, command: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_MANIFEST)
    state = ["--state-dir", tmp_path / "s"] if command == "run" else []
    result = invoke(command, path, *state)
    assert result.exit_code == EXIT_USAGE, result.stderr
    lines = result.stderr.splitlines()
    assert lines[-1] == f"{len(lines) - 1} problem{'s' if len(lines) > 2 else ''} found"
    assert all(line.startswith(str(path)) for line in lines[:-1]), result.stderr


@pytest.mark.parametrize("command", ["status", "jobs", "watch", "resume", "retry", "cancel"])
def test_unknown_run_exits_2(manifest: Path, state: Path, command: str) -> None:
    with Ledger(state) as ledger:
        record_manifest_run(ledger, load_manifest(manifest), endpoint=None)
    one_line(invoke(command, "nope", "--state-dir", state), EXIT_USAGE, "no run 'nope'")


@pytest.mark.parametrize("command", ["status", "jobs", "logs", "cancel", "resume"])
def test_blank_run_id_is_click_usage(command: str) -> None:
    args = [command, " "] + (["k"] if command == "logs" else [])
    click_usage(invoke(*args), "cannot be empty or blank")


@pytest.mark.parametrize(
    "args",
    [["stats"], ["sessions", "list"], ["params", "list", "j1"], ["cancel", "--scheduled", "-y"]],
)
def test_dead_endpoint_exits_3(args: list[str]) -> None:
    result = invoke(*args, *DEAD, env={"ORCHESTRATOR_CHECK_SECONDS": "0.2"})
    one_line(result, EXIT_PLATFORM, "127.0.0.1:9")


def test_refused_token_exits_3(platform: LocalPlatform) -> None:
    result = invoke("stats", "--endpoint", platform.url, "--token", "wrong")
    one_line(result, EXIT_PLATFORM, "token")


def test_locked_run_exits_2(manifest: Path, state: Path) -> None:
    with Ledger(state) as ledger:
        run = record_manifest_run(ledger, load_manifest(manifest), endpoint=None)
        lock = ledger.lock(run.id)
        lock.acquire()
        try:
            result = invoke("retry", run.id, "--detach", "--state-dir", state)
        finally:
            lock.release()
    assert result.exit_code == EXIT_USAGE, result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: "), result.stderr


def test_bad_where_exits_2() -> None:
    result = invoke("cancel", "--where", "no operator here", "-y", *DEAD)
    one_line(result, EXIT_USAGE, "no operator here")


@pytest.mark.parametrize(
    "args",
    [
        ["cancel", "--older-than", "soon", "-y"],
        ["run", "m.yaml", "--outage", "forever"],
        ["run", "m.yaml", "--deadline", "x"],
        ["run", "m.yaml", "-p", "novalue"],
        ["status", "r", "-o", "xml"],
        ["platform", "serve", "--sim-duration", "x"],
        ["platform", "serve", "--auth", "none", "--host", "0.0.0.0"],
        ["platform", "serve", "--executor", "dask", "--dask-scheduler", "nope://x"],
    ],
)
def test_bad_option_values_are_click_usage(args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == EXIT_USAGE, (result.stderr, result.exception)
    assert "Traceback" not in result.output


def test_serve_refuses_two_token_sources(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("t")
    result = invoke(
        "platform", "serve", "--state-dir", tmp_path / "s", "--token", "a", "--token-file",
        token_file,
    )  # fmt: skip
    one_line(result, EXIT_USAGE, "--token and --token-file given together")


def test_serve_refuses_a_missing_token_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    result = invoke("platform", "serve", "--state-dir", tmp_path / "s", "--token-file", missing)
    one_line(result, EXIT_USAGE, f"--token-file {missing} does not exist")


def test_platform_status_without_a_platform_exits_3(state: Path) -> None:
    one_line(invoke("platform", "status", "--state-dir", state), EXIT_PLATFORM, "no local")


def test_config_use_of_an_unknown_context_exits_2(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    one_line(invoke("config", "use", "nowhere", env=env), EXIT_USAGE, "no context 'nowhere'")


def _raising(error: BaseException) -> Callable[..., None]:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise error

    return fail


def test_an_unexpected_error_is_one_line_exit_1(
    monkeypatch: pytest.MonkeyPatch, manifest: Path
) -> None:
    monkeypatch.setattr("orchestrator.cli.manifest.read_manifest", _raising(KeyError("k")))
    one_line(invoke("plan", manifest), EXIT_JOB_FAILED, "internal error: KeyError")


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch, manifest: Path) -> None:
    monkeypatch.setattr("orchestrator.cli.manifest.read_manifest", _raising(KeyboardInterrupt()))
    result = invoke("plan", manifest)
    assert result.exit_code == EXIT_INTERRUPTED
    assert "Traceback" not in result.output and "Aborted" not in result.stderr


def test_a_ledger_error_in_a_task_group_is_found(
    monkeypatch: pytest.MonkeyPatch, manifest: Path, state: Path
) -> None:
    group = ExceptionGroup("tg", [LedgerError("not an orchestrator ledger: X")])
    monkeypatch.setattr("orchestrator.cli.manifest.read_manifest", _raising(group))
    one_line(invoke("plan", manifest), EXIT_USAGE, "not an orchestrator ledger: X")
