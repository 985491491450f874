"""The sign-in link of a dashboard: asked of the platform that serves one, or made here.

``orchestrator dashboard`` asks the platform behind an endpoint for a one-time code
(``POST <origin>/ui/api/codes`` with the bearer token, see :mod:`.routes`). Its answer
decides where the dashboard is: a local platform answers a code (or ``null`` under
``--auth none``); an endpoint that serves no dashboard (a hosted one, a proxy forwarding
only ``/graphql``) answers something else, and the command serves the pages itself. The
token goes only into the ``Authorization`` header, never into a URL, an error or a log.
"""

from __future__ import annotations

import re
import urllib.parse

import aiohttp

from orchestrator.api.check import UnreachableError
from orchestrator.api.errors import AuthenticationError
from orchestrator.api.tokens import TokenSource

CODES_PATH = "/ui/api/codes"
CODE_PAGE = "/ui/code"
ASK_SECONDS = 10.0
REFUSED = frozenset({401, 403})
_CODE = re.compile(r"[A-Za-z0-9_-]{1,200}")  # what issue_code makes (URL-safe base64)


def dashboard_origin(endpoint: str) -> str:
    """Where the platform behind ``endpoint`` serves its dashboard: the GraphQL URL without
    its last path segment, query or fragment (``http://127.0.0.1:8080/graphql`` gives
    ``http://127.0.0.1:8080``), as the dashboard finds ``/status`` (:mod:`.source`)."""
    parts = urllib.parse.urlsplit(endpoint)
    path = parts.path.rstrip("/").rsplit("/", 1)[0]
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def sign_in_link(origin: str, code: str | None) -> str:
    """The address that signs a browser in with ``code`` (in the fragment, which no server
    sees), or the overview itself when there is no code (``--auth none``)."""
    return f"{origin}{CODE_PAGE}#{code}" if code else f"{origin}/"


async def platform_link(endpoint: str, tokens: TokenSource) -> str | None:
    """A fresh sign-in link to the dashboard the platform behind ``endpoint`` serves, or
    ``None`` when it serves none (any answer but a code, a refusal or a server error).

    Raises :class:`AuthenticationError` when the token is refused (exit 3) and
    :class:`UnreachableError` when the platform does not answer or fails (exit 3).
    """
    origin = dashboard_origin(endpoint)
    headers = {"Authorization": f"Bearer {await tokens.current()}"}
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=ASK_SECONDS)) as http,
            http.post(origin + CODES_PATH, headers=headers, json={}) as response,
        ):
            status = response.status
            body = await response.json(content_type=None) if status == 200 else None
    except ValueError:  # a 200 that is not JSON: a page of something else
        return None
    except (aiohttp.ClientError, TimeoutError) as error:
        reason = "no answer in time" if isinstance(error, TimeoutError) else type(error).__name__
        raise UnreachableError(f"cannot reach {origin}: {reason}") from None
    if status in REFUSED:
        raise AuthenticationError(f"{origin} refused the {tokens.describe()}")
    if status >= 500 or status == 429:
        raise UnreachableError(f"{origin} answered HTTP {status} when asked for a sign-in code")
    if not isinstance(body, dict) or "code" not in body:
        return None
    code = body["code"]
    if code is not None and not (isinstance(code, str) and _CODE.fullmatch(code)):
        return None  # not a code of ours: nothing odd goes into a link we open
    return sign_in_link(origin, code)


__all__ = ["dashboard_origin", "platform_link", "sign_in_link"]
