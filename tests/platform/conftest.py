"""Fixtures for the platform tests (harnesses: api_harness.py, store_harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from api_harness import Api, seed_documents, start_api
from store_harness import ManualClock

from orchestrator.platform.store.store import Store


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    """The in-process platform."""
    async for running in start_api(tmp_path):
        yield running


@pytest.fixture(scope="session")
def seed() -> dict[str, str]:
    """The 16 seed documents by title."""
    documents = seed_documents()
    assert len(documents) == 16, sorted(documents)
    return documents


@pytest.fixture
def clock() -> ManualClock:
    """The store's clock, moved by hand."""
    return ManualClock()


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[Store]:
    """A store on a temporary file, on the manual clock."""
    opened = Store.open(tmp_path / "platform.db", clock=clock)
    yield opened
    opened.close()
