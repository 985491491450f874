"""Job and parameter ids: UUIDs (version 7), unique, in creation order across milliseconds."""

from __future__ import annotations

import time
import uuid

from orchestrator.platform.store.writes import new_id


def test_ids_are_version_7_uuids_and_unique() -> None:
    ids = [new_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    for text in ids[:100]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122


def test_ids_follow_creation_order_across_milliseconds() -> None:
    first = new_id()
    deadline = time.monotonic() + 5
    later = new_id()
    while later[:13] == first[:13] and time.monotonic() < deadline:  # same millisecond
        later = new_id()
    assert first < later
