"""A database written by the version-1 store opens with the new columns and backfills."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from orchestrator.platform.store.schema_sql import SCHEMA
from orchestrator.platform.store.store import Store
from orchestrator.platform.store.users import find_users


def test_version_1_database_gains_columns_immediate_schedules_and_users(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(SCHEMA)  # the base tables are version 1's, without the new columns
    old.execute(
        "INSERT INTO pipeline_job (id, run_id, pipeline_yaml_path, status, created_at)"
        " VALUES ('j1', 'r1', 'p.yaml', 'done', '2026-01-01T00:00:00.000000+00:00')"
    )
    old.execute(
        "INSERT INTO hyper_hub_session (id, status, hyperplane_user_email)"
        " VALUES ('s1', 'in progress', 'ada@example.com')"
    )
    old.execute("PRAGMA user_version=1")
    old.commit()
    old.close()
    store = Store.open(path)
    try:
        assert store.count_jobs({"schedule": {"equals": "immediate"}}) == 1
        job = store.get_job("j1")
        assert job is not None and job.spec.schedule is None and job.spec.extra == ()
        assert store.count_jobs({"jobName": {"equals": "x"}}) == 0
        assert [u.email for u in find_users(store)] == ["ada@example.com"]
    finally:
        store.close()
