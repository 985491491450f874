"""Attacks on the real platform's HTTP face, written out as a browser or a local process makes them.

A web page in the user's browser can post ``text/plain``, forms and ``no-cors`` fetches to
any address, and a DNS-rebinding page reaches a loopback server under a host name of its
own; anyone who can connect can send undecodable or over-long headers, and hold connections
with headers or bodies that never finish. Each test sends the bytes such an attacker would
(raw sockets: no client library tidies them up), checks the refusal, and then checks with a
proper request that nothing happened. Both auth modes, as the guard must hold in each.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack, closing
from typing import Any
from urllib.parse import urlsplit

import pytest

from orchestrator.platform.process.embedded import LocalPlatform
from orchestrator.platform.server.request_guard import parse_authority

PlatformFactory = Callable[..., LocalPlatform]
CREATE = 'mutation { createPipelineJob(data: {pipelineYamlPath: "evil.yaml"}) { id } }'
COUNT = "{ countJobs }"
JOBS = "{ pipelineJobs { id pipelineYamlPath } }"
EVIL = "http://evil.example"
WAIT_SECONDS = 30.0  # a bound for the server to act, far above the test's short timeouts


class Reply:
    """One HTTP response as read off the socket."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def code(self) -> str:
        return str(self.json()["errors"][0]["extensions"]["code"])


def port_of(platform: LocalPlatform) -> int:
    port = urlsplit(platform.url).port
    assert port is not None
    return port


def connect(platform: LocalPlatform) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port_of(platform)), timeout=WAIT_SECONDS)
    return sock


def raw_request(
    method: str,
    path: str,
    *,
    host: str | bytes,
    headers: Mapping[str, str | bytes] | None = None,
    body: bytes = b"",
    close: bool = True,
) -> bytes:
    """The bytes of one HTTP/1.1 request, header values sent exactly as given."""
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + _bytes(host)]
    for name, value in (headers or {}).items():
        lines.append(name.encode() + b": " + _bytes(value))
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}".encode())
    if close:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def read_reply(sock: socket.socket) -> Reply:
    """One response (its body by Content-Length) off a socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the middle of a response body"
        body += chunk
    return Reply(int(status_line.split()[1]), headers, body[:length])


def exchange(platform: LocalPlatform, request: bytes) -> Reply:
    """Send one request on a fresh connection and read the answer."""
    with closing(connect(platform)) as sock:
        sock.sendall(request)
        return read_reply(sock)


def closed_by_server(sock: socket.socket) -> bytes:
    """Wait (up to :data:`WAIT_SECONDS`) for the server to close ``sock``; what it sent first."""
    received = b""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"the server kept the connection open; it sent {received!r}")


def own_host(platform: LocalPlatform) -> str:
    return f"127.0.0.1:{port_of(platform)}"


def graphql(
    platform: LocalPlatform,
    query: str,
    *,
    host: str | None = None,
    headers: Mapping[str, str | bytes] | None = None,
    token: bool = True,
) -> Reply:
    """POST a GraphQL document as JSON (with the platform's token unless told not to)."""
    sent: dict[str, str | bytes] = {"Content-Type": "application/json"}
    if token and platform.token:
        sent["Authorization"] = f"Bearer {platform.token}"
    sent.update(headers or {})
    body = json.dumps({"query": query}).encode()
    return exchange(
        platform,
        raw_request("POST", "/graphql", host=host or own_host(platform), headers=sent, body=body),
    )


def job_count(platform: LocalPlatform) -> int:
    """Jobs in the platform, asked properly."""
    reply = graphql(platform, COUNT)
    assert reply.status == 200, reply.body
    return int(reply.json()["data"]["countJobs"])


@pytest.fixture(scope="module")
def served_kinds(module_platforms: PlatformFactory) -> dict[str, LocalPlatform]:
    """One platform with a token and one with ``--auth none``, for the module's tests (each
    counts jobs before and after what it sends, so they share them)."""
    return {"token": module_platforms(), "none": module_platforms(auth="none", token=None)}


@pytest.fixture(params=["token", "none"])
def served(request: pytest.FixtureRequest, served_kinds: dict[str, LocalPlatform]) -> LocalPlatform:
    """The real platform, with a token and with ``--auth none``."""
    return served_kinds[request.param]


# --- item 1: browsers cannot drive the API ---------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/json"])
def test_a_post_from_a_foreign_page_creates_no_job(
    served: LocalPlatform, content_type: str
) -> None:
    # A page at evil.example posts a create (with the token too, as if it had leaked: the
    # guard does not lean on it). Browsers send Origin on every POST.
    before = job_count(served)
    reply = graphql(served, CREATE, headers={"Origin": EVIL, "Content-Type": content_type})
    assert reply.status == 403
    assert reply.code == "FORBIDDEN"
    assert job_count(served) == before


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=----x",
        "application/jsonp",
        None,
    ],
)
def test_simple_and_form_posts_are_415_and_create_nothing(
    served: LocalPlatform, content_type: str | None
) -> None:
    # What a form or a no-cors fetch can send without a preflight (Origin left out, as an
    # older browser or a page's redirect might): the body is a valid create all the same.
    headers: dict[str, str | bytes] = {}
    if served.token:
        headers["Authorization"] = f"Bearer {served.token}"
    if content_type is not None:
        headers["Content-Type"] = content_type
    body = json.dumps({"query": CREATE}).encode()
    request = raw_request("POST", "/graphql", host=own_host(served), headers=headers, body=body)
    before = job_count(served)
    reply = exchange(served, request)
    assert reply.status == 415
    assert reply.code == "UNSUPPORTED_MEDIA_TYPE"
    assert job_count(served) == before


def test_json_with_a_charset_is_accepted(served: LocalPlatform) -> None:
    before = job_count(served)
    reply = graphql(served, CREATE, headers={"Content-Type": "Application/JSON; charset=utf-8"})
    assert reply.status == 200 and "errors" not in reply.json(), reply.body
    assert job_count(served) == before + 1


@pytest.mark.parametrize(
    "origin",
    [
        "null",
        EVIL,
        "http://127.0.0.1:1",
        "https://127.0.0.1:{port}",
        "http://127.0.0.1:{port}.evil.example",
        "http://user@127.0.0.1:{port}",
        "http://127.0.0.1:{port}/path",
    ],
)
def test_foreign_and_null_origins_are_refused(served: LocalPlatform, origin: str) -> None:
    before = job_count(served)
    reply = graphql(served, CREATE, headers={"Origin": origin.format(port=port_of(served))})
    assert reply.status == 403
    assert reply.code == "FORBIDDEN"
    assert job_count(served) == before


def test_two_origin_headers_are_refused(served: LocalPlatform) -> None:
    before = job_count(served)
    own = f"http://{own_host(served)}"
    body = json.dumps({"query": CREATE}).encode()
    request = raw_request(
        "POST",
        "/graphql",
        host=own_host(served),
        headers={"Content-Type": "application/json", "Origin": own},
        body=body,
    ).replace(b"Origin: ", f"Origin: {EVIL}\r\nOrigin: ".encode(), 1)
    assert exchange(served, request).status == 403
    assert job_count(served) == before


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]"])
def test_a_page_served_by_the_platform_itself_may_call_it(served: LocalPlatform, name: str) -> None:
    before = job_count(served)
    # A dashboard at http://<name>:PORT/ posting to its own origin: same-origin passes.
    host = f"{name}:{port_of(served)}"
    reply = graphql(served, CREATE, host=host, headers={"Origin": f"http://{host}"})
    assert reply.status == 200 and "errors" not in reply.json(), reply.body
    assert job_count(served) == before + 1


@pytest.mark.parametrize(
    "host",
    ["evil.example:{port}", "evil.example", "localhost.evil:{port}", "127.0.0.1.nip.io:{port}"],
)
def test_a_rebinding_host_reads_nothing(served: LocalPlatform, host: str) -> None:
    before = job_count(served)
    # evil.example now resolves to 127.0.0.1: the page reads jobs as its own origin would.
    created = graphql(served, CREATE).json()["data"]["createPipelineJob"]["id"]
    rebound = host.format(port=port_of(served))
    auth: dict[str, str | bytes] = {}
    if served.token:
        auth["Authorization"] = f"Bearer {served.token}"
    same_origin = {"Origin": f"http://{rebound}"}
    replies = [
        graphql(served, JOBS, host=rebound),
        graphql(served, JOBS, host=rebound, headers=same_origin),
        exchange(served, raw_request("GET", "/status", host=rebound, headers=auth)),
        exchange(served, raw_request("GET", f"/logs/{created}", host=rebound, headers=auth)),
        exchange(served, raw_request("GET", "/", host=rebound)),
    ]
    for reply in replies:
        assert reply.status == 421, reply.body
        assert reply.code == "MISDIRECTED_REQUEST"
        assert created.encode() not in reply.body and b"evil.yaml" not in reply.body
    assert graphql(served, CREATE, host=rebound).status == 421
    assert job_count(served) == before + 1


def test_a_port_forward_reaches_the_platform_under_another_port(served: LocalPlatform) -> None:
    before = job_count(served)
    # ssh -L 9000:localhost:PORT: the client names port 9000; a page the platform serves
    # through the forward posts to its own origin, http://localhost:9000.
    reply = graphql(
        served, CREATE, host="localhost:9000", headers={"Origin": "http://localhost:9000"}
    )
    assert reply.status == 200 and "errors" not in reply.json(), reply.body
    assert job_count(served) == before + 1


def test_a_missing_or_repeated_host_is_refused(served: LocalPlatform) -> None:
    without = b"GET /status HTTP/1.0\r\n\r\n"
    assert exchange(served, without).status == 421
    twice = raw_request("GET", "/status", host=own_host(served)).replace(
        b"Host: ", b"Host: evil.example\r\nHost: ", 1
    )
    assert exchange(served, twice).status in (400, 421)  # aiohttp itself refuses two Hosts


def test_get_on_graphql_never_runs_a_mutation(served: LocalPlatform) -> None:
    query = "/graphql?query=" + CREATE.replace(" ", "%20").replace('"', "%22")
    before = job_count(served)
    reply = exchange(served, raw_request("GET", query, host=own_host(served)))
    assert reply.status == 405
    assert job_count(served) == before


def test_the_clients_own_requests_still_pass(served: LocalPlatform) -> None:
    # What the CLI, the log follower and `platform status` send: no Origin, Host as in the URL.
    job = graphql(served, CREATE).json()["data"]["createPipelineJob"]["id"]
    auth: dict[str, str | bytes] = {}
    if served.token:
        auth["Authorization"] = f"Bearer {served.token}"
    status = exchange(served, raw_request("GET", "/status", host=own_host(served), headers=auth))
    assert status.status == 200 and "jobs" in status.json()
    logs = exchange(served, raw_request("GET", f"/logs/{job}", host=own_host(served), headers=auth))
    assert logs.status == 200


def test_a_platform_bound_to_another_loopback_address_takes_its_own_name(
    platform_factory: PlatformFactory,
) -> None:
    platform = platform_factory(host="127.0.0.2", auth="none", token=None)
    port = port_of(platform)
    with closing(socket.create_connection(("127.0.0.2", port), timeout=WAIT_SECONDS)) as sock:
        body = json.dumps({"query": COUNT}).encode()
        headers: dict[str, str | bytes] = {
            "Content-Type": "application/json",
            "Origin": f"http://127.0.0.2:{port}",
        }
        sock.sendall(
            raw_request("POST", "/graphql", host=f"127.0.0.2:{port}", headers=headers, body=body)
        )
        assert read_reply(sock).status == 200
    with closing(socket.create_connection(("127.0.0.2", port), timeout=WAIT_SECONDS)) as sock:
        sock.sendall(raw_request("GET", "/status", host=f"evil.example:{port}"))
        assert read_reply(sock).status == 421


def test_a_platform_on_all_addresses_checks_no_host_but_still_origins(
    platform_factory: PlatformFactory,
) -> None:
    # Not loopback: reached under any name (a token guards it; --auth none is refused there).
    platform = platform_factory(host="0.0.0.0")
    port = port_of(platform)
    auth: dict[str, str | bytes] = {"Authorization": f"Bearer {platform.token}"}
    named = exchange(
        platform, raw_request("GET", "/status", host=f"my-box.lan:{port}", headers=auth)
    )
    assert named.status == 200
    same = graphql(
        platform, COUNT, host=f"my-box.lan:{port}", headers={"Origin": f"http://my-box.lan:{port}"}
    )
    assert same.status == 200
    foreign = graphql(platform, CREATE, host=f"my-box.lan:{port}", headers={"Origin": EVIL})
    assert foreign.status == 403
    assert job_count(platform) == 0


# --- item 6: headers that are odd, slow or too long; too many connections --------------------


def log_after_stop(platform: LocalPlatform) -> str:
    platform.stop()  # everything it wrote is in the file now
    text = platform.log_path().read_text(encoding="utf-8", errors="replace")
    assert "platform ready" in text  # the right file
    return text


def test_an_undecodable_authorization_is_401_and_leaves_no_trace_in_the_log(
    platform_factory: PlatformFactory,
) -> None:
    platform = platform_factory()
    marker = b"SECRET-BYTES-7f3a"
    for value in (b"Bearer \xff\xfe" + marker, b"\xc3\x28" + marker, b"Bearer " + marker + b"\x80"):
        reply = graphql(platform, COUNT, token=False, headers={"Authorization": value})
        assert reply.status == 401
        assert reply.code == "UNAUTHENTICATED"
        assert reply.headers.get("www-authenticate") == "Bearer"
    assert job_count(platform) == 0  # and the server answers on
    text = log_after_stop(platform)
    assert "Traceback" not in text
    assert marker.decode() not in text


def test_an_over_long_header_never_reaches_the_log(platform_factory: PlatformFactory) -> None:
    platform = platform_factory()
    marker = "LEAKED-TOKEN-START-9c1e"
    for name in ("Authorization", "X-Anything"):
        value = f"Bearer {marker}" + "A" * 20_000
        request = raw_request(
            "POST", "/graphql", host=own_host(platform), headers={name: value}, body=b"{}"
        )
        assert exchange(platform, request).status in (400, 431)
    too_long_line = b"GET /status?" + marker.encode() + b"x" * 20_000 + b" HTTP/1.1\r\n\r\n"
    assert exchange(platform, too_long_line).status in (400, 414)
    assert job_count(platform) == 0
    text = log_after_stop(platform)
    assert marker not in text
    assert "Traceback" not in text


@pytest.fixture
def short_timeouts(platform_factory: PlatformFactory) -> LocalPlatform:
    """A platform whose headers and bodies must arrive within 1 s."""
    return platform_factory(read_timeout=1.0)


@pytest.mark.parametrize(
    "partial",
    [b"", b"POST /gra", b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl"],
)
def test_a_connection_whose_headers_never_finish_is_closed(
    short_timeouts: LocalPlatform, partial: bytes
) -> None:
    with closing(connect(short_timeouts)) as sock:
        sock.sendall(partial)
        assert closed_by_server(sock) == b""
    assert job_count(short_timeouts) == 0  # the server answers the next client


def test_headers_sent_a_byte_at_a_time_do_not_hold_the_connection(
    short_timeouts: LocalPlatform,
) -> None:
    request = raw_request("GET", "/status", host=own_host(short_timeouts)) * 50
    with closing(connect(short_timeouts)) as sock:
        for byte in request:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.05)  # the drip itself: each byte comes well within the timeout
        else:
            raise AssertionError("the server read a dripped request for ever")
        assert b"200 OK" not in closed_by_server(sock)


def test_the_next_request_on_a_kept_alive_connection_is_timed_out_too(
    short_timeouts: LocalPlatform,
) -> None:
    auth = {"Authorization": f"Bearer {short_timeouts.token}"}
    with closing(connect(short_timeouts)) as sock:
        sock.sendall(
            raw_request("GET", "/status", host=own_host(short_timeouts), headers=auth, close=False)
        )
        assert read_reply(sock).status == 200
        sock.sendall(b"GET /status HTTP/1.1\r\nHost: ")
        assert closed_by_server(sock) == b""


def test_a_body_that_never_finishes_is_answered_408_and_closed(
    short_timeouts: LocalPlatform,
) -> None:
    head = raw_request(
        "POST",
        "/graphql",
        host=own_host(short_timeouts),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {short_timeouts.token}",
        },
        close=False,
    ).replace(b"Content-Length: 0", b"Content-Length: 1000")
    with closing(connect(short_timeouts)) as sock:
        sock.sendall(head + b'{"query": "mutation { createPipelineJob(')
        answer = closed_by_server(sock)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"408", answer
    assert b"REQUEST_TIMEOUT" in rest
    assert job_count(short_timeouts) == 0


def test_connections_over_the_cap_are_refused_and_let_in_once_others_go(
    platform_factory: PlatformFactory,
) -> None:
    platform = platform_factory(auth="none", token=None, max_connections=4)
    status = raw_request("GET", "/status", host=own_host(platform), close=False)
    with ExitStack() as held:
        for _ in range(4):  # kept alive after an answer: the server counts each
            sock = held.enter_context(closing(connect(platform)))
            sock.sendall(status)
            assert read_reply(sock).status == 200
        for _ in range(3):
            refused = exchange(platform, raw_request("GET", "/status", host=own_host(platform)))
            assert refused.status == 503
            assert refused.code == "SERVICE_UNAVAILABLE"
    assert _eventually_answered(platform) == 200


def _eventually_answered(platform: LocalPlatform) -> int:
    """The status of /status once the server has let the closed connections go (polled)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        reply = exchange(platform, raw_request("GET", "/status", host=own_host(platform)))
        if reply.status != 503 or time.monotonic() > deadline:
            return reply.status
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("text", "authority"),
    [
        ("LocalHost:8080", ("localhost", 8080)),
        ("[::1]:80", ("[::1]", 80)),
        ("[::1]", ("[::1]", 80)),
        ("127.0.0.1", ("127.0.0.1", 80)),
        ("::1:80", None),
        ("h:", None),
        ("h:+1", None),
        ("h:0", None),
        ("h:65536", None),
        ("u@h:1", None),
        ("h:1/x", None),
        ("[::1", None),
        ("", None),
    ],
)
def test_authorities_are_parsed_strictly(text: str, authority: tuple[str, int] | None) -> None:
    assert parse_authority(text) == authority
