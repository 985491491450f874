"""The seed's session documents and job statistics, sent verbatim."""

from __future__ import annotations

from datetime import timedelta

from orchestrator.platform.store.model import JobSpecInput, JobStatus
from tests.helpers.api import Api
from tests.helpers.store import set_status

CREATE_SESSION = """
mutation ($email: String, $imageType: String) {
  createHyperHubSession(data: {hyperplaneUserEmail: $email, imageType: $imageType}) { id status }
}
"""


async def make_sessions(api: Api) -> list[str]:
    ids = []
    for email, image in [("ada@x.io", "gpu"), ("ada@x.io", "basic"), ("bob@x.io", "gpu")]:
        data = await api.query(CREATE_SESSION, {"email": email, "imageType": image})
        assert data["createHyperHubSession"]["status"] == "in progress"
        ids.append(data["createHyperHubSession"]["id"])
    return ids


async def test_get_sessions_filters_orders_and_counts(api: Api, seed: dict[str, str]) -> None:
    ids = await make_sessions(api)
    # $imageType is declared and never used: tolerated.
    data = await api.query(
        seed["Get Sessions"], {"limit": 10, "email": "ada@x.io", "imageType": "gpu"}
    )
    assert [s["id"] for s in data["hyperHubSessions"]] == [ids[1], ids[0]]  # startTime desc
    assert data["countHyperHubSessions"] == 3
    first = data["hyperHubSessions"][0]
    assert (first["hyperplaneUserEmail"], first["imageType"], first["status"]) == (
        "ada@x.io",
        "basic",
        "in progress",
    )
    everyone = await api.query(seed["Get Sessions"], {"limit": 2})
    assert len(everyone["hyperHubSessions"]) == 2


async def test_count_sessions_filters_by_image_type(api: Api, seed: dict[str, str]) -> None:
    await make_sessions(api)
    data = await api.query(seed["Count sessions"], {"imageType": "gpu"})
    assert len(data["hyperHubSessions"]) == 2
    data = await api.query(seed["Count sessions"], {"email": "bob@x.io", "imageType": "gpu"})
    assert len(data["hyperHubSessions"]) == 1
    assert len((await api.query(seed["Count sessions"]))["hyperHubSessions"]) == 3


async def test_cancel_session(api: Api, seed: dict[str, str]) -> None:
    ids = await make_sessions(api)
    data = await api.query(seed["Cancel a session by session_id"], {"id": ids[0]})
    assert data == {"updateHyperHubSession": {"id": ids[0], "status": "cancelled"}}
    left = await api.query(seed["Get Sessions"], {"limit": 10, "status": "in progress"})
    assert sorted(s["id"] for s in left["hyperHubSessions"]) == sorted(ids[1:])
    cancelled = await api.query(seed["Get Sessions"], {"limit": 10, "status": "cancelled"})
    assert cancelled["hyperHubSessions"][0]["completionTime"] is not None


def seed_jobs(api: Api) -> None:
    """2 done, 1 failed, 1 cancelled, 1 in progress, 2 pending, 1 scheduled (+1 old done run)."""
    store = api.store
    jobs = store.create_jobs([JobSpecInput("p.yaml") for _ in range(7)])
    cron = store.create_job(JobSpecInput("p.yaml", schedule="0 * * * *"))
    run = store.spawn_run(cron.id, store.now())
    assert run is not None
    store.claim_pending(5)
    store.finish(jobs[0].id, JobStatus.DONE, None)
    store.finish(jobs[1].id, JobStatus.DONE, None)
    store.finish(jobs[2].id, JobStatus.FAILED, "exit 1")
    set_status(store, jobs[3].id, JobStatus.CANCELLED)
    store.finish(run.id, JobStatus.DONE, None)
    # one job created two hours ago, finished: only TOTAL and T_24H see it
    real_clock = store.clock
    store.clock = lambda: real_clock() - timedelta(hours=2)
    old = store.create_job(JobSpecInput("p.yaml"))
    store.clock = real_clock
    set_status(store, old.id, JobStatus.TIMED_OUT)


async def test_get_job_status_counts_by_status_and_time_frame(
    api: Api, seed: dict[str, str]
) -> None:
    seed_jobs(api)
    data = await api.query(seed["Get job status"])
    assert len(data) == 32
    expected_now = {
        "ALL": 9,
        "DONE": 3,
        "FAILED": 1,
        "CANCELLED": 1,
        "IN_PROGRESS": 1,
        "PENDING": 2,
        "SCHEDULED": 1,
        "TIMED_OUT": 0,
    }
    for name, count in expected_now.items():
        assert data[f"COUNT_{name}_T_10M"] == count, name
        assert data[f"COUNT_{name}_T_1H"] == count, name
        old = 1 if name in ("ALL", "TIMED_OUT") else 0
        assert data[f"COUNT_{name}_T_24H"] == count + old, name
        assert data[f"COUNT_{name}_TOTAL"] == count + old, name


async def test_get_scheduled_jobs_status_counts_cron_jobs_and_their_runs(
    api: Api, seed: dict[str, str]
) -> None:
    seed_jobs(api)
    data = await api.query(seed["Get scheduled jobs status"])
    assert data["COUNT_ALL_TOTAL"] == 2  # the cron job and its run
    assert data["COUNT_SCHEDULED_TOTAL"] == 1
    assert data["COUNT_DONE_T_1H"] == 1
    assert data["COUNT_FAILED_TOTAL"] == 0
    # the seed leaves status out of a few fields: those count every job
    assert data["COUNT_ALL_T_10M"] == 9
    assert data["COUNT_IN_PROGRESS_TOTAL"] == 1
