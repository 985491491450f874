"""Restart recovery completes before the platform accepts requests or says it is ready."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

from orchestrator.model import JobStatus
from orchestrator.platform.config import ExecutorKind, PlatformConfig
from orchestrator.platform.executor.recovery import ORPHAN_REASON
from orchestrator.platform.server.app import serve
from orchestrator.platform.store.model import JobSpecInput
from orchestrator.platform.store.store import Store


def status_in_file(db: Path, job_id: str) -> tuple[str, str | None]:
    """The job's status as another process would read it from the database file."""
    with contextlib.closing(sqlite3.connect(db)) as connection:
        row = connection.execute(
            "SELECT status, status_reason FROM pipeline_job WHERE id = ?", (job_id,)
        ).fetchone()
    return row[0], row[1]


async def test_orphaned_jobs_have_failed_when_the_ready_signal_comes(tmp_path: Path) -> None:
    db = tmp_path / "platform.db"
    store = Store.open(db)
    orphan = store.create_job(JobSpecInput("p.yaml"))
    store.claim_pending(1)  # "in progress" when the previous platform died
    store.close()
    seen: list[tuple[str, str | None]] = []
    ready = asyncio.Event()

    def on_ready(_url: str) -> None:
        seen.append(status_in_file(db, orphan.id))
        ready.set()

    config = PlatformConfig(
        db=db, state_dir=tmp_path / "state", token="t", executor=ExecutorKind.SIMULATE
    )
    server = asyncio.create_task(serve(config, on_ready))
    try:
        await asyncio.wait_for(ready.wait(), timeout=30)
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server
    assert seen == [(JobStatus.FAILED.value, ORPHAN_REASON)]
