"""``plan`` and ``run`` in a real process refuse a bad manifest of each family of load-time
checks with ``file:line:col: message`` and exit 2, before any platform is contacted."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import invoke

HEAD = b"name: t\ndefaults: {pipelineYamlPath: p.yaml}\njobs:\n"
DEAD = ["--endpoint", "http://127.0.0.1:9/graphql", "--token", "t"]  # nobody listens there

CASES = {
    "outside": (HEAD + b"  - matrix: {a: {file: /proc/self/environ}}\n", 4, 24, "kernel file"),
    "nul-byte": (HEAD + b"  - name: a\x00\n", 4, 12, "NUL byte"),
    "int32": (HEAD + b"  - timeout: 2147483648\n", 4, 14, "at most 2147483647"),
    "collision": (HEAD + b"  - parameters: {a-b: 1, A_B: 2}\n", 4, 26, "would both reach"),
    "reserved": (
        HEAD + b"  - parameters: {orchestrator_run: 1}\n",
        4,
        18,
        "set by the orchestrator",
    ),
    "look-up": (HEAD + b"  - name: '{{ index.__class__ }}'\n", 4, 11, "variables only"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["plan", "run"])
def test_bad_manifest_is_one_located_line_and_exit_2(
    command: str, case: str, tmp_path: Path
) -> None:
    text, line, column, message = CASES[case]
    manifest = tmp_path / "m.yaml"
    manifest.write_bytes(text)
    extra = [*DEAD, "--state-dir", str(tmp_path / "state")] if command == "run" else []
    result = invoke(command, manifest, *extra)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{manifest}:{line}:{column}: ") and message in first, first
    assert not (tmp_path / "state").exists()  # refused before anything was recorded
