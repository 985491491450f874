"""What a run says at its end agrees with itself (issue 22, item 7): after Ctrl-C the
summary counts every job of the run (not only those admitted so far) and the last progress
line shows the same numbers; no log line lands between the "Interrupted" notice and how to
resume; a run of cron jobs says they are scheduled, not done."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from orchestrator.ledger import Ledger
from tests.helpers.cli import cli, connection, spawn_cli, write_manifest
from tests.helpers.runs import only_run_id
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.integration

TWELVE = """\
version: 1
name: twelve
defaults: {pipelineYamlPath: p.yaml, timeout: 600}
jobs:
  - name: "long-{{ i }}"
    matrix: {i: {range: [0, 12]}}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "120"}
policy: {maxInFlight: 2}
"""


def test_the_summary_after_ctrl_c_counts_every_job_and_the_last_line_agrees(
    platform: Any, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path, TWELVE)
    state = tmp_path / "state"
    proc = spawn_cli("run", manifest, *connection(platform, state), "--progress-interval", "60")

    def two_running() -> bool:
        if not (state / "ledger.db").exists():
            return False
        with Ledger(state) as ledger:
            runs = ledger.list_runs()
            return bool(runs) and ledger.counts(runs[0].id).by_status.get("in progress") == 2

    try:
        wait_for(two_running, timeout=60, what="two jobs in progress")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    rows = dict(line.split(None, 1) for line in out.splitlines()[1:] if line.strip())
    assert rows["jobs"].strip() == "12"  # not the 2 or 3 admitted so far
    assert rows["unfinished"].strip() == "12"
    assert "unfinished 12" in err  # the last progress line: the summary's numbers
    # the notice, the last progress line, then how to go on: no log line in between
    notice = err.index("Interrupted: finishing requests in flight")
    assert notice < err.index("unfinished 12") < err.index(f"Run {only_run_id(state)} interrupted;")
    assert "run.stop" not in err
    cli("cancel", only_run_id(state), *connection(platform, state), "--yes")


CRON = """\
version: 1
name: nightly
defaults: {pipelineYamlPath: p.yaml}
jobs:
  - name: nightly
    schedule: "0 5 * * 1"
PLAIN"""


def test_a_cron_runs_headline_says_scheduled_not_done(platform: Any, tmp_path: Path) -> None:
    only_cron = write_manifest(tmp_path, CRON.replace("PLAIN", ""), name="cron.yaml")
    result = cli("run", only_cron, *connection(platform, tmp_path / "a"))
    assert result.returncode == 0, result.stderr
    assert ": 1 cron job scheduled (the platform fires their runs)" in result.stdout
    assert "all jobs done" not in result.stdout

    mixed = CRON.replace(
        "PLAIN", "  - name: plain\n    parameters: {SIM_OUTCOME: done, SIM_DURATION: '0.05'}\n"
    )
    both = write_manifest(tmp_path, mixed, name="mixed.yaml")
    result = cli("run", both, *connection(platform, tmp_path / "b"))
    assert result.returncode == 0, result.stderr
    assert ": all jobs done, 1 cron job scheduled\n" in result.stdout
