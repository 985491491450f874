"""``orchestrator dashboard`` serving the pages itself on 127.0.0.1: for an endpoint that
serves no dashboard (a ``--strict-api`` platform behind a gateway forwarding only
``/graphql``, as a hosted one is), or any with ``--serve-locally``. The pages read the
endpoint with the user's token; browsers sign in with its one-time codes only; Enter prints
a new link; Ctrl-C and SIGTERM end it with 130 and no traceback."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import pytest

from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.api import HOSTED_FIELDS, HttpApi
from tests.helpers.cli import cli, spawn_cli
from tests.helpers.dashboard import fetch_url, labels

LINE_SECONDS = 30.0


class _Lines:
    """The lines a process prints, read by a thread: each waited for with a timeout."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)

    def rest(self) -> str:
        """Whatever is left once the process closed its stdout."""
        self._thread.join(timeout=LINE_SECONDS)
        left = []
        while not self._lines.empty():
            left.append(self._lines.get_nowait())
        return "".join(left)

    def next_json(self) -> dict[str, Any]:
        line = self._lines.get(timeout=LINE_SECONDS)
        answer: dict[str, Any] = json.loads(line)
        return answer


@pytest.fixture
def served(platform: LocalPlatform, tmp_path: Path) -> Any:
    """The command serving ``platform``'s dashboard here (token in a file, JSON output),
    stdin a pipe to press Enter in; killed at the end whatever happened."""
    token_file = tmp_path / "token"
    token_file.write_text(platform.token + "\n")
    token_file.chmod(0o600)
    process = spawn_cli(
        "dashboard",
        "--endpoint",
        platform.url,
        "--token-file",
        token_file,
        "--serve-locally",
        "--no-open",
        "--port",
        "0",
        "-o",
        "json",
        stdin=subprocess.PIPE,
    )
    yield process
    process.kill()
    process.wait(timeout=30)
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _sign_in(link: str) -> tuple[str, str]:
    """Redeem the link's code; the dashboard's origin and the session's cookie."""
    origin, code = link.split("/ui/code#")
    reply = fetch_url(origin + "/ui/code", "POST", {"code": code})
    assert reply.status == 200, reply
    return origin, reply.headers["Set-Cookie"].split(";")[0]


def test_the_pages_served_here_read_the_endpoint_and_sign_in_by_code_only(
    platform: LocalPlatform, served: subprocess.Popen[str]
) -> None:
    api = HttpApi(platform, HOSTED_FIELDS)
    for number in range(3):
        api.create("p.yaml", labels("r1"), jobName=f"served-job-{number}")
    assert served.stdout is not None and served.stdin is not None
    lines = _Lines(served.stdout)

    first = lines.next_json()
    assert first["served"] == "local" and first["endpoint"] == platform.url
    assert first["url"].startswith("http://127.0.0.1:")
    origin, cookie = _sign_in(first["url"])
    again = fetch_url(origin + "/ui/code", "POST", {"code": first["url"].split("#")[1]})
    assert again.status == 401  # good once
    jobs = fetch_url(origin + "/ui/api/jobs", headers={"Cookie": cookie})
    assert jobs.status == 200
    assert all(f"served-job-{n}" in jobs.text for n in range(3))
    overview = fetch_url(origin + "/ui/api/overview", headers={"Cookie": cookie})
    assert overview.status == 200 and json.loads(overview.text)
    assert fetch_url(origin + "/ui/api/jobs").status == 401  # no session, nothing
    by_token = fetch_url(origin + "/ui/session", "POST", {"token": platform.token})
    assert by_token.status == 401  # the token is this process's, not a browser's

    served.stdin.write("\n")  # Enter: a new link
    served.stdin.flush()
    second = lines.next_json()
    assert second["url"].startswith(origin + "/ui/code#") and second["url"] != first["url"]
    _sign_in(second["url"])

    served.send_signal(signal.SIGINT)
    assert served.wait(timeout=30) == 130
    assert served.stderr is not None
    err = served.stderr.read()
    assert "Traceback" not in err and "error" not in err
    assert platform.token not in json.dumps([first, second]) + lines.rest() + err


def test_sigterm_ends_it_with_130(served: subprocess.Popen[str]) -> None:
    assert served.stdout is not None and served.stderr is not None
    assert _Lines(served.stdout).next_json()["served"] == "local"  # it is serving

    served.send_signal(signal.SIGTERM)

    assert served.wait(timeout=30) == 130
    assert "Traceback" not in served.stderr.read()


class _GraphQLOnly(BaseHTTPRequestHandler):
    """A proxy in front of a platform that forwards ``POST /graphql`` and nothing else (404),
    as a hosted platform's gateway does: no dashboard is reachable through it."""

    upstream = ""

    def do_POST(self) -> None:
        if self.path != "/graphql":
            self.send_error(404)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {k: v for k, v in self.headers.items() if k in ("Authorization", "Content-Type")}
        request = urllib.request.Request(self.upstream, body, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, answer = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, answer = error.code, error.read()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self) -> None:
        self.send_error(404)

    def log_message(self, *_args: Any) -> None:
        pass  # quiet


@pytest.fixture
def gateway(platform: LocalPlatform) -> Iterator[str]:
    """The GraphQL URL of ``platform`` behind a proxy that forwards only ``/graphql``."""
    handler = type("Gateway", (_GraphQLOnly,), {"upstream": platform.url})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/graphql"
    finally:
        server.shutdown()
        server.server_close()


def test_an_endpoint_without_a_dashboard_gets_one_served_here(
    platform: LocalPlatform, gateway: str
) -> None:
    HttpApi(platform, HOSTED_FIELDS).create("p.yaml", labels("r1"), jobName="through-gateway")
    process = spawn_cli(
        *("dashboard", "--no-open", "-o", "json"),
        *("--endpoint", gateway, "--token", platform.token),
        stdin=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        answer = _Lines(process.stdout).next_json()
        assert (answer["served"], answer["endpoint"]) == ("local", gateway)
        origin, cookie = _sign_in(answer["url"])
        jobs = fetch_url(origin + "/ui/api/jobs", headers={"Cookie": cookie})
        assert jobs.status == 200 and "through-gateway" in jobs.text
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_a_refused_token_behind_the_gateway_is_one_line_exit_3(gateway: str) -> None:
    result = cli("dashboard", "--no-open", "--endpoint", gateway, "--token", "wrong-token")

    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and "refused the token" in result.stderr
    assert "wrong-token" not in result.stdout + result.stderr
