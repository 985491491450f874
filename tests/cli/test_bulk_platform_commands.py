"""sessions, stats, services and params against a real local platform."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from orchestrator.model import JobStatus
from orchestrator.platform.store.sessions import SessionStore
from orchestrator.platform.store.store import Store
from tests.helpers.bulk import conn, create, job, statuses
from tests.helpers.cli import invoke
from tests.helpers.wait import wait_for


def seed_sessions(db: Path, sessions: list[tuple[str, timedelta]]) -> list[str]:
    """Sessions (email, started that long ago) written to the platform's database before it
    starts: the store's clock decides a session's startTime."""
    db.parent.mkdir(parents=True, exist_ok=True)
    ids = []
    for email, ago in sessions:
        store = Store.open(db, clock=lambda ago=ago: datetime.now(UTC) - ago)
        try:
            ids.append(SessionStore(store).create({"hyperplaneUserEmail": email}).id)
        finally:
            store.close()
    return ids


def session_statuses(platform: Any, tmp_path: Path) -> dict[str, str]:
    listed = invoke("sessions", "list", *conn(platform, tmp_path), "-o", "json")
    assert listed.returncode == 0, listed.stderr
    return {s["id"]: s["status"] for s in json.loads(listed.stdout)["items"]}


def test_bulk_session_cancel_stops_one_users_idle_sessions_only(
    platform_factory: Callable[..., Any], tmp_path: Path
) -> None:
    db = tmp_path / "sessions" / "platform.db"
    idle, idle2, fresh, other = seed_sessions(
        db,
        [
            ("ada@x.io", timedelta(hours=3)),
            ("ada@x.io", timedelta(hours=5)),
            ("ada@x.io", timedelta(minutes=5)),
            ("bob@x.io", timedelta(hours=3)),
        ],
    )
    platform = platform_factory(db=db)
    target = conn(platform, tmp_path)
    select = ["--email", "ada@x.io", "--status", "in progress", "--idle-for", "2h"]

    counted = invoke("sessions", "count", *select, *target, "-o", "json")
    assert json.loads(counted.stdout) == {"count": 2}
    dry = invoke("sessions", "cancel", *select, *target, "--dry-run", "-o", "json")
    assert {s["id"] for s in json.loads(dry.stdout)["items"]} == {idle, idle2}
    asked = invoke("sessions", "cancel", *select, *target, input="n\n")
    assert f"2 unfinished session(s) selected on {platform.url}" in asked.stderr
    assert idle in asked.stderr and "ada@x.io" in asked.stderr
    assert set(session_statuses(platform, tmp_path).values()) == {"in progress"}

    done = invoke("sessions", "cancel", *select, *target, "--yes", "-o", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["matched"], report["cancelled"], report["still_running"]) == (2, 2, 0)
    assert session_statuses(platform, tmp_path) == {
        idle: "cancelled",
        idle2: "cancelled",
        fresh: "in progress",
        other: "in progress",
    }

    by_id = invoke("sessions", "cancel", idle, other, "nope", *target, "--yes", "-o", "json")
    report = json.loads(by_id.stdout)
    assert (report["matched"], report["cancelled"]) == (3, 1)
    assert (report["already_final"], report["not_found"]) == (1, 1)
    assert session_statuses(platform, tmp_path)[other] == "cancelled"


def test_stats_match_the_jobs_created(platform: Any, tmp_path: Path) -> None:
    quick = {"SIM_OUTCOME": "done", "SIM_DURATION": "0.05"}
    ids = create(
        platform,
        [job(), job(), job(quick), job(quick), job(quick), job(schedule="0 5 * * 1")],
    )
    expected = [JobStatus.IN_PROGRESS] * 2 + [JobStatus.DONE] * 3 + [JobStatus.SCHEDULED]
    wait_for(lambda: statuses(platform, ids) == expected, timeout=60, what="statuses")

    result = invoke("stats", *conn(platform, tmp_path), "-o", "json")
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)["counts"]
    for frame in ("T_10M", "T_1H", "T_24H", "TOTAL"):
        assert counts["ALL"][frame] == 6
        assert counts["IN_PROGRESS"][frame] == 2
        assert counts["DONE"][frame] == 3
        assert counts["SCHEDULED"][frame] == 1
        assert counts["FAILED"][frame] == counts["PENDING"][frame] == 0
    scheduled = json.loads(invoke("stats", "--scheduled", *conn(platform, tmp_path), "-o",
                               "json").stdout)  # fmt: skip
    assert scheduled["scheduledOnly"] is True and scheduled["counts"]["ALL"]["TOTAL"] == 1

    text = invoke("stats", *conn(platform, tmp_path)).stdout.splitlines()
    assert text[0].split() == ["STATUS", "10", "MIN", "1", "H", "24", "H", "TOTAL"]
    assert text[1].split() == ["all", "6", "6", "6", "6"]


def test_services_list_shows_only_never_ending_jobs(platform: Any, tmp_path: Path) -> None:
    service, _plain = create(
        platform, [job(run=None, timeout=-1, activeTimeout=-1), job(activeTimeout=-1)]
    )
    result = invoke("services", "list", *conn(platform, tmp_path), "-o", "json")
    assert result.returncode == 0, result.stderr
    assert [s["id"] for s in json.loads(result.stdout)["items"]] == [service]


def test_params_edits_are_visible_to_a_running_jobs_next_read(
    platform: Any, tmp_path: Path
) -> None:
    (job_id,) = create(platform, [job({"LR": "0.1"})])
    wait_for(lambda: statuses(platform, [job_id]) == [JobStatus.IN_PROGRESS], 60)
    target = conn(platform, tmp_path)

    def params() -> dict[str, str]:
        listed = invoke("params", "list", job_id, *target, "-o", "json")
        assert listed.returncode == 0, listed.stderr
        return {p["key"]: p["value"] for p in json.loads(listed.stdout)["parameters"]}

    assert params()["LR"] == "0.1"
    assert invoke("params", "set", job_id, "LR", "0.01", *target).returncode == 0
    assert invoke("params", "set", job_id, "EPOCHS", "3", *target).returncode == 0
    after = params()
    assert (after["LR"], after["EPOCHS"]) == ("0.01", "3")
    assert invoke("params", "rm", job_id, "LR", *target).returncode == 0
    assert "LR" not in params()
    assert statuses(platform, [job_id]) == [JobStatus.IN_PROGRESS]  # edited while it runs

    missing = invoke("params", "rm", job_id, "LR", *target)
    assert missing.returncode == 2 and "no parameter 'LR'" in missing.stderr
    unknown = invoke("params", "list", "no-such-job", *target)
    assert unknown.returncode == 2 and "no job with id 'no-such-job'" in unknown.stderr
