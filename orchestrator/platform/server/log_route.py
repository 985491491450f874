"""``GET /logs/{job_id}?offset=N&limit=M``: a job's log, read in bounded slices over HTTP.

The log of a job run by the local executor lives at ``<state-dir>/logs/<job id>.log`` on the
platform's machine; this route lets a client anywhere read it, behind the same bearer token
as /graphql. Each answer holds at most ``limit`` bytes (capped at :data:`MAX_LIMIT`) starting
at ``offset``; headers say the log's size and where the next read starts, so a follower
polls with ``offset=<X-Log-Next-Offset>``. The path is built from the job's id as the store
knows it, never from a field a client can write (``output``), so no other file is readable.

Answers: 200 with ``text/plain`` bytes (empty while the job has written nothing yet); 401
without the token; 400 for a bad offset/limit; 404 for a job the store does not have.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from aiohttp import web

from orchestrator.platform.server.error_codes import ErrorCode
from orchestrator.platform.server.http_errors import json_error
from orchestrator.platform.store.store import Store

LOGS_PATH = "/logs/{job_id}"
DEFAULT_LIMIT = 256 * 1024
MAX_LIMIT = 4 * 1024 * 1024
SIZE_HEADER = "X-Log-Size"
NEXT_HEADER = "X-Log-Next-Offset"


class _Guard(Protocol):
    """What the route borrows from the GraphQL endpoint: its token check and its store."""

    store: Store

    def authorized(self, request: web.Request) -> bool: ...


class LogRoute:
    """Serves the logs in ``log_dir`` of the jobs the endpoint's store has."""

    def __init__(self, log_dir: Path, endpoint: _Guard) -> None:
        self.log_dir = log_dir
        self._guard = endpoint

    async def handle(self, request: web.Request) -> web.Response:
        """The GET handler."""
        if not self._guard.authorized(request):
            return json_error(401, ErrorCode.UNAUTHENTICATED, "missing or invalid bearer token")
        try:
            offset = int(request.query.get("offset", "0"))
            limit = int(request.query.get("limit", str(DEFAULT_LIMIT)))
        except ValueError:
            return json_error(400, ErrorCode.BAD_REQUEST, "offset and limit must be integers")
        if offset < 0 or limit < 1:
            return json_error(400, ErrorCode.BAD_REQUEST, "offset must be >= 0 and limit >= 1")
        job = self._guard.store.get_job(request.match_info["job_id"])
        if job is None:
            return json_error(404, ErrorCode.NOT_FOUND, "no such job")
        path = self.log_dir / f"{job.id}.log"
        chunk, size = read_slice(path, offset, min(limit, MAX_LIMIT))
        headers = {SIZE_HEADER: str(size), NEXT_HEADER: str(offset + len(chunk))}
        return web.Response(body=chunk, content_type="text/plain", charset="utf-8", headers=headers)


def read_slice(path: Path, offset: int, limit: int) -> tuple[bytes, int]:
    """Up to ``limit`` bytes of the file from ``offset``, and its size (nothing, 0: no file)."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(min(offset, size))
            return handle.read(limit), size
    except FileNotFoundError:
        return b"", 0
