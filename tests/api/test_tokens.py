"""Token sources without a server: JWT expiry, the token command's failures (each one line,
never showing what the command printed), token files, refresh sharing, redaction."""

from __future__ import annotations

import base64
import json
import sys
import time
from pathlib import Path

import anyio
import pytest

from orchestrator.api import (
    AuthenticationError,
    CommandToken,
    FileToken,
    PermanentError,
    StaticToken,
    TokenError,
    token_source,
)
from orchestrator.api import tokens as tokens_module
from orchestrator.api.tokens import jwt_expiry

SECRET = "s3cr3t-token-value"


def jwt(claims: object) -> str:
    def part(value: object) -> str:
        raw = json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def python_command(code: str) -> str:
    """A token command running ``code`` in this interpreter (no shell involved)."""
    return f"{sys.executable} -c {json.dumps(code)}"


def fetch(source: object) -> str:
    async def current() -> str:
        return await source.current()  # type: ignore[attr-defined,no-any-return]

    return anyio.run(current)


def failure(source: object) -> str:
    with pytest.raises(TokenError) as caught:
        fetch(source)
    return str(caught.value)


# -- JWT expiry -----------------------------------------------------------------------------


def test_jwt_expiry_reads_the_exp_claim() -> None:
    assert jwt_expiry(jwt({"sub": "svc", "exp": 1_900_000_000})) == 1_900_000_000.0
    assert jwt_expiry(jwt({"exp": 1_900_000_000.5})) == 1_900_000_000.5


@pytest.mark.parametrize(
    "token",
    [
        SECRET,  # opaque token
        jwt({"sub": "svc"}),  # no exp
        jwt({"exp": "tomorrow"}),  # not a number
        jwt({"exp": True}),  # a bool is no time
        jwt(["exp", 1]),  # payload not an object
        "a.!!!not-base64!!!.c",
        "a.bm90IGpzb24.c",  # base64 of "not json"
    ],
)
def test_jwt_expiry_is_none_for_what_is_not_a_jwt_with_exp(token: str) -> None:
    assert jwt_expiry(token) is None


# -- the token command ----------------------------------------------------------------------


def test_command_output_stripped_is_the_token() -> None:
    source = CommandToken(python_command(f"print('  {SECRET}  ')"))
    assert fetch(source) == SECRET


def test_command_failure_names_the_program_not_its_output() -> None:
    code = f"import sys; print('{SECRET}'); print('{SECRET}', file=sys.stderr); sys.exit(4)"
    message = failure(CommandToken(python_command(code)))
    assert message.startswith(f"token command {Path(sys.executable).name} failed")
    assert "exit status 4" in message and SECRET not in message


def test_command_that_hangs_is_stopped_at_the_limit() -> None:
    source = CommandToken(python_command("import time; time.sleep(60)"), timeout=0.5)
    started = time.monotonic()
    message = failure(source)
    assert "printed no token within 0.5 s" in message
    assert time.monotonic() - started < 30  # killed, not waited for


def test_command_printing_nothing_or_several_words_is_refused() -> None:
    assert "no token (empty)" in failure(CommandToken(python_command("print()")))
    message = failure(CommandToken(python_command(f"print('{SECRET} {SECRET}')")))
    assert "more than one word" in message and SECRET not in message


def test_command_that_cannot_run_says_so() -> None:
    message = failure(CommandToken("/nonexistent/get-token --flag"))
    assert message == "token command get-token cannot be run (No such file or directory)"


def test_command_description_hides_its_arguments() -> None:
    source = CommandToken(f"get-token --client-secret {SECRET}")
    assert source.describe() == "token command get-token"
    assert SECRET not in repr(source)


def test_command_gets_no_token_of_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCHESTRATOR_TOKEN", SECRET)
    code = "import os; print(os.environ.get('ORCHESTRATOR_TOKEN', 'absent'))"
    assert fetch(CommandToken(python_command(code))) == "absent"


def test_unsplittable_or_empty_command_is_a_usage_error() -> None:
    for command in ("get-token 'unclosed", "   "):
        with pytest.raises(PermanentError) as caught:
            CommandToken(command)
        assert not isinstance(caught.value, AuthenticationError)


def test_token_errors_are_authentication_errors() -> None:
    assert issubclass(TokenError, AuthenticationError)


# -- refresh --------------------------------------------------------------------------------


def counting_command(calls: Path, printed: str) -> CommandToken:
    code = f"open({str(calls)!r}, 'a').write('x'); print({printed!r})"
    return CommandToken(python_command(code))


def test_requests_refused_at_once_share_one_refresh(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    code = f"p = {str(calls)!r}; open(p, 'a').write('x'); print('t' + str(len(open(p).read())))"
    source = CommandToken(python_command(code))  # prints t1, t2, ...: a new token each run

    async def main() -> list[str]:
        first = await source.current()
        results: list[str] = []

        async def refresh() -> None:
            results.append(await source.refresh(first))

        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(refresh)
        return results

    assert anyio.run(main) == ["t2"] * 10
    assert calls.read_text() == "xx"  # the first token, then one refresh for all ten


def test_refresh_after_another_request_refreshed_runs_nothing(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    source = counting_command(calls, SECRET)

    async def main() -> str:
        await source.current()
        return await source.refresh("an-older-token")

    assert anyio.run(main) == SECRET
    assert calls.read_text() == "x"


def test_jwt_near_its_expiry_is_fetched_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens_module, "MIN_PROACTIVE_INTERVAL", 0.0)
    soon = counting_command(tmp_path / "soon", jwt({"exp": time.time() + 10}))
    later = counting_command(tmp_path / "later", jwt({"exp": time.time() + 3600}))

    async def twice(source: CommandToken) -> None:
        await source.current()
        await source.current()

    anyio.run(twice, soon)
    anyio.run(twice, later)
    assert (tmp_path / "soon").read_text() == "xx"
    assert (tmp_path / "later").read_text() == "x"


def test_a_failing_fetch_ahead_keeps_a_still_valid_jwt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens_module, "MIN_PROACTIVE_INTERVAL", 0.0)
    valid = jwt({"exp": time.time() + 10})  # inside the margin, not yet expired
    flag = tmp_path / "fail-now"
    code = f"import os, sys; print({valid!r}); sys.exit(3 if os.path.exists({str(flag)!r}) else 0)"
    source = CommandToken(python_command(code))

    async def main() -> tuple[str, str]:
        first = await source.current()
        flag.write_text("")
        return first, await source.current()

    assert anyio.run(main) == (valid, valid)


def test_a_static_token_is_not_refreshable() -> None:
    source = StaticToken(SECRET)

    async def main() -> str:
        return await source.refresh(SECRET)

    assert not source.refreshable
    assert anyio.run(main) == SECRET
    assert SECRET not in repr(source) and SECRET not in source.describe()


# -- token files ----------------------------------------------------------------------------


def test_token_file_is_read_stripped_and_again_on_refresh(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(f"{SECRET}\n")
    source = FileToken(path)

    async def main() -> tuple[str, str]:
        first = await source.current()
        path.write_text("rotated\n")
        return first, await source.refresh(first)

    assert anyio.run(main) == (SECRET, "rotated")
    assert source.seen() == (SECRET, "rotated")


def test_missing_unreadable_or_empty_token_file_says_which(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    assert failure(FileToken(missing)) == f"token file {missing} does not exist"
    assert "cannot be read" in failure(FileToken(tmp_path))  # a directory
    empty = tmp_path / "empty"
    empty.write_text("\n")
    assert failure(FileToken(empty)) == f"token file {empty} holds no token (empty)"


# -- choosing a source ----------------------------------------------------------------------


def test_one_source_at_most(tmp_path: Path) -> None:
    assert token_source() is None
    assert isinstance(token_source(token=SECRET), StaticToken)
    assert isinstance(token_source(token_file=tmp_path / "t"), FileToken)
    assert isinstance(token_source(token_command="get-token"), CommandToken)
    with pytest.raises(PermanentError, match="choose one source") as caught:
        token_source(token=SECRET, token_command="get-token")
    assert SECRET not in str(caught.value)
