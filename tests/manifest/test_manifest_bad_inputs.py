"""Every bad manifest of ``bad_manifests.CASES`` is refused at load time, at its line and
column, and ``plan`` says so in one line per issue with exit 2 (no traceback)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestrator.cli import main
from orchestrator.manifest import ManifestError, load_manifest

from .bad_manifests import CASES, BadManifest


def test_the_table_holds_at_least_40_bad_manifests_of_every_family() -> None:
    families = Counter(case.family for case in CASES)
    assert sum(families.values()) >= 40
    assert set(families) == {"outside", "text", "int32", "names", "templates"}
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_manifest_is_refused_at_its_line_and_column(case: BadManifest, tmp_path: Path) -> None:
    path = case.write(tmp_path)
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    located = [(i.line, i.column) for i in caught.value.issues if case.message in i.message]
    assert (case.line, case.column) in located, str(caught.value)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_plan_of_a_bad_manifest_exits_2_with_file_line_col(
    case: BadManifest, tmp_path: Path
) -> None:
    path = case.write(tmp_path)
    result = CliRunner().invoke(main, ["plan", str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    expected = f"{path}:{case.line}:{case.column}: "
    assert any(
        line.startswith(expected) and case.message in line for line in result.output.splitlines()
    ), result.output


def test_allow_outside_lets_a_source_read_a_named_folder(tmp_path: Path) -> None:
    data = tmp_path / "shared"
    data.mkdir()
    (data / "inputs.txt").write_text("a\nb\n")
    folder = tmp_path / "project"
    folder.mkdir()
    manifest = folder / "m.yaml"
    manifest.write_text(
        "name: t\ndefaults: {pipelineYamlPath: p.yaml}\n"
        "jobs:\n  - matrix: {f: {file: ../shared/inputs.txt}}\n"
    )
    with pytest.raises(ManifestError, match="outside the manifest's folder"):
        load_manifest(manifest)
    loaded = load_manifest(manifest, allow_outside=[data])
    assert [job.matrix["f"] for job in loaded.jobs()] == ["a", "b"]
    result = CliRunner().invoke(
        main, ["plan", "--count", "--allow-outside", str(data), str(manifest)]
    )
    assert (result.exit_code, result.output.strip()) == (0, "2")


def test_allow_outside_never_opens_kernel_files(tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        "name: t\ndefaults: {pipelineYamlPath: p.yaml}\n"
        "jobs:\n  - matrix: {e: {file: /proc/self/environ}}\n"
    )
    with pytest.raises(ManifestError, match="kernel file"):
        load_manifest(manifest, allow_outside=["/"])


def test_symlinks_inside_the_folder_are_fine(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("x\ny\n")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a")
    (tmp_path / "alias").symlink_to(tmp_path / "data")
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        "name: t\ndefaults: {pipelineYamlPath: p.yaml}\njobs:\n"
        "  - matrix: {f: {file: link.txt}, g: {glob: 'alias/*.txt'}}\n"
    )
    assert [job.matrix["f"] for job in load_manifest(manifest).jobs()] == ["x", "y"]


def test_a_csv_field_beyond_128_kib_loads(tmp_path: Path) -> None:
    big = "x" * 300_000
    (tmp_path / "rows.csv").write_text(f"a,b\n{big},1\n")
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        "name: t\ndefaults: {pipelineYamlPath: p.yaml}\njobs:\n  - items: {file: rows.csv}\n"
    )
    (job,) = load_manifest(manifest).jobs()
    assert job.matrix["a"] == big
