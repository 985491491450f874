"""Many processes open one state dir at once: every open succeeds and the schema ends current.

The attack, as CI met it: ``status`` opened the ledger while a starting run was creating it
("not an orchestrator ledger: ... (it has no runs table)"), and two processes upgraded an
older ledger together ("duplicate column name: stopped_by"). Here 10 processes (started
once, as separate interpreters) open a fresh state dir together, released by a barrier, 10
rounds in a row: 100 opens per kind of ledger. Half open as a run does (write, create a
run), half as ``status`` does (read-only, list the runs).
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest

from orchestrator.ledger import LEDGER_FILE, Ledger, RunNotFoundError
from orchestrator.ledger.schema import ADDED_COLUMNS, SCHEMA, SCHEMA_VERSION
from orchestrator.manifest import Policy

PROCESSES = 10
ROUNDS = 10
WRITERS = PROCESSES // 2


def open_each(index: int, state_dirs: list[str], barrier: Barrier, results: Any) -> None:
    """In a child process: open each state dir as its role says, at the barrier's signal."""
    writer = index < WRITERS
    for state_dir in state_dirs:
        barrier.wait(timeout=60)
        try:
            if writer:
                with Ledger(state_dir) as ledger:
                    run = ledger.create_run(name=f"w{index}", policy=Policy())
                    assert ledger.get_run(run.id).stopped_by is None
            else:
                with Ledger(state_dir, read_only=True) as ledger:
                    for run in ledger.list_runs():
                        ledger.counts(run.id)
            results.put((state_dir, "ok"))
        except Exception as exc:  # reported to the test, which names it
            results.put((state_dir, f"{'writer' if writer else 'reader'}: {exc!r}"))


def being_created(state_dir: Path) -> None:
    """What a starting run leaves before its schema commits: an empty ``ledger.db``."""
    state_dir.mkdir(mode=0o700)
    (state_dir / LEDGER_FILE).touch(mode=0o600)


def version_1(state_dir: Path) -> None:
    """A ledger of version 1, before ``ADDED_COLUMNS``, in WAL mode, holding one run."""
    state_dir.mkdir(mode=0o700)
    db = sqlite3.connect(state_dir / LEDGER_FILE, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(SCHEMA)
    db.execute(
        "INSERT INTO runs (id, name, policy, state, created_at, updated_at)"
        " VALUES ('old', 'old', '{}', 'finished', 0, 0)"
    )
    db.execute("PRAGMA user_version=1")
    db.close()


@pytest.mark.parametrize(("prepare", "runs_before"), [(being_created, 0), (version_1, 1)])
def test_100_concurrent_opens_all_succeed_and_leave_the_schema_current(
    tmp_path: Path, prepare: Any, runs_before: int
) -> None:
    state_dirs = [tmp_path / f"state{n}" for n in range(ROUNDS)]
    for state_dir in state_dirs:
        prepare(state_dir)
    context = multiprocessing.get_context("spawn")  # separate interpreters, as CLI processes
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    names = [str(d) for d in state_dirs]
    children = [
        context.Process(target=open_each, args=(i, names, barrier, results))
        for i in range(PROCESSES)
    ]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=120) for _ in range(PROCESSES * ROUNDS)]
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0
    failures = [outcome for outcome in outcomes if outcome[1] != "ok"]
    assert not failures
    assert len(outcomes) == 100
    for state_dir in state_dirs:
        db = sqlite3.connect(state_dir / LEDGER_FILE)
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        for table, column, _ in ADDED_COLUMNS:
            assert column in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == runs_before + WRITERS
        db.close()


def test_a_ledger_being_created_reads_as_empty_and_the_reader_writes_nothing(
    tmp_path: Path,
) -> None:
    being_created(tmp_path / "s")
    with Ledger(tmp_path / "s", read_only=True) as ledger:
        assert ledger.list_runs() == []
        with pytest.raises(RunNotFoundError):
            ledger.get_run("20260101")
    assert (tmp_path / "s" / LEDGER_FILE).stat().st_size == 0


def test_a_reader_reads_a_version_1_ledger_before_anyone_upgrades_it(tmp_path: Path) -> None:
    version_1(tmp_path / "s")
    with Ledger(tmp_path / "s", read_only=True) as ledger:
        [run] = ledger.list_runs()
        assert (run.id, run.stopped_by, run.variables) == ("old", None, {})
    db = sqlite3.connect(tmp_path / "s" / LEDGER_FILE)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1  # the reader changed nothing
    db.close()
