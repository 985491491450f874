"""The ledger names what is wrong with its file: not a ledger, not writable, disk full."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from orchestrator.ledger import (
    Ledger,
    LedgerFullError,
    LedgerWriteError,
    NotALedgerError,
    RunNotFoundError,
)
from orchestrator.manifest import JobSpec, Policy


def test_random_bytes_are_not_a_ledger(tmp_path: Path) -> None:
    (tmp_path / "ledger.db").write_bytes(os.urandom(4096))
    for read_only in (False, True):
        with pytest.raises(NotALedgerError, match=f"not an orchestrator ledger: {tmp_path}"):
            Ledger(tmp_path, read_only=read_only)


def test_another_sqlite_database_is_not_a_ledger_and_is_left_untouched(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "ledger.db")
    db.execute("CREATE TABLE pipeline_job (id TEXT)")
    db.commit()
    db.close()
    with pytest.raises(NotALedgerError, match="no runs table"):
        Ledger(tmp_path)
    tables = sqlite3.connect(tmp_path / "ledger.db").execute("SELECT name FROM sqlite_master")
    assert [row[0] for row in tables] == ["pipeline_job"]


def test_reading_a_state_dir_without_a_ledger_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(RunNotFoundError):
        Ledger(tmp_path / "none", read_only=True)
    assert not (tmp_path / "none").exists()


def test_read_only_mount_reads_but_refuses_writes(tmpfs: Path) -> None:
    with Ledger(tmpfs / "s") as ledger:
        run = ledger.create_run(name="t", policy=Policy())
    subprocess.run(["mount", "-o", "remount,ro", tmpfs], check=True)
    with Ledger(tmpfs / "s", read_only=True) as ledger:
        assert ledger.get_run(run.id).name == "t"
    with pytest.raises(LedgerWriteError, match="is read-only"):
        Ledger(tmpfs / "s")


def test_a_full_disk_is_a_ledger_full_error_and_loses_no_committed_row(tmpfs: Path) -> None:
    with Ledger(tmpfs / "s") as ledger:
        run = ledger.create_run(name="t", policy=Policy())
        written = 0
        with pytest.raises(LedgerFullError, match="is full"):
            for batch in range(1000):
                specs = [
                    JobSpec(f"k{batch}-{i}", i, "g", "n", {}, {"p": "x" * 4000}, {})
                    for i in range(50)
                ]
                ledger.record_intents(run.id, [(spec, 0) for spec in specs])
                written += len(specs)
        assert written > 0
        assert len(ledger.known_keys(run.id)) == written  # the failed batch left nothing
