"""Test harness for the platform API tests: an in-process server on 127.0.0.1, seed documents.

The in-process server is the real aiohttp app with the real store on a temporary database,
reached over real HTTP; its executor only records notifications, so jobs stay where the test
puts them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from orchestrator.platform.config import PlatformConfig
from orchestrator.platform.server.app import ENDPOINT_KEY, GraphQLEndpoint, create_app
from orchestrator.platform.store.store import Store

SEED_COPY = Path(__file__).resolve().parents[2] / "docs" / "platform-graphql-api.md"
TOKEN = "test-token-not-secret"


def seed_documents() -> dict[str, str]:
    """Seed title (the ``###`` heading) -> the fenced document under it, verbatim."""
    text = SEED_COPY.read_text(encoding="utf-8")
    documents: dict[str, str] = {}
    pattern = re.compile(r"^### (.+?)\s*$(.*?)^```[a-z]*\n(.*?)^```", re.M | re.S)
    for match in pattern.finditer(text):
        documents[match.group(1).strip()] = match.group(3)
    return documents


class RecordingExecutor:
    """Runs nothing; counts notifications so tests can see the server calls notify()."""

    def __init__(self) -> None:
        self.notified = 0

    def recover(self) -> None:
        """Not called by these tests."""

    async def run(self) -> None:
        """Not run by these tests."""

    def notify(self) -> None:
        self.notified += 1


@dataclass
class Api:
    """A running in-process platform and an HTTP session to it."""

    url: str
    session: aiohttp.ClientSession
    store: Store
    endpoint: GraphQLEndpoint
    executor: RecordingExecutor
    app: web.Application

    async def post(
        self, body: Any, *, token: str | None = TOKEN, raw: bytes | None = None
    ) -> tuple[int, Any]:
        """POST a body (JSON) or raw bytes (said to be JSON); returns (HTTP status, decoded
        JSON or text)."""
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else None
        kwargs: dict[str, Any] = {"data": data} if raw is not None else {"json": body}
        async with self.session.post(self.url, headers=headers, **kwargs) as response:
            text = await response.text()
            try:
                return response.status, await response.json(content_type=None)
            except ValueError:
                return response.status, text

    async def query(self, document: str, variables: Mapping[str, Any] | None = None) -> Any:
        """Run a document that must succeed; returns ``data``."""
        status, body = await self.post({"query": document, "variables": variables or {}})
        assert status == 200, body
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def errors(self, document: str, variables: Mapping[str, Any] | None = None) -> Any:
        """Run a document that must fail; returns the whole body."""
        status, body = await self.post({"query": document, "variables": variables or {}})
        assert status == 200, body
        assert body.get("errors"), body
        return body


async def start_api(tmp_path: Path, **config: Any) -> AsyncIterator[Api]:
    """Serve the real app on 127.0.0.1 with a temporary database."""
    store = Store.open(tmp_path / "api.db")
    executor = RecordingExecutor()
    app = create_app(PlatformConfig(token=TOKEN, **config), store, executor)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as session:
        yield Api(
            f"http://127.0.0.1:{port}/graphql", session, store, app[ENDPOINT_KEY], executor, app
        )
    await runner.cleanup()
    store.close()
