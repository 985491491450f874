"""State files are private: the state dir 0700, the ledger and its -wal/-shm, the embedded
platform's database, token, log and pid file 0600; a state dir already open wider is left
alone but warned about."""

from __future__ import annotations

import stat
from pathlib import Path

import anyio
import pytest
import structlog

from orchestrator.connect import connect
from orchestrator.ledger import Ledger
from orchestrator.manifest import Policy
from orchestrator.platform.process.instance import INFO_FILE, LOCK_FILE, USERS_MUTEX
from orchestrator.state_files import open_private, private_dir, write_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ledger_and_its_wal_and_shm_are_0600_in_a_0700_dir(tmp_path: Path) -> None:
    state = tmp_path / "deep" / "state"
    with Ledger(state) as ledger:
        run = ledger.create_run(name="t", policy=Policy())
        with ledger.lock(run.id):
            files = {p.name: mode(p) for p in state.iterdir() if p.is_file()}
            assert {"ledger.db", "ledger.db-wal", "ledger.db-shm"} <= set(files)
            assert set(files.values()) == {0o600}, files
            assert mode(state / "locks") == 0o700
            assert mode(state / "locks" / f"{run.id}.lock") == 0o600
    assert mode(state) == 0o700


def test_private_helpers_create_0600_files(tmp_path: Path) -> None:
    write_private(tmp_path / "x.pid", "123")
    with open_private(tmp_path / "x.log") as log:
        log.write(b"line\n")
    assert (mode(tmp_path / "x.pid"), mode(tmp_path / "x.log")) == (0o600, 0o600)
    assert (tmp_path / "x.pid").read_text() == "123"


def test_a_state_dir_open_to_others_is_kept_but_warned_about(tmp_path: Path) -> None:
    state = tmp_path / "shared"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    with structlog.testing.capture_logs() as logs:
        private_dir(state)
    assert mode(state) == 0o755
    (event,) = [e for e in logs if e["event"] == "state.not_private"]
    assert event["mode"] == "0o755" and event["hint"] == f"chmod 700 {state}"


def test_a_private_state_dir_opens_without_warning(tmp_path: Path) -> None:
    with structlog.testing.capture_logs() as logs:
        Ledger(tmp_path / "state").close()
        Ledger(tmp_path / "state").close()
    assert not [e for e in logs if e["event"] == "state.not_private"]


@pytest.mark.integration
def test_embedded_platform_state_is_private(tmp_path: Path) -> None:
    state = tmp_path / "state"

    async def start_and_look() -> dict[str, int]:
        async with connect(
            endpoint=None,
            token=None,
            state_dir=state,
            workspace=tmp_path,
            executor="simulate",
        ):
            return {p.name: mode(p) for p in state.iterdir()}

    seen = anyio.run(start_and_look)
    assert mode(state) == 0o700
    for name in (
        "platform.db",
        "platform.token",
        "platform.log",
        INFO_FILE,
        LOCK_FILE,
        USERS_MUTEX,
    ):
        assert seen.get(name) == 0o600, (name, seen)
    assert {mode for name, mode in seen.items() if name.startswith("platform.db")} == {0o600}
