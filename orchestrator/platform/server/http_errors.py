"""The JSON body of every HTTP-level refusal (401, 403, 408, 413, 415, 421, 503, ...).

Shaped like a GraphQL error answer (``{"errors": [{message, extensions: {code}}]}``), so a
client reads one shape whatever refused its request: the token check, the request guard, the
body limits or the GraphQL layer.
"""

from __future__ import annotations

import json

from aiohttp import web

from orchestrator.platform.server.error_codes import ErrorCode


def error_body(code: ErrorCode, message: str) -> dict[str, object]:
    """The decoded body of a refusal."""
    return {"errors": [{"message": message, "extensions": {"code": code.value}}]}


def json_error(status: int, code: ErrorCode, message: str, **headers: str) -> web.Response:
    """A refusal with ``status``, coded ``code``, saying ``message``."""
    return web.json_response(error_body(code, message), status=status, headers=headers)


def raw_error(status: int, reason: str, code: ErrorCode, message: str) -> bytes:
    """A whole HTTP/1.1 response closing the connection, for answers written straight to a
    socket, before aiohttp has a request object (the connection cap)."""
    body = json.dumps(error_body(code, message)).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body
