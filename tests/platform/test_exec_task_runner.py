"""The task runner: real processes in their own groups, environment, logs, failures and kills."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from orchestrator.platform.executor.job_sdk import SDK_PATH
from orchestrator.platform.executor.pipeline import parse_pipeline
from orchestrator.platform.executor.task_runner import (
    JobContext,
    append_note,
    parameter_variable,
    run_pipeline,
    task_environment,
    withheld_bare_names,
)
from tests.helpers.wait import wait_for_async

JOB = JobContext(job_id="job-1", run_id="run-1", attempt=1, parameters={"alpha": "0.5"})


def group_gone(pgid: int) -> bool:
    """True when no live process is left in group ``pgid`` (zombies being reaped count as gone)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return all(_is_zombie(pid) for pid in _group_members(pgid))


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                members.append(int(entry.name))
    return members


def _is_zombie(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def write(workspace: Path, name: str, body: str) -> None:
    (workspace / name).write_text(textwrap.dedent(body))


def test_parameters_are_prefixed_upper_cased_and_bare_only_when_safe() -> None:
    base = {"PATH": "/bin", "HYPERPLANE_JOB_PARAMETER_STALE": "leak"}
    job = JobContext("j", "r", 2, {"path": "/evil", "lr-rate": "1"})
    env = task_environment(base, job)
    assert env["PATH"].split(os.pathsep) == [str(Path(sys.executable).parent), "/bin"]
    assert env["HYPERPLANE_JOB_PARAMETER_PATH"] == "/evil"
    assert env["LR_RATE"] == "1"
    assert env[parameter_variable("lr-rate")] == "1"
    assert parameter_variable("lr-rate") == "HYPERPLANE_JOB_PARAMETER_LR_RATE"
    assert "HYPERPLANE_JOB_PARAMETER_STALE" not in env
    assert (env["HYPERPLANE_JOB_ID"], env["HYPERPLANE_JOB_RUN_ID"]) == ("j", "r")
    assert env["HYPERPLANE_JOB_ATTEMPT"] == "2"


async def test_python_then_bash_see_parameters_and_log_output(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.py",
        """
        import os
        env = os.environ
        print("py sees", env["HYPERPLANE_JOB_PARAMETER_ALPHA"], env["HYPERPLANE_JOB_ID"])
        open("order.txt", "a").write("py\\n")
    """,
    )
    write(
        tmp_path,
        "b.sh",
        """
        echo "bash sees $HYPERPLANE_JOB_PARAMETER_ALPHA" >&2
        echo bash >> order.txt
    """,
    )
    pipeline = parse_pipeline(
        """
pipeline:
  name: two
  tasks:
    - {name: first, type: py, py_path: a.py}
    - {name: second, type: bash script, bash_script_path: b.sh}
""",
        tmp_path,
    )
    log = tmp_path / "logs" / "job-1.log"
    result = await run_pipeline(pipeline, JOB, workspace=tmp_path, log_path=log)
    assert result.succeeded, result.failure
    text = log.read_text()
    assert "py sees 0.5 job-1" in text
    assert "bash sees 0.5" in text
    assert (tmp_path / "order.txt").read_text() == "py\nbash\n"


async def test_independent_tasks_run_in_parallel(tmp_path: Path) -> None:
    # each task drops its marker and waits (bounded) for the other's: only parallel runs pass
    for me, other in (("left", "right"), ("right", "left")):
        write(
            tmp_path,
            f"{me}.py",
            f"""
            import os, sys, time
            open("{me}.marker", "w").close()
            deadline = time.monotonic() + 20
            while not os.path.exists("{other}.marker"):
                if time.monotonic() > deadline:
                    sys.exit("never saw {other}")
                time.sleep(0.02)
        """,
        )
    pipeline = parse_pipeline(
        """
pipeline:
  name: par
  tasks:
    - {name: left, type: py, py_path: left.py, depends_on: []}
    - {name: right, type: py, py_path: right.py, depends_on: []}
""",
        tmp_path,
    )
    result = await run_pipeline(pipeline, JOB, workspace=tmp_path, log_path=tmp_path / "j.log")
    assert result.succeeded, result.failure


async def test_failing_task_names_itself_and_stops_the_rest(tmp_path: Path) -> None:
    write(tmp_path, "bad.sh", "echo broken; exit 3\n")
    write(tmp_path, "after.sh", "touch ran-after\n")
    pipeline = parse_pipeline(
        """
pipeline:
  name: fails
  tasks:
    - {name: prepare, type: bash script, bash_script_path: bad.sh}
    - {name: after, type: bash script, bash_script_path: after.sh}
""",
        tmp_path,
    )
    result = await run_pipeline(pipeline, JOB, workspace=tmp_path, log_path=tmp_path / "j.log")
    assert result.failure == "task 'prepare' (bash script) exited with code 3"
    assert not (tmp_path / "ran-after").exists()
    assert "broken" in (tmp_path / "j.log").read_text()


async def test_a_task_killed_by_a_signal_says_which(tmp_path: Path) -> None:
    write(tmp_path, "die.sh", "kill -KILL $$\n")
    pipeline = parse_pipeline(
        "pipeline: {name: n, tasks: [{name: die, type: bash script, bash_script_path: die.sh}]}",
        tmp_path,
    )
    result = await run_pipeline(pipeline, JOB, workspace=tmp_path, log_path=tmp_path / "j.log")
    assert result.failure == "task 'die' (bash script) was killed by SIGKILL"


async def test_cancel_kills_the_whole_process_group(tmp_path: Path) -> None:
    write(
        tmp_path,
        "sleepy.sh",
        """
        sleep 300 &
        echo $! > child.pid
        echo $$ > leader.pid
        wait
    """,
    )
    pipeline = parse_pipeline(
        "pipeline: {name: n, tasks: [{name: s, type: bash script, bash_script_path: sleepy.sh}]}",
        tmp_path,
    )
    run = asyncio.create_task(
        run_pipeline(pipeline, JOB, workspace=tmp_path, log_path=tmp_path / "j.log")
    )
    await wait_for_async(
        lambda: (tmp_path / "child.pid").exists() and (tmp_path / "leader.pid").exists()
    )
    leader = int((tmp_path / "leader.pid").read_text())
    child = int((tmp_path / "child.pid").read_text())
    assert os.getpgid(child) == leader  # the child sits in the task's own group
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    await wait_for_async(lambda: group_gone(leader))


async def test_background_children_do_not_outlive_their_task(tmp_path: Path) -> None:
    write(tmp_path, "daemon.sh", "sleep 300 &\necho $$ > leader.pid\n")
    pipeline = parse_pipeline(
        "pipeline: {name: n, tasks: [{name: d, type: bash script, bash_script_path: daemon.sh}]}",
        tmp_path,
    )
    result = await run_pipeline(pipeline, JOB, workspace=tmp_path, log_path=tmp_path / "j.log")
    assert result.succeeded
    leader = int((tmp_path / "leader.pid").read_text())
    await wait_for_async(lambda: group_gone(leader))


async def test_missing_notebook_runner_says_what_to_install(tmp_path: Path) -> None:
    (tmp_path / "nb.ipynb").write_text("{}")
    pipeline = parse_pipeline(
        "pipeline: {name: n, tasks: [{name: nb, type: jupyter notebook,"
        " notebook_path: nb.ipynb, notebook_output_path: out.ipynb}]}",
        tmp_path,
    )
    result = await run_pipeline(pipeline, JOB, workspace=tmp_path, log_path=tmp_path / "j.log")
    if "papermill" in sys.modules or _papermill_installed():
        pytest.skip("papermill is installed here")
    assert result.failure is not None
    assert "install papermill" in result.failure


def _papermill_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("papermill") is not None


async def test_js_task_runs_with_node(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed here")
    write(
        tmp_path,
        "hello.js",
        """
        console.log("node sees " + process.env.HYPERPLANE_JOB_PARAMETER_ALPHA);
    """,
    )
    pipeline = parse_pipeline(
        "pipeline: {name: n, tasks: [{name: js, type: js script, js_path: hello.js}]}",
        tmp_path,
    )
    result = await run_pipeline(pipeline, JOB, workspace=tmp_path, log_path=tmp_path / "j.log")
    assert result.succeeded, result.failure
    assert "node sees 0.5" in (tmp_path / "j.log").read_text()


async def test_requirements_already_installed_let_the_job_run(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "")
    write(
        tmp_path,
        "req.txt",
        "# pinned\npyyaml>=6  # the platform's own\nnope; python_version < '3'\n",
    )
    pipeline = parse_pipeline(
        "pipeline: {name: n, requirements: req.txt, tasks: [{name: a, type: py, py_path: a.py}]}",
        tmp_path,
    )
    result = await run_pipeline(pipeline, JOB, workspace=tmp_path, log_path=tmp_path / "j.log")
    assert result.succeeded, result.failure
    assert "requirements 'req.txt' met" in (tmp_path / "j.log").read_text()


async def test_unmet_requirements_fail_the_job_before_any_task(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "open('ran', 'w')")
    write(tmp_path, "req.txt", "pyyaml<1\nno-such-package-here==1.0\n-e ./local\n")
    pipeline = parse_pipeline(
        "pipeline: {name: n, requirements: req.txt, tasks: [{name: a, type: py, py_path: a.py}]}",
        tmp_path,
    )
    result = await run_pipeline(pipeline, JOB, workspace=tmp_path, log_path=tmp_path / "j.log")
    assert result.failure is not None
    assert "'pyyaml<1' (" in result.failure and "installed)" in result.failure
    assert "'no-such-package-here==1.0' (not installed)" in result.failure
    assert "'-e ./local' (options" in result.failure
    assert "does not install requirements" in result.failure
    assert "pip install -r 'req.txt'" in result.failure
    assert not (tmp_path / "ran").exists()


async def test_a_value_the_os_refuses_fails_the_task_with_a_reason(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "")
    pipeline = parse_pipeline(
        "pipeline: {name: n, tasks: [{name: a, type: py, py_path: a.py}]}", tmp_path
    )
    job = JobContext("j", "r", 1, {"BAD": "nul\x00byte"})
    result = await run_pipeline(pipeline, job, workspace=tmp_path, log_path=tmp_path / "j.log")
    assert result.failure is not None
    assert result.failure.startswith("task 'a' could not start")


def test_unsafe_bare_names_stay_prefixed_only() -> None:
    parameters = {
        "PATH": "/evil",
        "ld_preload": "/evil.so",
        "PYTHONPATH": "/evil",
        "HOME": "/evil",
        "BASH_ENV": "/evil.sh",
        "HYPERPLANE_JOB_ID": "forged",
        "orchestrator_run": "r1",
        "FILE_ID": "42",
    }
    base = {"PATH": "/bin", "HOME": "/home/me"}
    env = task_environment(base, JobContext("j", "r", 1, parameters))
    assert env["FILE_ID"] == "42"
    assert env["HOME"] == "/home/me" and env["HYPERPLANE_JOB_ID"] == "j"
    for name in ("LD_PRELOAD", "BASH_ENV", "ORCHESTRATOR_RUN"):
        assert name not in env
        assert env[f"HYPERPLANE_JOB_PARAMETER_{name}"]
    # the platform's own PYTHONPATH (the job helpers), never the parameter's
    assert env["PYTHONPATH"] == str(SDK_PATH)
    assert env["HYPERPLANE_JOB_PARAMETER_PYTHONPATH"] == "/evil"
    assert withheld_bare_names(parameters) == [
        "BASH_ENV",
        "HOME",
        "HYPERPLANE_JOB_ID",
        "LD_PRELOAD",
        "ORCHESTRATOR_RUN",
        "PATH",
        "PYTHONPATH",
    ]


def test_orchestrator_variables_of_the_platform_never_reach_a_job() -> None:
    base = {
        "PATH": "/bin",
        "ORCHESTRATOR_TOKEN": "secret-1",
        "ORCHESTRATOR_PLATFORM_TOKEN": "secret-2",
        "orchestrator_endpoint": "http://x",
        "LANG": "C.UTF-8",
    }
    env = task_environment(base, JobContext("j", "r", 1, {"ORCHESTRATOR_RUN": "r1"}))
    assert not [k for k in env if k.upper().startswith("ORCHESTRATOR_")]
    values = " ".join(env.values())  # PATH holds this checkout's folder, whatever its name
    assert "secret-1" not in values and "secret-2" not in values
    assert env["LANG"] == "C.UTF-8"
    assert env["HYPERPLANE_JOB_PARAMETER_ORCHESTRATOR_RUN"] == "r1"


def test_platform_notes_in_a_job_log_are_one_line_each(tmp_path: Path) -> None:
    log = tmp_path / "j.log"
    append_note(log, "pipeline refused: x\ntouch pwned\r\u2028")
    lines = log.read_text().splitlines()
    assert len(lines) == 1 and lines[0].endswith("x\\ntouch pwned\\r\\u2028"), lines
