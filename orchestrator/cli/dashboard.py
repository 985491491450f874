"""``orchestrator dashboard``: open the web dashboard of a platform, signed in.

A local platform serves its own dashboard: the command asks it for a one-time sign-in code
and prints (and opens) ``http://HOST:PORT/ui/code#CODE``. An endpoint that serves none (a
hosted platform) gets one served here, on 127.0.0.1, until Ctrl-C: the pages read the
endpoint with the user's token, which stays in this process; browsers sign in with codes
only (docs/dashboard.md). Either way the token is sent only as an ``Authorization`` header.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import webbrowser
from collections.abc import Callable
from typing import Any

import anyio
import click
from aiohttp import web

from orchestrator.cli.log_config import configure_logging
from orchestrator.cli.options import ConnectionSettings, connection_options
from orchestrator.cli.output import output_option
from orchestrator.connect import Endpoint, PlatformUnavailable, connect, preflight
from orchestrator.dashboard.links import platform_link, sign_in_link
from orchestrator.dashboard.mount import for_endpoint
from orchestrator.dashboard.sessions import Sessions
from orchestrator.errors import EXIT_INTERRUPTED, UsageError
from orchestrator.platform.process.instance import running_platform
from orchestrator.platform.server import http_log
from orchestrator.platform.server.request_guard import RequestGuard

HOST = "127.0.0.1"
ONCE_NOTE = "the link signs in one browser once, within 2 minutes"


@click.command("dashboard")
@click.option("--no-open", is_flag=True, help="Print the link; do not open a browser.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Where a dashboard served here listens (127.0.0.1); 0 picks a free port.",
)
@click.option(
    "--serve-locally",
    is_flag=True,
    help="Serve the pages here even when the platform serves its own (e.g. behind a proxy "
    "that forwards only /graphql).",
)
@output_option("text", "json")
@connection_options
def dashboard_command(
    no_open: bool, port: int, serve_locally: bool, output: str, **options: Any
) -> None:
    """Open the web dashboard of the platform, signed in with a one-time link.

    A local platform serves its own: the command prints its link and ends. For an endpoint
    that serves none (a hosted one) the command serves the pages on 127.0.0.1 until Ctrl-C.
    The link signs in once, within 2 minutes; run the command again for a new one.
    """
    settings = ConnectionSettings(**options)
    configure_logging(settings.log_level)
    show = _Show(output, no_open)
    interrupted = anyio.run(_dashboard, settings, port, serve_locally, show)
    if interrupted:
        click.echo("", err=True)  # ends the terminal's ``^C`` line
        raise click.exceptions.Exit(EXIT_INTERRUPTED)


async def _dashboard(
    settings: ConnectionSettings, port: int, serve_locally: bool, show: _Show
) -> bool:
    """Find the platform, then its dashboard or serve one; whether a signal ended it."""
    if not settings.endpoint and running_platform(settings.state_dir) is None:
        raise PlatformUnavailable(
            f"no local platform serves state dir {settings.state_dir}: a dashboard needs a "
            "platform that keeps running; start one with "
            f"`orchestrator platform start --state-dir {settings.state_dir}`"
        )
    async with connect(
        endpoint=settings.endpoint,
        token=settings.token_source(),
        state_dir=settings.state_dir,
        workspace=None,
        executor=settings.executor,
        start=False,  # a dashboard needs a platform that outlives this command
    ) as endpoint:
        await preflight(endpoint)  # unreachable, or the token refused: one line, exit 3
        link = None if serve_locally else await platform_link(endpoint.url, endpoint.tokens)
        if link is not None:
            show.link(link, "platform", endpoint.url)
            return False
        return await _serve_here(endpoint, port, show)


async def _serve_here(endpoint: Endpoint, port: int, show: _Show) -> bool:
    """Serve the dashboard of ``endpoint`` on 127.0.0.1 until SIGINT/SIGTERM (then ``True``),
    behind the platform's own request guard; each line on stdin prints a new link."""
    sessions = Sessions(None, codes_only=True)
    app = web.Application(middlewares=[RequestGuard(HOST).middleware()])
    for_endpoint(endpoint.url, endpoint.tokens, sessions).install(app)
    http_log.install()  # aiohttp's own records: one line, no header value, no traceback
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, HOST, port).start()
        except OSError as error:
            reason = os.strerror(error.errno) if error.errno else str(error)
            raise UsageError(f"cannot serve on {HOST}:{port}: {reason}") from None
        origin = f"http://{HOST}:{runner.addresses[0][1]}"

        def new_link() -> None:
            show.link(sign_in_link(origin, sessions.issue_code()), "local", endpoint.url)

        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            new_link()
            stop_reading = _on_lines(new_link)
            try:
                async for _ in signals:
                    return True
            finally:
                stop_reading()
    finally:
        await runner.cleanup()
    return False  # not reached: the signal receiver never ends by itself


def _on_lines(call: Callable[[], None]) -> Callable[[], None]:
    """Call ``call`` for each line read on stdin (Enter at a terminal) until its end; the
    function returned stops reading. Nothing when stdin cannot be watched (a file, none)."""
    loop = asyncio.get_running_loop()
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return lambda: None

    def stop() -> None:
        loop.remove_reader(fd)

    def readable() -> None:
        if _in_background(fd):  # reading the terminal would stop this process (SIGTTIN)
            stop()
            return
        try:
            line = os.read(fd, 4096)
        except OSError:
            line = b""
        if line:
            call()
        else:
            stop()  # end of input (Ctrl-D, a closed pipe): no more links

    try:
        loop.add_reader(fd, readable)
    except (OSError, ValueError):  # a regular file or /dev/null cannot be watched
        return lambda: None
    return stop


def _in_background(fd: int) -> bool:
    """Whether ``fd`` is a terminal this process is not in the foreground of (``&``, ``bg``)."""
    try:
        return os.isatty(fd) and os.tcgetpgrp(fd) != os.getpgrp()
    except OSError:
        return False


class _Show:
    """How a link is shown: text or one JSON object a line, and the browser opened once."""

    def __init__(self, output: str, no_open: bool) -> None:
        self.output = output
        self.open = not no_open

    def link(self, url: str, served: str, endpoint: str) -> None:
        if self.output == "json":
            click.echo(json.dumps({"url": url, "served": served, "endpoint": endpoint}))
        elif served == "local":
            click.echo(f"Dashboard for {endpoint} at {url} (Ctrl-C stops it)")
            click.echo(f"({ONCE_NOTE}; press Enter for a new one)", err=True)
        else:
            click.echo(url)
            if "#" in url:
                click.echo(f"({ONCE_NOTE}; run the command again for a new one)", err=True)
        if self.open:
            self.open = False  # a new link on Enter is for another browser: printed only
            open_browser(url)


def open_browser(url: str) -> bool:
    """Open ``url`` in the user's graphical browser; ``False`` (and nothing said) when there
    is none. A terminal browser (lynx, w3m: what Python finds without a display) would take
    this terminal over, so it is used only when ``BROWSER`` names it."""
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    console = isinstance(browser, webbrowser.GenericBrowser) and not isinstance(
        browser, webbrowser.BackgroundBrowser
    )
    if console and not os.environ.get("BROWSER"):
        return False
    try:
        return browser.open(url, new=2)
    except (webbrowser.Error, OSError):
        return False
