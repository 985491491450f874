"""Shell completion (click's protocol, as bash calls it): commands, options and run ids."""

from __future__ import annotations

from pathlib import Path

from orchestrator.ledger import Ledger
from orchestrator.manifest import Policy
from tests.helpers.cli import invoke


def complete(words: str, state: Path) -> list[str]:
    env = {
        "_ORCHESTRATOR_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        "ORCHESTRATOR_STATE_DIR": str(state),
    }
    result = invoke(env=env)
    assert result.returncode == 0, result.stderr
    return [line.split(",", 1)[1] for line in result.stdout.splitlines() if line]


def test_commands_options_and_run_ids_complete(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with Ledger(state) as ledger:
        old = ledger.create_run(name="a", policy=Policy(), run_id="20250101-000000-aaaaaa")
        new = ledger.create_run(name="b", policy=Policy(), run_id="20250102-000000-bbbbbb")
    assert "jobs" in complete("orchestrator jo", state)
    assert "--state-dir" in complete("orchestrator logs --st", state)
    assert complete("orchestrator jobs 2025", state) == [new.id, old.id]
    assert complete("orchestrator status 20250101", state) == [old.id]
    assert complete("orchestrator jobs 2025", tmp_path / "none") == []
    assert not (tmp_path / "none").exists()
