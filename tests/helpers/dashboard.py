"""Talking to a platform's dashboard over plain HTTP: sign in, read pages, send changes."""

from __future__ import annotations

import itertools
import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

from orchestrator.platform.process.embedded import LocalPlatform

RUN_LABEL = "ORCHESTRATOR_RUN"
JOB_LABEL = "ORCHESTRATOR_JOB"
ATTEMPT_LABEL = "ORCHESTRATOR_ATTEMPT"
_keys = itertools.count()


def labels(run: str, key: str | None = None, attempt: int = 1) -> list[tuple[str, str]]:
    """The labels an orchestrator run puts on an attempt (a fresh job key unless given)."""
    job = key if key is not None else f"key-{next(_keys):05d}"
    return [(RUN_LABEL, run), (JOB_LABEL, job), (ATTEMPT_LABEL, str(attempt))]


def base_url(platform: LocalPlatform) -> str:
    """The platform's origin (its URL without /graphql)."""
    return platform.url.removesuffix("/graphql")


@dataclass(frozen=True, slots=True)
class Reply:
    """One HTTP answer: status, headers, body text."""

    status: int
    headers: Mapping[str, str]
    text: str


def fetch(
    platform: LocalPlatform,
    path: str,
    method: str = "GET",
    body: object | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """One request to the platform (errors are answers too)."""
    return fetch_url(base_url(platform) + path, method, body, headers)


def fetch_url(
    url: str,
    method: str = "GET",
    body: object | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """One request to ``url``, a page of any dashboard (errors are answers too)."""
    data = None if body is None else json.dumps(body).encode()
    sent = dict(headers or {})
    if data is not None:
        sent.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data, sent, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as error:
        return Reply(error.code, dict(error.headers), error.read().decode())


@dataclass(frozen=True, slots=True)
class Signed:
    """A signed-in session: its cookie header, its CSRF token, and the Set-Cookie line."""

    cookie: str
    csrf: str
    set_cookie: str

    def headers(self, *, csrf: bool = True) -> dict[str, str]:
        return {"Cookie": self.cookie, **({"X-CSRF-Token": self.csrf} if csrf else {})}


def sign_in(platform: LocalPlatform) -> Signed:
    """Sign in with the platform's token; the session's cookie and CSRF token."""
    reply = fetch(platform, "/ui/session", "POST", {"token": platform.token})
    assert reply.status == 200, reply
    set_cookie = reply.headers["Set-Cookie"]
    cookie = set_cookie.split(";")[0]
    page = fetch(platform, "/", headers={"Cookie": cookie})
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert found, page.text
    return Signed(cookie, found.group(1), set_cookie)
