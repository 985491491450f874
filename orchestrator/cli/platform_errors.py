"""One line and exit 3 when a command cannot reach the platform or the token is refused.

The client retries connection errors, timeouts and 5xx answers until its budget is spent,
then raises TransientError; a refused token is an AuthenticationError. Commands that talk to
the platform outside a run (``cancel``) end here instead of in a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from orchestrator.api.errors import AuthenticationError, TransientError
from orchestrator.engine.events import EXIT_PLATFORM


@contextmanager
def platform_errors() -> Iterator[None]:
    """Turn "unreachable" and "token refused" into ``error: ...`` on stderr and exit 3."""
    try:
        yield
    except TransientError as exc:
        click.echo(f"error: the platform is unreachable, try again later: {exc}", err=True)
        sys.exit(EXIT_PLATFORM)
    except AuthenticationError as exc:
        click.echo(f"error: the platform refused the token: {exc}", err=True)
        sys.exit(EXIT_PLATFORM)
