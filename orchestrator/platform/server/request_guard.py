"""Who may drive the API: no web page of another origin, no rebound host name, only JSON posts.

A browser lets any page send "simple" requests anywhere: a form or a ``no-cors`` fetch posts
``text/plain``, ``application/x-www-form-urlencoded`` or ``multipart/form-data`` without asking
the server first, and a DNS-rebinding page reaches a loopback server under a host name of its
own. Against a platform without a token (``--auth none``) either would create jobs or read
every parameter; with a token, they are refused anyway, and these checks cost nothing. So,
in every auth mode, before the token is looked at and before the body is read:

1. When the platform is bound to a loopback address (127.0.0.0/8, ::1, ``localhost``), the
   ``Host`` header must name it: the bound address, ``localhost``, ``127.0.0.1`` or ``[::1]``.
   Anything else is a rebinding attempt: 421 ``MISDIRECTED_REQUEST``. The port is not
   checked: rebinding changes the name, never the port (the browser connects to the port of
   the page's own origin), while a port forward (``ssh -L 9000:localhost:PORT``, a proxy)
   legitimately reaches the platform under another port. Bound to any other address there
   is no such check (the platform may be reached under any name; ``--auth none`` is refused
   there, so a token guards it).
2. An ``Origin`` header (browsers send it on every POST and cross-origin request; the CLI and
   other programs send none) must be the platform's own origin, ``http://`` and the
   authority the request's ``Host`` names (or, on loopback, one of the names above with the
   platform's own port): anything else, ``null`` included, is 403 ``FORBIDDEN``. So a page
   the platform itself serves (a dashboard at ``/``) may call the API, and no other page may.
3. A request with a body (any method but GET, HEAD and OPTIONS) must say
   ``Content-Type: application/json`` (parameters such as ``; charset=utf-8`` allowed), which
   no browser sends across origins without a CORS preflight, which this server never
   grants: anything else is 415 ``UNSUPPORTED_MEDIA_TYPE``.

GET on ``/graphql`` has no route (405): no mutation ever runs from a link or an ``<img>``.
"""

from __future__ import annotations

import ipaddress

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

from orchestrator.platform.server.error_codes import ErrorCode
from orchestrator.platform.server.http_errors import json_error

JSON_TYPE = "application/json"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
_BODILESS_METHODS = frozenset({hdrs.METH_GET, hdrs.METH_HEAD, hdrs.METH_OPTIONS})
DEFAULT_HTTP_PORT = 80

Authority = tuple[str, int]  # lower-case host name (IPv6 in brackets) and port


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine (``--auth none`` is allowed there only)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    """A bound address as a URL or Host header spells it: lower case, IPv6 in brackets."""
    bare = host.strip("[]").lower()
    try:
        return f"[{bare}]" if ipaddress.ip_address(bare).version == 6 else bare
    except ValueError:
        return bare


def parse_authority(text: str) -> Authority | None:
    """``host[:port]`` as an :data:`Authority` (port 80 when none is given), or ``None``
    when it is no plain authority (user info, a path, a bad port, stray characters)."""
    text = text.strip().lower()
    if any(c in text for c in "/?#@\\ \t"):
        return None
    if text.startswith("["):
        end = text.find("]")
        name, rest = (text[: end + 1], text[end + 1 :]) if end > 0 else ("", "")
    else:
        name, colon, after = text.partition(":")
        rest = colon + after
    if not name:
        return None
    if not rest:
        return name, DEFAULT_HTTP_PORT
    port_text = rest.removeprefix(":")
    if port_text == rest or not (port_text.isascii() and port_text.isdigit()):
        return None
    number = int(port_text)
    return (name, number) if 0 < number < 65536 else None


def _single(request: web.Request, name: str) -> str | None:
    """The header's one value; ``""`` when it is repeated (which counts as not ours)."""
    values = request.headers.getall(name, [])
    if not values:
        return None
    return values[0] if len(values) == 1 else ""


class RequestGuard:
    """The checks above for a platform bound to ``host``."""

    def __init__(self, host: str) -> None:
        self.loopback = is_loopback(host)
        self._names = frozenset({url_host(host), *LOOPBACK_NAMES})

    def _own_name(self, authority: Authority) -> bool:
        """Whether ``authority`` names this platform (any port: see the module's doc)."""
        return authority[0] in self._names

    def refusal(self, request: web.Request) -> web.Response | None:
        """The answer refusing ``request``, or ``None`` when it may go on."""
        host_header = _single(request, hdrs.HOST)
        host = parse_authority(host_header) if host_header else None
        if self.loopback and (host is None or not self._own_name(host)):
            return json_error(
                421,
                ErrorCode.MISDIRECTED_REQUEST,
                "the Host header does not name this platform; use the address it serves at",
            )
        origin = _single(request, hdrs.ORIGIN)
        if origin is not None and not self._same_origin(origin, host, request):
            return json_error(
                403, ErrorCode.FORBIDDEN, "requests from a web page of another origin are refused"
            )
        if request.method not in _BODILESS_METHODS and not _is_json(request):
            return json_error(
                415,
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                f"a {request.method} request must have Content-Type: {JSON_TYPE}",
            )
        return None

    def _same_origin(self, origin: str, host: Authority | None, request: web.Request) -> bool:
        scheme, separator, rest = origin.partition("://")
        if scheme.lower() != "http" or not separator:
            return False  # "null", https (this server speaks plain HTTP), anything else
        authority = parse_authority(rest)
        if authority is None:
            return False
        if host is not None and authority == host:
            return True
        port = _local_port(request)  # another loopback name, with the platform's own port
        return self.loopback and self._own_name(authority) and authority[1] == port

    def middleware(self) -> Middleware:
        """An aiohttp middleware applying :meth:`refusal` to every request, first of all."""

        @web.middleware
        async def request_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
            refused = self.refusal(request)
            if refused is not None:
                refused.force_close()  # its body, if any, is never read
                return refused
            return await handler(request)

        return request_guard


def _is_json(request: web.Request) -> bool:
    value = _single(request, hdrs.CONTENT_TYPE)
    return value is not None and value.partition(";")[0].strip().lower() == JSON_TYPE


def _local_port(request: web.Request) -> int | None:
    """The server port this request's connection came in on (the real one with ``--port 0``)."""
    transport = request.transport
    address = transport.get_extra_info("sockname") if transport is not None else None
    if isinstance(address, tuple) and len(address) >= 2 and isinstance(address[1], int):
        return address[1]
    return None


__all__ = ["RequestGuard", "is_loopback", "parse_authority", "url_host"]
