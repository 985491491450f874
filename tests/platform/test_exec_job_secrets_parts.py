"""The parts of :mod:`orchestrator.platform.executor.job_secrets` without a platform: which
pod spec names apply, which jobs use secrets (the Dask executor refuses those), and the
per-attempt folder, removed however the attempt ends."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from orchestrator.platform.executor.job_secrets import (
    MissingSecret,
    job_secrets,
    pod_env_refusal,
    secrets_folder,
    uses_secrets,
)
from orchestrator.platform.secrets import SecretStore


def _spec(*env: dict[str, object]) -> str:
    return json.dumps({"containers": [{"env": list(env)}, {"env": [{"name": "B", "value": "2"}]}]})


@pytest.mark.parametrize(
    "name", ["PATH", "LD_PRELOAD", "ld_preload", "HYPERPLANE_JOB_ID", "MY_POD_NAME", "_X", "1A"]
)
def test_names_the_bare_name_rule_refuses_are_not_applied(name: str) -> None:
    assert pod_env_refusal(name) is not None
    assert job_secrets(None, _spec({"name": name, "value": "x"}), None).pod_env == {}


def test_allowed_names_apply_from_the_first_container_only() -> None:
    spec = _spec({"name": "GREETING", "value": "hi"}, {"name": "omp_num_threads", "value": "4"})
    secrets = job_secrets(None, spec, None)
    assert secrets.pod_env == {"GREETING": "hi", "omp_num_threads": "4"}
    assert secrets.files == {} and secrets.withheld == ()


def test_which_jobs_use_secrets() -> None:
    assert uses_secrets(json.dumps(["db"]), None)
    ref = {"name": "X", "valueFrom": {"secretKeyRef": {"name": "db", "key": "K"}}}
    assert uses_secrets(None, _spec(ref))
    assert not uses_secrets(json.dumps([]), _spec({"name": "X", "value": "v"}))
    assert not uses_secrets(None, None)


def test_without_a_store_a_connected_secret_is_missing() -> None:
    with pytest.raises(MissingSecret, match="'db'"):
        job_secrets(json.dumps(["db"]), None, None)


def test_the_folder_is_private_and_removed_even_when_the_attempt_fails(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "state")
    store.set("db", {"PASSWORD": "p", "USER": "u"})
    secrets = job_secrets(json.dumps(["db"]), None, store)
    assert "'p'" not in repr(secrets) and "'u'" not in repr(secrets)
    with pytest.raises(RuntimeError), secrets_folder(store.mounts, "pod-1", secrets.files) as f:
        assert f is not None
        assert stat.S_IMODE(f.stat().st_mode) == 0o700
        assert (f / "db" / "PASSWORD").read_text() == "p"
        assert stat.S_IMODE((f / "db" / "USER").stat().st_mode) == 0o400
        raise RuntimeError("the attempt failed")
    assert list(store.mounts.iterdir()) == []


def test_no_files_no_folder(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    with secrets_folder(mounts, "pod-1", {}) as folder:
        assert folder is None
    assert not mounts.exists()
