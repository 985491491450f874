"""`orchestrator plan` and `orchestrator schema`: counts, tables, JSON, exit code 2 on errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestrator.cli import main

MANIFEST = """\
name: cli
defaults: {pipelineYamlPath: p.yaml, timeout: 60}
jobs:
  - name: "j-{{ a }}"
    matrix: {a: {range: [30]}}
    parameters: {A: "{{ a }}"}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    return path


def test_plan_count_prints_the_number_only(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plan", str(_write(tmp_path, MANIFEST)), "--count"])
    assert result.exit_code == 0
    assert result.output == "30\n"


def test_plan_table_shows_count_and_first_jobs(tmp_path: Path) -> None:
    path = _write(tmp_path, MANIFEST)
    result = CliRunner().invoke(main, ["plan", str(path), "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"30 jobs in {path}")
    assert "cli-j-2" in result.output and "cli-j-3" not in result.output
    assert "... and 27 more" in result.output


def test_plan_header_stays_one_line_for_a_long_path_with_brackets(tmp_path: Path) -> None:
    """Piped output is 80 columns wide: the header line must not wrap or eat [markup]."""
    folder = tmp_path / ("a-rather-long-folder-name-" * 4) / "[bold]x"
    folder.mkdir(parents=True)
    path = _write(folder, MANIFEST)
    result = CliRunner().invoke(main, ["plan", str(path), "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"30 jobs in {path}"


@pytest.mark.parametrize("value", ["[/b]", "[bold]", "[/]", "[link=x]y"])
def test_plan_prints_values_that_look_like_markup_as_they_are(tmp_path: Path, value: str) -> None:
    """A parameter value is data: rich must neither style it nor fail on it (a stray
    closing tag was a MarkupError traceback)."""
    (tmp_path / "p.yaml").write_text("pipeline: {name: p, tasks: []}\n")
    body = "name: t\ndefaults: {pipelineYamlPath: p.yaml}\njobs:\n  - name: j\n"
    path = _write(tmp_path, body + f"    parameters: {{A: '{value}'}}\n")
    result = CliRunner().invoke(main, ["plan", str(path)])
    assert result.exit_code == 0, result.output
    assert f"A={value}" in result.output


def test_print_table_on_a_terminal_prints_markup_like_cells_as_they_are() -> None:
    import io

    from orchestrator.cli.output import print_table

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    print_table(["name"], [["[/b]x"]], out=out)
    assert "[/b]x" in out.getvalue()


def test_plan_json_lists_every_job_with_fields_and_parameters(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plan", str(_write(tmp_path, MANIFEST)), "--output", "json"])
    assert result.exit_code == 0, result.output
    jobs = json.loads(result.output)
    assert len(jobs) == 30
    first = jobs[0]
    assert first["name"] == "cli-j-0"
    assert first["matrix"] == {"a": 0}
    assert first["pipelineYamlPath"] == "p.yaml" and first["timeout"] == 60
    assert first["parameters"] == {"A": "0"}
    assert len({job["key"] for job in jobs}) == 30


def test_plan_bad_manifest_exits_2_with_every_issue(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: t\njobz: []\npolicy: {maxJobs: -1}\n")
    result = CliRunner().invoke(main, ["plan", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2:1: unknown key 'jobz' in the document (did you mean jobs?)" in result.output
    assert f"{path}:3:19: policy.maxJobs must be >= 1, got -1" in result.output
    assert "problems found" in result.output


def test_plan_bad_manifest_in_a_real_process_has_no_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, "jobs: [{timeout: -9}]\n")
    proc = subprocess.run(
        [sys.executable, "-m", "orchestrator", "plan", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{path}:1:18: jobs[0].timeout must be >= -1" in proc.stderr
    assert proc.stdout == ""


def test_plan_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plan", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 2
    assert "absent.yaml:1:1: no such file" in result.output


def test_schema_is_json_schema_naming_every_api_field() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["$schema"].startswith("https://json-schema.org/")
    group = schema["$defs"]["group"]["properties"]
    for field in ("jobType", "pipelineYamlPath", "timeout", "maxRetries", "schedule", "matrix"):
        assert field in group
    assert schema["properties"]["policy"]["properties"]["retry"]["properties"]["on"]
