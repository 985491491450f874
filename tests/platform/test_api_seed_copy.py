"""The tests read the seed documents from docs/; that copy must stay the seed, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.api import SEED_COPY

SHARED_SEED = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "seed" / "platform-graphql-api.md"
)


def test_docs_copy_is_byte_identical_to_the_shared_seed() -> None:
    if not SHARED_SEED.exists():
        pytest.skip(f"no shared seed at {SHARED_SEED}")
    assert SEED_COPY.read_bytes() == SHARED_SEED.read_bytes()
