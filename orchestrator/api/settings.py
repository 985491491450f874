"""Where the platform is and how to prove who we are: explicit values, else the environment.

The token is held in a field excluded from ``repr`` so that printing a connection, a client or
an error never shows it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from orchestrator.api.errors import AuthenticationError, PermanentError

ENDPOINT_VARIABLE = "ORCHESTRATOR_ENDPOINT"
TOKEN_VARIABLE = "ORCHESTRATOR_TOKEN"  # noqa: S105 (a variable name, not a secret)


@dataclass(frozen=True, slots=True)
class Connection:
    """A platform endpoint and its token (never shown by ``repr``)."""

    endpoint: str
    token: str = field(repr=False)


def resolve_connection(
    endpoint: str | None = None,
    token: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Connection:
    """The connection from explicit values, falling back to ORCHESTRATOR_ENDPOINT/_TOKEN.

    Raises PermanentError (no endpoint) or AuthenticationError (no token) saying what to set.
    """
    env = os.environ if environ is None else environ
    chosen_endpoint = resolve_endpoint(endpoint, env)
    chosen_token = token or env.get(TOKEN_VARIABLE) or ""
    if not chosen_token.strip():
        raise AuthenticationError(
            f"no platform token: pass --token, --token-file or --token-command, "
            f"or set {TOKEN_VARIABLE}"
        )
    return Connection(endpoint=chosen_endpoint, token=chosen_token.strip())


def resolve_endpoint(endpoint: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The endpoint URL given, else ORCHESTRATOR_ENDPOINT; PermanentError saying what to set."""
    env = os.environ if environ is None else environ
    chosen_endpoint = endpoint or env.get(ENDPOINT_VARIABLE) or ""
    if not chosen_endpoint.strip():
        raise PermanentError(
            f"no platform endpoint: pass --endpoint or set {ENDPOINT_VARIABLE} "
            "(e.g. http://127.0.0.1:8080/graphql)"
        )
    if not chosen_endpoint.startswith(("http://", "https://")):
        raise PermanentError(f"platform endpoint must be an http(s) URL, got {chosen_endpoint!r}")
    return chosen_endpoint.strip()


__all__ = [
    "ENDPOINT_VARIABLE",
    "TOKEN_VARIABLE",
    "Connection",
    "resolve_connection",
    "resolve_endpoint",
]
