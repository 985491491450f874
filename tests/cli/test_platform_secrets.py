"""``orchestrator platform secrets set|list|rm``: values from stdin, never shown, private
files, bad names refused with exit 2 (no platform running: the commands read the state dir)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from orchestrator.platform.secrets import SecretStore
from tests.helpers.cli import cli, invoke

VALUE = "s3cr3t-value-7f2a"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_set_reads_a_value_from_stdin_and_list_shows_no_value(tmp_path: Path) -> None:
    state = tmp_path / "state"
    done = invoke(
        "platform",
        "secrets",
        "set",
        "--state-dir",
        state,
        "db",
        "PASSWORD=-",
        "USER=bob",
        input=VALUE + "\n",
    )
    assert done.returncode == 0, done.stderr
    assert VALUE not in done.stdout + done.stderr
    secret = SecretStore(state).find("db")
    assert secret is not None
    assert dict(secret.values) == {"PASSWORD": VALUE, "USER": "bob"}  # one final newline less
    listed = invoke("platform", "secrets", "list", "--state-dir", state)
    assert listed.returncode == 0
    assert "db" in listed.stdout and "PASSWORD" in listed.stdout and "USER" in listed.stdout
    assert VALUE not in listed.stdout and "bob" not in listed.stdout
    rows = json.loads(
        invoke("platform", "secrets", "list", "--state-dir", state, "-o", "json").stdout
    )
    assert rows == [{"id": secret.id, "name": "db", "keys": ["PASSWORD", "USER"]}]
    assert VALUE not in repr(secret)


def test_the_files_are_private(tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert invoke("platform", "secrets", "set", "--state-dir", state, "a", "K=v").returncode == 0
    store = SecretStore(state)
    assert _mode(store.folder) == 0o700
    assert _mode(store.path) == 0o600
    assert _mode(state) == 0o700


def test_set_again_replaces_the_keys_and_keeps_the_id(tmp_path: Path) -> None:
    state = tmp_path / "state"
    invoke("platform", "secrets", "set", "--state-dir", state, "a", "K=1", "L=2")
    first = SecretStore(state).find("a")
    invoke("platform", "secrets", "set", "--state-dir", state, "a", "M=3")
    second = SecretStore(state).find("a")
    assert first is not None and second is not None
    assert second.id == first.id and dict(second.values) == {"M": "3"}
    assert SecretStore(state).find(first.id) == second  # found by id too


@pytest.mark.parametrize(
    "args",
    [
        ["../up", "K=v"],  # a name is a folder name
        ["a/b", "K=v"],
        ["..", "K=v"],
        ["-x", "K=v"],
        ["ok", "1K=v"],  # a key is part of a variable name
        ["ok", "K-Y=v"],
        ["ok", "=v"],
        ["ok", "NOEQUALS"],
        ["ok", "A=-", "B=-"],  # one stdin
        ["ok", "K=1", "K=2"],
    ],
)
def test_bad_names_and_pairs_exit_2(tmp_path: Path, args: list[str]) -> None:
    state = tmp_path / "state"
    done = invoke("platform", "secrets", "set", "--state-dir", state, "--", *args, input="x")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert SecretStore(state).all() == []


def test_rm_removes_and_rm_of_a_missing_secret_exits_2(tmp_path: Path) -> None:
    state = tmp_path / "state"
    invoke("platform", "secrets", "set", "--state-dir", state, "a", "K=v")
    assert invoke("platform", "secrets", "rm", "--state-dir", state, "a").returncode == 0
    assert SecretStore(state).all() == []
    missing = invoke("platform", "secrets", "rm", "--state-dir", state, "a")
    assert missing.returncode == 2 and "no secret named 'a'" in missing.stderr


def test_a_real_process_reads_stdin_and_keeps_the_value_off_its_output(tmp_path: Path) -> None:
    state = tmp_path / "state"
    done = cli("platform", "secrets", "set", "--state-dir", state, "db", "TOKEN=-", input=VALUE)
    assert done.returncode == 0, done.stderr
    assert VALUE not in done.stdout + done.stderr
    secret = SecretStore(state).find("db")
    assert secret is not None and secret.values["TOKEN"] == VALUE
