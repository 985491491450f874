"""Nothing from the API is executed or trusted as a path (issue 21, item 2), attacks written out.

The attack on the old platform: a job whose ``pipelineYamlPath`` held a newline wrote that
newline (and the command after it) into its own log; the state dir, with the logs, lies in
the workspace by default; a second bare-script job whose ``pipelineYamlPath`` named the first
job's log ran it with bash. Now the first job is refused at create (``BAD_USER_INPUT``, on
the fast and the general path), the second fails without running anything wherever the
state dir lies and however the path reaches it (directly, through a symlink, through
``..``), and only regular files inside the workspace run.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from orchestrator.platform.client_text import one_line, path_problem
from orchestrator.platform.config import PlatformConfig
from orchestrator.platform.executor.path_safety import JobFiles, platform_files
from orchestrator.platform.executor.pipeline import (
    PipelineError,
    bare_script_pipeline,
    load_job_pipeline,
    parse_pipeline,
)
from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.api import HOSTED_FIELDS, HttpApi, PlatformFactory, write
from tests.helpers.endpoints import Pair, create, job_data

INJECTED = "x\ntouch pwned.txt"
CONTROL_PATHS = [
    "x\ntouch pwned",
    "run.sh\r",
    "a\x1b[2Jb.sh",
    "nul\x00.sh",
    "del\x7f.sh",
    "c1\x85.sh",
    "line\u2028sep.sh",
    "para\u2029sep.sh",
    "\ttab.sh",
]

CREATE = """mutation ($d: PipelineJobCreateInput!) { createPipelineJob(data: $d) { id } }"""
CREATE_GENERAL = """mutation ($d: PipelineJobCreateInput!) {
  createPipelineJob(data: $d) { ...made } }
fragment made on PipelineJob { id }"""  # a fragment: never a fast plan
CREATE_ALERTING = """mutation ($i: PipelineJobCreateWithAlertingInput!) {
  createPipelineJobWithAlerting(input: $i) { id } }"""
CREATE_TWO = """mutation ($a: PipelineJobCreateInput!, $b: PipelineJobCreateInput!) {
  a: createPipelineJob(data: $a) { id }
  b: createPipelineJob(data: $b) { id } }"""
COUNT = "query { pipelineJobs { id } }"


# -- the rules, piece by piece ------------------------------------------------------------


@pytest.mark.parametrize("path", CONTROL_PATHS)
def test_a_path_with_a_control_character_has_a_problem_shown_on_one_line(path: str) -> None:
    problem = path_problem("pipelineYamlPath", path)
    assert problem is not None
    assert problem.isprintable(), problem  # the reason itself carries no control character


def test_ordinary_paths_have_no_problem_and_print_as_they_are() -> None:
    for path in ("jobs/run.sh", "données/été.py", "with space/ü.yaml", "a-b_c.d"):
        assert path_problem("pipelineYamlPath", path) is None
        assert one_line(path) == path


def test_one_line_escapes_what_could_start_a_line_and_keeps_the_rest_readable() -> None:
    assert one_line("a\nb") == "a\\nb"
    assert one_line("a\r\nb\tc") == "a\\r\\nb\\tc"
    assert one_line("\x1b[31m") == "\\x1b[31m"
    assert one_line("a\u2028b\u202ec") == "a\\u2028b\\u202ec"
    assert one_line("back\\nslash") == "back\\\\nslash"  # a literal backslash stays distinct
    assert one_line("été") == "été"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A workspace with the state dir inside it, as by default, and one script."""
    workspace = tmp_path / "ws"
    (workspace / ".orchestrator" / "logs").mkdir(parents=True)
    (workspace / ".orchestrator" / "logs" / "job-1.log").write_text("touch pwned\n")
    (workspace / "run.sh").write_text("true\n")
    return workspace


def files_of(workspace: Path) -> JobFiles:
    return JobFiles.of(workspace, [workspace / ".orchestrator"])


@pytest.mark.parametrize(
    "path",
    [
        ".orchestrator/logs/job-1.log",
        "./.orchestrator/logs/job-1.log",
        "sub/../.orchestrator/logs/job-1.log",
        ".orchestrator",
        "alias/logs/job-1.log",  # a symlink in the workspace to the state dir
        "log-link.sh",  # a symlink in the workspace to one log
    ],
)
def test_nothing_in_the_state_dir_runs_or_is_read_as_a_pipeline(tree: Path, path: str) -> None:
    (tree / "sub").mkdir()
    (tree / "alias").symlink_to(tree / ".orchestrator")
    (tree / "log-link.sh").symlink_to(tree / ".orchestrator" / "logs" / "job-1.log")
    for kind in ("BASH", "YAML"):
        with pytest.raises(PipelineError, match="the platform's own files"):
            load_job_pipeline(path, kind, files_of(tree))


def test_a_state_dir_elsewhere_is_out_of_reach_through_a_symlink_or_dot_dot(
    tmp_path: Path,
) -> None:
    workspace, state = tmp_path / "ws", tmp_path / "state"
    (state / "logs").mkdir(parents=True)
    (state / "logs" / "job-1.log").write_text("touch pwned\n")
    workspace.mkdir()
    (workspace / "state-link").symlink_to(state)
    files = JobFiles.of(workspace, [state])
    for path in ("../state/logs/job-1.log", "state-link/logs/job-1.log"):
        with pytest.raises(PipelineError, match="leaves the workspace"):
            bare_script_pipeline(path, files)


def test_a_workspace_reached_through_a_symlink_still_guards_its_state_dir(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / ".orchestrator" / "logs").mkdir(parents=True)
    (real / ".orchestrator" / "logs" / "j.log").write_text("touch pwned\n")
    (tmp_path / "link").symlink_to(real)
    # the platform was told the workspace by its symlink, the state dir by its real path
    files = JobFiles.of(tmp_path / "link", [real / ".orchestrator"])
    with pytest.raises(PipelineError, match="the platform's own files"):
        bare_script_pipeline(".orchestrator/logs/j.log", files)


def test_only_regular_files_run_as_bare_scripts(tree: Path, tmp_path: Path) -> None:
    os.mkfifo(tree / "fifo.sh")
    (tree / "folder.sh").mkdir()
    (tmp_path / "outside.sh").write_text("true\n")
    (tree / "escape.sh").symlink_to(tmp_path / "outside.sh")
    (tree / "null.sh").symlink_to("/dev/null")
    (tree / "inside.sh").symlink_to(tree / "run.sh")
    files = files_of(tree)
    for path, reason in (
        ("fifo.sh", "is a FIFO, not a regular file"),
        ("folder.sh", "is a directory, not a regular file"),
        ("escape.sh", "leaves the workspace"),
        ("null.sh", "leaves the workspace"),
        ("missing.sh", "script not found: missing.sh"),
    ):
        with pytest.raises(PipelineError, match=reason):
            bare_script_pipeline(path, files)
        with pytest.raises(PipelineError):  # nor read as a pipeline (a FIFO would hang)
            load_job_pipeline(path, "YAML", files)
    assert bare_script_pipeline("inside.sh", files).tasks[0].path == tree / "run.sh"


@pytest.mark.parametrize(
    ("task", "reason"),
    [
        ('{name: a, type: bash script, bash_script_path: "run.sh\\n"}', "control character"),
        (
            "{name: a, type: bash script, bash_script_path: .orchestrator/logs/job-1.log}",
            "own files",
        ),
        ('{name: a, type: py, py_path: "x\\u2028.py"}', "control character"),
        ("{name: a, type: js script, js_path: .orchestrator}", "own files"),
        ("{name: a, type: bash script, bash_script_path: fifo}", "is a FIFO"),
        ("{name: a, type: bash script, bash_script_path: .}", "is a directory"),
        (
            "{name: a, type: jupyter notebook, notebook_path: n.ipynb,"
            " notebook_output_path: .orchestrator/logs/job-1.log}",
            "notebook_output_path: path '.orchestrator/logs/job-1.log' lies in the platform's",
        ),
        (
            "{name: a, type: jupyter notebook, notebook_path: n.ipynb,"
            ' notebook_output_path: "out\\n.ipynb"}',
            "control character",
        ),
        ('{name: "a\\nb", type: bash script, bash_script_path: run.sh}', "control character"),
    ],
)
def test_task_paths_in_a_pipeline_are_checked_when_it_is_read(
    tree: Path, task: str, reason: str
) -> None:
    os.mkfifo(tree / "fifo")
    (tree / "n.ipynb").write_text("{}")
    with pytest.raises(PipelineError, match=reason) as caught:
        parse_pipeline(f"pipeline: {{name: p, tasks: [{task}]}}", files_of(tree))
    assert str(caught.value).isprintable()


# -- refused at create: every create mutation, fast and general path ----------------------


def test_creates_refuse_control_characters_on_the_fast_and_the_general_path(pair: Pair) -> None:
    for bad in ({"pipelineYamlPath": INJECTED}, {"workingDir": "a\nb"}):
        fast = create(pair, pair.fast, [job_data(1), job_data(2, **bad)])
        general = create(pair, pair.general, [job_data(1), job_data(2, **bad)])
        assert fast == general, (fast, general)
        assert '"code": "BAD_USER_INPUT"' in fast
        assert pair.jobs() == 0  # the good one of the batch is rolled back too
    for path in CONTROL_PATHS:
        single = create(pair, pair.fast, [job_data(1, pipelineYamlPath=path)])
        assert '"code": "BAD_USER_INPUT"' in single, path
    assert pair.jobs() == 0
    assert pair.fast.fast_fallbacks >= 1  # the fast plan was tried and handed over


UPDATE = """mutation ($id: String!, $path: String!) {
  updatePipelineJob(where: {id: $id}, data: {pipelineYamlPath: {set: $path}}) { id } }"""


def test_updates_refuse_a_path_with_a_newline_too(pair: Pair) -> None:
    made = json.loads(create(pair, pair.general, [job_data(1)])[4:])
    job_id = made["data"]["j0"]["id"]
    for endpoint in (pair.fast, pair.general):
        answer = pair.ask(endpoint, UPDATE, {"id": job_id, "path": INJECTED})
        assert '"code": "BAD_USER_INPUT"' in answer and "control character" in answer
    job = pair.store.get_job(job_id)
    assert job is not None and job.spec.pipeline_yaml_path == "pipelines/train.yaml"


def test_the_platforms_own_files_are_off_limits_wherever_they_lie(tmp_path: Path) -> None:
    config = PlatformConfig(
        state_dir=tmp_path / "state", db=tmp_path / "db" / "p.db", token_file=tmp_path / "tok"
    )
    own = platform_files(config)
    assert {tmp_path / "state", tmp_path / "tok"} <= set(own)
    assert {tmp_path / "db" / n for n in ("p.db", "p.db-wal", "p.db-shm", "p.db-journal")} <= set(
        own
    )
    files = JobFiles.of(tmp_path, own)
    for name in ("p.db", "p.db-wal"):
        (tmp_path / "db").mkdir(exist_ok=True)
        (tmp_path / "db" / name).write_text("x")
        with pytest.raises(PipelineError, match="own files"):
            load_job_pipeline(f"db/{name}", "YAML", files)
    (tmp_path / "tok").write_text("secret-token")
    with pytest.raises(PipelineError, match="own files") as caught:
        load_job_pipeline("tok", "YAML", files)
    assert "secret-token" not in str(caught.value)


def post(platform: LocalPlatform, document: str, variables: dict[str, Any]) -> Any:
    headers = {"Content-Type": "application/json"}
    if platform.token:
        headers["Authorization"] = f"Bearer {platform.token}"
    body = json.dumps({"query": document, "variables": variables}).encode()
    request = urllib.request.Request(platform.url, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def codes(answer: Any) -> list[str]:
    return [error["extensions"]["code"] for error in answer.get("errors") or ()]


@pytest.mark.parametrize("strict", [True, False])
def test_every_create_mutation_refuses_a_path_with_a_newline(
    platform_factory: PlatformFactory, strict: bool
) -> None:
    platform = platform_factory(executor="local", workers=1, strict_api=strict)
    good = {"pipelineYamlPath": "ok.yaml"}
    bad = {"pipelineYamlPath": INJECTED}
    requests: list[tuple[str, dict[str, Any]]] = [
        (CREATE, {"d": bad}),
        (CREATE_GENERAL, {"d": bad}),
        (CREATE_ALERTING, {"i": bad}),
        (CREATE_ALERTING, {"i": {**good, "workingDir": "repo\n"}}),
        (CREATE_ALERTING, {"i": {**good, "workingDir": "repo\u2028"}}),
        (CREATE_TWO, {"a": good, "b": bad}),
    ]
    for document, variables in requests:
        answer = post(platform, document, variables)
        assert codes(answer) == ["BAD_USER_INPUT"], (document, answer)
        assert "control character" in answer["errors"][0]["message"]
    assert post(platform, COUNT, {})["data"]["pipelineJobs"] == []


# -- end to end: the attack against a real platform with the local executor ----------------


def final(platform: LocalPlatform, script: str, pipeline_type: str = "BASH") -> dict[str, Any]:
    client = HttpApi(platform, HOSTED_FIELDS)
    return client.final(client.launch(script, pipeline_type=pipeline_type))


def test_a_job_log_in_the_workspace_state_dir_never_runs(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"  # the platform_factory fixture's workspace
    platform = platform_factory(
        executor="local", workers=1, state_dir=workspace / ".orchestrator", db=None
    )
    first = final(platform, "missing.sh")
    assert first["status"] == "failed"
    log = Path(first["output"])
    assert log.is_relative_to(workspace)
    with log.open("a") as handle:  # what the attack managed to write into the log
        handle.write("touch pwned.txt\n")
    (workspace / "alias").symlink_to(workspace / ".orchestrator")
    relative = log.relative_to(workspace)
    attempts = [
        (str(relative), "BASH"),
        (f"alias/{relative.relative_to('.orchestrator')}", "BASH"),
        (f"sub/../{relative}", "BASH"),
        (str(relative), "YAML"),
        (".orchestrator/platform.db", "YAML"),
    ]
    for path, kind in attempts:
        job = final(platform, path, kind)
        assert job["status"] == "failed", job
        assert "the platform's own files" in job["statusReason"], job
    assert not (workspace / "pwned.txt").exists()
    assert not (workspace / ".orchestrator" / "pwned.txt").exists()


def test_a_state_dir_elsewhere_is_out_of_reach_end_to_end(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    platform = platform_factory(executor="local", workers=1)
    first = final(platform, "missing.sh")
    log = Path(first["output"])
    with log.open("a") as handle:
        handle.write("touch pwned.txt\n")
    state = log.parent.parent
    (workspace / "state-link").symlink_to(state)
    for path in (f"state-link/logs/{log.name}", os.path.relpath(log, workspace)):
        job = final(platform, path)
        assert job["status"] == "failed" and "leaves the workspace" in job["statusReason"], job
    assert not list(tmp_path.rglob("pwned.txt"))


def test_fifos_directories_and_escaping_symlinks_fail_and_run_nothing(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    platform = platform_factory(executor="local", workers=1)
    os.mkfifo(workspace / "fifo.sh")
    write(workspace, "folder.sh/inner.sh", "touch pwned.txt\n")
    (tmp_path / "outside.sh").write_text("touch pwned.txt\n")
    (workspace / "escape.sh").symlink_to(tmp_path / "outside.sh")
    for path, reason in (
        ("fifo.sh", "is a FIFO, not a regular file"),
        ("folder.sh", "is a directory, not a regular file"),
        ("escape.sh", "leaves the workspace"),
    ):
        job = final(platform, path)
        assert job["status"] == "failed" and reason in job["statusReason"], job
        assert "task 'script' started" not in Path(job["output"]).read_text()
    assert not list(tmp_path.rglob("pwned.txt"))
