"""cancel by selection against a real local platform: safe scopes (--all), every --where
operator, --older-than, malformed terms, the prompt's endpoint and samples, wait and report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.model import JobStatus
from tests.helpers.bulk import conn, create, job, statuses
from tests.helpers.cli import invoke
from tests.helpers.wait import wait_for

CRON = "0 5 * * 1"


def test_scheduled_leaves_unlabelled_jobs_alone_unless_all(platform: Any, tmp_path: Path) -> None:
    ids = create(
        platform,
        [job(schedule=CRON), job(schedule=CRON), job(run=None, schedule=CRON), job()],
    )
    labelled, unlabelled, running = ids[:2], ids[2], ids[3]
    asked = invoke("cancel", "--scheduled", *conn(platform, tmp_path), input="n\n")
    assert f"2 unfinished job(s) match status=scheduled and made by an orchestrator run on " \
           f"{platform.url}" in asked.stderr  # fmt: skip
    assert all(i in asked.stderr for i in labelled) and unlabelled not in asked.stderr
    assert statuses(platform, labelled) == [JobStatus.SCHEDULED] * 2

    safe = invoke("cancel", "--scheduled", *conn(platform, tmp_path), "--yes", "-o", "json")
    assert safe.returncode == 0, safe.stderr
    report = json.loads(safe.stdout)
    assert (report["matched"], report["cancelled"], report["still_running"]) == (2, 2, 0)
    after = statuses(platform, [*labelled, unlabelled, running])
    assert after[:3] == [JobStatus.CANCELLED, JobStatus.CANCELLED, JobStatus.SCHEDULED]
    assert not after[3].is_final  # not scheduled: not selected

    everyone = invoke("cancel", "--scheduled", "--all", *conn(platform, tmp_path), "--yes", "-o",
                   "json")  # fmt: skip
    assert json.loads(everyone.stdout)["cancelled"] == 1
    assert statuses(platform, [unlabelled]) == [JobStatus.CANCELLED]


def dry(platform: Any, tmp_path: Path, *args: str) -> set[str]:
    result = invoke("cancel", *args, *conn(platform, tmp_path), "--dry-run", "-o", "json")
    assert result.returncode == 0, result.stderr
    return {item["id"] for item in json.loads(result.stdout)["items"]}


def test_every_where_operator_selects_what_it_says(platform: Any, tmp_path: Path) -> None:
    a, b, c, d = create(
        platform,
        [
            job({"SOURCE": "s3://a"}, jobType="train", owner="ada"),
            job({"SOURCE": "s3://b"}, jobType="train", owner="bob"),
            job({"SOURCE": "gs://c"}, jobType="eval", owner="ada"),
            job({}, jobType="eval", pipelineYamlPath="other.yaml"),
        ],
    )
    wait_for(lambda: set(statuses(platform, [a, b, c, d])) == {JobStatus.IN_PROGRESS}, 60)
    assert dry(platform, tmp_path, "--where", "SOURCE=s3://a") == {a}
    assert dry(platform, tmp_path, "--where", "SOURCE!=s3://a") == {b, c, d}
    assert dry(platform, tmp_path, "--where", "SOURCE^=s3://") == {a, b}
    assert dry(platform, tmp_path, "--where", "SOURCE in (s3://b, gs://c)") == {b, c}
    assert dry(platform, tmp_path, "--where", "jobType=eval") == {c, d}
    assert dry(platform, tmp_path, "--where", "owner!=ada") == {b}
    assert dry(platform, tmp_path, "--where", "pipelineYamlPath^=oth") == {d}
    assert dry(platform, tmp_path, "--where", "jobType in (train)", "--where", "owner=ada") == {a}
    both = ("--where", "status=in progress", "--where", "status=pending")
    assert dry(platform, tmp_path, *both) == set()  # statuses are ANDed too
    assert dry(platform, tmp_path, "--where", "status=in progress") == {a, b, c, d}
    assert dry(platform, tmp_path, "--older-than", "1h") == set()  # all started just now
    assert dry(platform, tmp_path, "--older-than", "0s") == {a, b, c, d}
    assert dry(platform, tmp_path, "--run", "r1", "--where", "jobType=train") == {a, b}
    assert dry(platform, tmp_path, "--run", "r2") == set()

    text = invoke("cancel", "--where", "jobType=train", *conn(platform, tmp_path), "--yes")
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == [
        "matched: 2",
        "cancelled: 2",
        "already_final: 0",
        "not_found: 0",
        "still_running: 0",
    ]
    assert (
        statuses(platform, [a, b, c, d]) == [JobStatus.CANCELLED] * 2 + [JobStatus.IN_PROGRESS] * 2
    )


def test_malformed_terms_exit_two_with_the_grammar(tmp_path: Path) -> None:
    target = ["--endpoint", "http://127.0.0.1:9/graphql", "--token", "t", "--state-dir",
              str(tmp_path)]  # fmt: skip
    for term in ("SOURCE", "K==x", "status=running", "K in (a,,b)"):
        result = invoke("cancel", "--where", term, *target)
        assert result.returncode == 2, (term, result.stderr)
        assert result.stderr.count("\n") == 1 and repr(term) in result.stderr
    assert "accepted: NAME=VALUE" in invoke("cancel", "--where", "SOURCE", *target).stderr
    assert invoke("cancel", "--older-than", "soon", *target).returncode == 2
    assert invoke("cancel", "--state-dir", tmp_path).returncode == 2


def test_an_unreachable_endpoint_exits_three_in_one_line(tmp_path: Path) -> None:
    target = ["--endpoint", "http://127.0.0.1:9/graphql", "--token", "t", "--state-dir",
              str(tmp_path)]  # fmt: skip
    result = invoke("cancel", "--scheduled", *target, "--yes")
    assert result.returncode == 3, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
