"""The local platform's token check: a fixed token, or whatever a file holds right now."""

from __future__ import annotations

import os
from pathlib import Path

from orchestrator.platform.server.token_check import TokenCheck


def rewrite(path: Path, text: str) -> None:
    scratch = path.with_suffix(".tmp")
    scratch.write_text(text)
    os.replace(scratch, path)


def test_fixed_token_accepts_only_its_bearer_header() -> None:
    check = TokenCheck("abc")
    assert check.accepts("Bearer abc")
    assert not check.accepts("Bearer abd")
    assert not check.accepts("abc")
    assert not check.accepts("")


def test_undecodable_header_bytes_are_refused_not_raised() -> None:
    # aiohttp hands over non-UTF-8 header bytes as surrogate escapes.
    undecodable = b"Bearer \xff\xfeabc".decode("utf-8", "surrogateescape")
    assert not TokenCheck("abc").accepts(undecodable)
    assert not TokenCheck("\u00e9t\u00e9").accepts("Bearer \udcc3\udca9t\udcc3\udca9")
    assert TokenCheck("\u00e9t\u00e9").accepts("Bearer \u00e9t\u00e9")


def test_file_token_follows_the_file_as_it_is_rotated(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("first\n")
    check = TokenCheck("ignored-when-a-file-is-given", path)
    assert check.accepts("Bearer first")
    rewrite(path, "second\n")
    assert check.accepts("Bearer second")
    assert not check.accepts("Bearer first")
    path.write_text("third-and-longer\n")  # rewritten in place: size and mtime change
    assert check.accepts("Bearer third-and-longer")


def test_missing_or_empty_file_accepts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "token"
    check = TokenCheck("", path)
    assert not check.accepts("Bearer ")
    assert not check.accepts("Bearer anything")
    path.write_text("\n")
    assert not check.accepts("Bearer ")
    path.write_text("now\n")
    assert check.accepts("Bearer now")
    path.unlink()
    assert not check.accepts("Bearer now")


def test_repr_never_shows_the_token(tmp_path: Path) -> None:
    assert "abc" not in repr(TokenCheck("abc"))
    assert "token" in repr(TokenCheck("", tmp_path / "token"))
