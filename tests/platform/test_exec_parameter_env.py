"""Bare-name parameters by allow-list (issue 21, item 3), with the attack written out.

Every parameter reaches a task as ``HYPERPLANE_JOB_PARAMETER_<KEY>``; under its bare name only
when the name cannot change how a process starts, what it loads, what it trusts or where it
connects (:mod:`orchestrator.platform.executor.parameter_names`). The attack of the review:
``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_0``/``GIT_CONFIG_VALUE_0`` set ``core.fsmonitor``, and a
harmless ``git status`` in a workspace script runs the caller's command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from orchestrator.platform.executor.parameter_names import (
    DENIED,
    Match,
    bare_name_allowed,
    withheld_reason,
)
from orchestrator.platform.executor.task_runner import (
    JobContext,
    log_header,
    parameter_variable,
    task_environment,
)
from tests.helpers.api import HOSTED_FIELDS, HttpApi, PlatformFactory, write

DANGEROUS = [
    # named in issue 21
    *("GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0", "GIT_SSH_COMMAND"),
    *("LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "PYTHONPATH", "PYTHONSTARTUP"),
    *("PYTHONHOME", "PYTHONWARNINGS", "PERL5LIB", "PERL5OPT", "RUBYOPT", "RUBYLIB"),
    *("NODE_OPTIONS", "NODE_PATH", "NODE_EXTRA_CA_CERTS", "JAVA_TOOL_OPTIONS"),
    *("_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "GCONV_PATH", "GLIBC_TUNABLES", "OPENSSL_CONF"),
    *("OPENSSL_MODULES", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "CURL_HOME"),
    *("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CONFIG_FILE", "UV_INDEX_URL"),
    *("CONDARC", "CONDA_PREFIX", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "ALL_PROXY"),
    *("FTP_PROXY", "JUPYTER_CONFIG_DIR", "JUPYTER_PATH", "IPYTHONDIR", "XDG_CONFIG_HOME"),
    *("AWS_ACCESS_KEY_ID", "AWS_CONFIG_FILE", "GOOGLE_APPLICATION_CREDENTIALS"),
    *("AZURE_CONFIG_DIR", "KUBECONFIG", "DOCKER_HOST", "DOCKER_CONFIG", "BASH_ENV"),
    *("BASH_XTRACEFD", "BASHOPTS", "BASH_FUNC_LS%%", "SHELL", "SHELLOPTS", "ENV", "IFS"),
    *("PS4", "PROMPT_COMMAND", "PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ"),
    *("MALLOC_CHECK_", "EDITOR", "PAGER", "BROWSER", "SSH_AUTH_SOCK", "TERM", "LESS"),
    # and those that matter as much
    *("LESSOPEN", "CDPATH", "GLOBIGNORE", "PS1", "PS2", "PS3", "HOSTALIASES"),
    *("RES_OPTIONS", "LOCALDOMAIN", "NLSPATH", "LOCPATH", "TERMINFO", "TERMCAP"),
    *("DYLD_INSERT_LIBRARIES", "VIRTUAL_ENV", "NPM_CONFIG_REGISTRY", "YARN_RC_FILENAME"),
    *("CARGO_HOME", "RUSTC", "RUSTC_WRAPPER", "GOFLAGS", "GOPROXY", "GOPATH", "GOROOT"),
    *("GOENV", "GOTOOLCHAIN", "MPLCONFIGDIR", "MPLBACKEND", "HF_HOME", "HF_ENDPOINT"),
    *("TRANSFORMERS_CACHE", "REQUESTS_CA_BUNDLE", "GEM_HOME", "GEM_PATH", "BUNDLE_GEMFILE"),
    *("R_LIBS", "R_PROFILE_USER", "TCL_LIBRARY", "TK_LIBRARY", "DISPLAY", "XAUTHORITY"),
    *("DBUS_SESSION_BUS_ADDRESS", "SYSTEMD_PAGER", "KRB5CCNAME", "KRB5_CONFIG"),
    *("PGPASSFILE", "PGHOST", "PGSSLROOTCERT", "MYSQL_PWD", "SUDO_USER", "USER", "LOGNAME"),
    *("HOSTNAME", "MAIL", "PWD", "OLDPWD", "SHLVL", "TMP", "TEMP", "ORCHESTRATOR_RUN"),
    *("HYPERPLANE_JOB_ID", "HYPERPLANE_JOB_RUN_ID", "HYPERPLANE_JOB_ATTEMPT"),
    *("DASK_DISTRIBUTED__WORKER__PRELOAD", "DASK_CONFIG", "CUDA_INJECTION64_PATH"),
    *("JAVA_HOME", "SPARK_HOME", "PYSPARK_PYTHON", "CLASSPATH", "GNUPGHOME", "WGETRC"),
    *("CC", "CXX", "CFLAGS", "LDFLAGS", "MAKEFLAGS", "INPUTRC", "ZDOTDIR", "VISUAL"),
    *("MANPAGER", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", "AWS_CA_BUNDLE", "LANGUAGE"),
]
TYPICAL = ["FILE_ID", "LEARNING_RATE", "SEED", "BATCH_SIZE", "MODEL_NAME", "INPUT_PATH"]
ALSO_ALLOWED = ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "CUDA_VISIBLE_DEVICES", "EPOCHS", "GOAL"]


def environment_of(parameters: dict[str, str]) -> dict[str, str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": "/home/me", "LANG": "C.UTF-8"}
    return task_environment(base, JobContext("j", "r", 1, parameters))


def test_no_dangerous_name_reaches_a_task_bare_and_each_keeps_its_prefixed_variable() -> None:
    assert len(set(DANGEROUS)) >= 60
    values = {name: f"attacker-{index}" for index, name in enumerate(DANGEROUS)}
    env = environment_of(values)
    bare = [name for name, value in values.items() if env.get(name) == value]
    assert bare == []
    for name, value in values.items():  # the value is there once: under the prefixed name
        assert [k for k, v in env.items() if v == value] == [parameter_variable(name)], name
    assert env["PATH"].endswith(":/usr/bin:/bin") and env["HOME"] == "/home/me"
    assert (env["HYPERPLANE_JOB_ID"], env["HYPERPLANE_JOB_RUN_ID"]) == ("j", "r")
    assert env["HYPERPLANE_JOB_ATTEMPT"] == "1"


@pytest.mark.parametrize("key", ["http_proxy", "https_proxy", "no_proxy", "git_config_count"])
def test_lower_case_keys_never_set_a_variable_of_either_case(key: str) -> None:
    env = environment_of({key: "attacker"})
    assert key not in env and key.upper() not in env
    assert env[parameter_variable(key)] == "attacker"


def test_typical_names_reach_tasks_bare() -> None:
    values = {name: f"v{index}" for index, name in enumerate(TYPICAL + ALSO_ALLOWED)}
    env = environment_of(values)
    for name, value in values.items():
        assert env[name] == value and env[parameter_variable(name)] == value
    assert environment_of({"file_id": "7", "lr-rate": "1"})["FILE_ID"] == "7"
    assert environment_of({"lr-rate": "1"})["LR_RATE"] == "1"


@pytest.mark.parametrize("name", ["1ABC", "_PRIVATE", "_JAVA_OPTIONS", "été", "-X"])
def test_names_a_shell_cannot_use_stay_prefixed_only(name: str) -> None:
    env = environment_of({name: "x"})
    assert env[parameter_variable(name)] == "x"
    assert [k for k, v in env.items() if v == "x"] == [parameter_variable(name)]


def test_every_deny_list_entry_has_a_reason_and_denies_what_it_names() -> None:
    for entry in DENIED:
        assert entry.reason.strip(), entry
        sample = f"X{entry.text}" if entry.match is Match.SUFFIX else entry.text
        if entry.match is Match.PREFIX:
            sample += "ANY"
        if sample[0].isalpha():
            assert not bare_name_allowed(sample), entry
            assert withheld_reason(sample) == entry.reason or withheld_reason(sample)
    assert len({(entry.match, entry.text) for entry in DENIED}) == len(DENIED)


def test_log_header_quotes_client_values_on_one_line() -> None:
    job = JobContext("j", "r", 1, {"ORCHESTRATOR_JOB": "k\ninjected", "ORCHESTRATOR_ATTEMPT": "1"})
    header = log_header(job, "name\r\nfake line")
    assert "\n" not in header and "\r" not in header
    assert "k\\ninjected" in header and "name\\r\\nfake line" in header


# -- end to end: git's core.fsmonitor by parameters ---------------------------------------


GIT_ATTACK = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.fsmonitor"}


def git_repository(path: Path) -> None:
    quiet = {"check": True, "capture_output": True}
    subprocess.run(["git", "init", "-q", str(path)], **quiet)  # type: ignore[call-overload]
    (path / "tracked.txt").write_text("x\n")
    subprocess.run(["git", "-C", str(path), "add", "tracked.txt"], **quiet)  # type: ignore[call-overload]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_parameters_cannot_make_git_status_run_a_command(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"  # the platform_factory fixture's workspace
    git_repository(workspace)
    # the control: the same variables, set bare, do run the command (the attack is real)
    control = tmp_path / "control-marker"
    env = {**os.environ, **GIT_ATTACK, "GIT_CONFIG_VALUE_0": f"touch {control}; false"}
    subprocess.run(["git", "status"], cwd=workspace, env=env, capture_output=True, check=False)
    if not control.exists():
        pytest.skip("this git does not run core.fsmonitor as a command")
    marker = tmp_path / "job-marker"
    write(workspace, "status.sh", 'git status > status.txt\necho "$GIT_CONFIG_COUNT" > seen.txt\n')
    platform = platform_factory(executor="local", workers=1)
    client = HttpApi(platform, HOSTED_FIELDS)
    create = """mutation ($d: PipelineJobCreateWithAlertingInput!) {
      createPipelineJobWithAlerting(input: $d) { id } }"""
    parameters = {**GIT_ATTACK, "GIT_CONFIG_VALUE_0": f"touch {marker}; false"}
    data = {
        "pipelineYamlPath": "status.sh",
        "pipelineType": "BASH",
        "parameters": {"create": [{"key": k, "value": v} for k, v in parameters.items()]},
    }
    job_id = client.call(create, {"d": data})["createPipelineJobWithAlerting"]["id"]
    job = client.final(job_id)
    assert job["status"] == "done", job
    assert (workspace / "status.txt").read_text()  # git status ran
    assert (workspace / "seen.txt").read_text() == "\n"  # GIT_CONFIG_COUNT was not set
    assert not marker.exists()
    log = Path(job["output"]).read_text()
    assert "GIT_CONFIG_COUNT, GIT_CONFIG_KEY_0, GIT_CONFIG_VALUE_0 reach tasks only as" in log
