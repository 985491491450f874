"""The two ways a dashboard is made: by a local platform for itself, and by
``orchestrator dashboard`` for an endpoint that serves none (a hosted one)."""

from __future__ import annotations

from pathlib import Path

from orchestrator.api.tokens import StaticToken, TokenSource, token_source
from orchestrator.dashboard.routes import Dashboard
from orchestrator.dashboard.sessions import Sessions, TokenCheck
from orchestrator.dashboard.source import Fixed, OwnPlatform, Source

NO_AUTH_TOKEN = "no-auth"  # noqa: S105 (sent to a platform that checks no token: --auth none)


def for_platform(token: str, token_file: Path | None, check: TokenCheck | None) -> Dashboard:
    """The dashboard a platform serves at ``/``: signed in with the platform's token
    (``check``; ``None``: ``--auth none``), reading the platform's own API over loopback
    with that token (re-read from ``token_file`` when it rotates)."""
    tokens: TokenSource | None
    if check is None:
        tokens = StaticToken(NO_AUTH_TOKEN, "--auth none")
    else:
        tokens = token_source(token=token or None, token_file=token_file)
    if tokens is None:  # a platform always has a token or --auth none: config checks it
        raise ValueError("a platform dashboard needs the platform's token or --auth none")
    return Dashboard(OwnPlatform(tokens), Sessions(check))


def for_endpoint(endpoint: str, tokens: TokenSource, sessions: Sessions) -> Dashboard:
    """The dashboard ``orchestrator dashboard`` serves for ``endpoint``: the user's token
    stays in this process; browsers sign in with the command's one-time codes."""
    return Dashboard(Fixed(Source(endpoint, tokens)), sessions, endpoint_label=endpoint)
