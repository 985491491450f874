"""The engine's view of a platform: an Endpoint holds a token source and never shows a token."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from orchestrator.api import FileToken, StaticToken
from orchestrator.connect import Endpoint, EndpointError, connect

SECRET = "s3cr3t-token-value"


def test_endpoint_repr_names_the_source_not_the_token() -> None:
    shown = repr(Endpoint("http://h/graphql", StaticToken(SECRET)))
    assert SECRET not in shown
    assert "token from --token or ORCHESTRATOR_TOKEN" in shown
    assert "token file /run/t" in repr(Endpoint("http://h/graphql", FileToken("/run/t")))


def test_connect_wraps_a_string_and_keeps_a_source(tmp_path: Path) -> None:
    source = FileToken(tmp_path / "t")

    async def tokens_of(token: str | FileToken) -> object:
        async with connect(
            endpoint="http://h/graphql", token=token, state_dir=tmp_path, workspace=tmp_path
        ) as endpoint:
            return endpoint.tokens

    assert anyio.run(tokens_of, source) is source
    wrapped = anyio.run(tokens_of, SECRET)
    assert isinstance(wrapped, StaticToken) and wrapped.seen() == (SECRET,)


def test_connect_without_any_token_names_every_option(tmp_path: Path) -> None:
    async def main() -> None:
        async with connect(
            endpoint="http://h/graphql", token=None, state_dir=tmp_path, workspace=tmp_path
        ):
            pass

    with pytest.raises(EndpointError, match="--token-file or --token-command"):
        anyio.run(main)
