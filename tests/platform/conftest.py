"""Fixtures for the platform tests (harnesses: tests/helpers/api.py, store.py, endpoints.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from orchestrator.platform.store.store import Store
from tests.helpers.api import Api, seed_documents, start_api
from tests.helpers.endpoints import Pair
from tests.helpers.store import ManualClock


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


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    """A fast and a general endpoint on one store."""
    made = Pair(tmp_path)
    yield made
    made.close()
