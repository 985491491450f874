"""Job and parameter ids: UUIDs (version 7), unique, in creation order across milliseconds."""

from __future__ import annotations

import time
import uuid

from orchestrator.platform.store.ids import new_id, new_ids


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


def test_a_batch_of_ids_is_version_7_unique_and_of_one_millisecond() -> None:
    ids = new_ids(5_000)
    assert len(set(ids)) == len(ids)
    assert len({text[:13] for text in ids}) == 1  # one clock read
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122
    assert {text[19] for text in ids} == set("89ab")  # variant bits set, the rest random
    assert new_ids(0) == []
