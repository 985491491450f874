"""`jobs` shows the part of a platform id that tells a run's jobs apart."""

from __future__ import annotations

from orchestrator.cli.inspect.jobs import _job_id


def test_short_ids_are_the_random_tail_of_time_ordered_uuids() -> None:
    same_millisecond = [
        "01a22af7-8a3a-7d9c-8100-6996591de485",
        "01a22af7-8a3a-7e01-9f00-0a1b2c3d4e5f",
    ]
    shown = [_job_id(job_id, wide=False) for job_id in same_millisecond]
    assert shown == ["591de485", "2c3d4e5f"]  # distinct, where the first 8 characters are not
    assert _job_id(same_millisecond[0], wide=True) == same_millisecond[0]
    assert _job_id(None, wide=False) == "-"
