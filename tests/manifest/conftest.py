"""Helpers for manifest tests: write a manifest to a temporary folder and load it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.manifest import Manifest, ManifestError, load_manifest


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write ``text`` (dedented) to ``tmp_path/name`` and return the path."""

    def _write(text: str, name: str = "manifest.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def load(write: Callable[..., Path]) -> Callable[[str], Manifest]:
    """Load a manifest given as text."""

    def _load(text: str) -> Manifest:
        return load_manifest(write(text))

    return _load


@pytest.fixture
def errors(write: Callable[..., Path]) -> Callable[[str], list[str]]:
    """The formatted issues of a manifest that must fail to load, without the path prefix."""

    def _errors(text: str) -> list[str]:
        path = write(text)
        with pytest.raises(ManifestError) as caught:
            load_manifest(path)
        prefix = f"{path}:"
        lines = str(caught.value).splitlines()
        assert all(line.startswith(prefix) for line in lines)
        return [line[len(prefix) :] for line in lines]

    return _errors
