"""Fixtures for the platform API tests (the harness itself is in api_harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from api_harness import Api, seed_documents, start_api


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
