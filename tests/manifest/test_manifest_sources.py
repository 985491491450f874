"""Small rules: durations, templates, and the errors of range/file/glob sources."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.manifest import ManifestError, load_manifest
from orchestrator.manifest.durations import parse_duration
from orchestrator.manifest.templates import TemplateSyntaxError, compile_template, render_value

Errors = Callable[[str], list[str]]
Write = Callable[..., Path]
BASE = "name: t\ndefaults: {pipelineYamlPath: p.yaml}\njobs:\n"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (90, 90.0),
        (1.5, 1.5),
        ("10s", 10.0),
        ("5m", 300.0),
        ("2h", 7200.0),
        ("1h30m", 5400.0),
        ("500ms", 0.5),
        ("1d", 86400.0),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["2 hours", "-5s", -1, True, "", "5x", None])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_template_renders_variables() -> None:
    template = compile_template("{{a}}-{{ row }}-{{ missing }}!")
    assert template.render({"a": 1.5, "row": {"x": True}}) == '1.5-{"x":true}-!'
    assert compile_template("plain").is_literal


@pytest.mark.parametrize("text", ["{{ row.x }}", "{{ index.__class__ }}", "{{ v['k'] }}"])
def test_templates_refuse_look_ups(text: str) -> None:
    with pytest.raises(TemplateSyntaxError, match="templates name variables only"):
        compile_template(text)


@pytest.mark.parametrize("text", ["{{ a + b }}", "{{ a | upper }}", "{{ f() }}", "x {{ a", "{{}}"])
def test_templates_refuse_anything_but_names(text: str) -> None:
    with pytest.raises(TemplateSyntaxError):
        compile_template(text)


def test_render_value_forms() -> None:
    assert [render_value(v) for v in ("s", 3, 0.1, False, None, [1, "a"], {"b": 1})] == [
        "s",
        "3",
        "0.1",
        "false",
        "",
        '[1,"a"]',
        '{"b":1}',
    ]


def test_range_errors(errors: Errors) -> None:
    found = errors(
        BASE
        + "  - matrix: {a: {range: [0, 5, 0]}}\n"
        + "  - matrix: {b: {range: [x]}}\n"
        + "  - matrix: {c: {range: [5, 0]}}\n"
        + "  - matrix: {d: {rnage: [5]}}\n"
    )
    assert any("range step must not be 0" in line for line in found)
    assert any("range bounds must be numbers" in line for line in found)
    assert any("matrix axis 'c' has no values" in line for line in found)
    assert any("did you mean range?" in line for line in found)


def test_huge_ranges_are_refused_not_crashed(errors: Errors) -> None:
    found = errors(
        BASE
        + "  - matrix: {a: {range: [100000000000000000000]}}\n"
        + "  - matrix: {b: {range: [0, 1.0e+300, 1.0e-300]}}\n"
        + "  - matrix: {c: {range: [0, 1e5]}}\n"
    )
    assert any("range has 1e+20 values" in line for line in found)
    assert any("range has too many values" in line for line in found)
    assert any("got '1e5' (YAML reads 1e5 as text; write 1.0e+5)" in line for line in found)


def test_an_invalid_axis_does_not_make_its_exclude_unknown(errors: Errors) -> None:
    found = errors(BASE + "  - matrix: {a: {range: [x]}, exclude: [{a: 1}]}\n")
    assert len(found) == 1 and "range bounds must be numbers" in found[0]


def test_file_source_errors(errors: Errors, write: Write) -> None:
    (write("", "empty.csv").parent / "latin.txt").write_bytes(b"caf\xe9\n")
    write('{"a": 1}\nnot json\n', "bad.jsonl")
    write("a: 1\n", "notalist.yaml")
    found = errors(
        BASE
        + "  - matrix: {a: {file: empty.csv}}\n"
        + "  - matrix: {b: {file: latin.txt}}\n"
        + "  - matrix: {c: {file: bad.jsonl}}\n"
        + "  - items: {file: notalist.yaml}\n"
    )
    assert any("empty.csv has no header row" in line for line in found)
    assert any("latin.txt is not UTF-8" in line for line in found)
    assert any("bad.jsonl line 2 is not JSON" in line for line in found)
    assert any("notalist.yaml must hold a list" in line for line in found)


def test_glob_errors(errors: Errors) -> None:
    found = errors(BASE + "  - matrix: {a: {glob: '/etc/*'}}\n  - matrix: {b: {glob: 'no/*.x'}}\n")
    assert any("relative to the manifest's directory" in line for line in found)
    # the glob is named (issue 22), not only "matrix axis 'b' has no values"
    assert any("glob 'no/*.x' matches no file" in line for line in found)


def test_items_errors(errors: Errors) -> None:
    found = errors(
        BASE + "  - items: [{a: 1}, {a: 1}]\n  - items: []\n  - items: [3]\n  - items: 7\n"
    )
    assert any("item 2 repeats item 1" in line for line in found)
    assert any("items is empty" in line for line in found)
    assert any("item 1 must be a non-empty mapping, got a number" in line for line in found)
    assert any("items must be a list of mappings" in line for line in found)


def test_devices_are_not_input_files(tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(BASE + "  - matrix: {a: {file: /dev/zero}}\n")
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest, allow_outside=["/dev"])
    assert "file /dev/zero: this is a device, not a regular file" in str(caught.value)


def test_a_fifo_as_an_input_file_is_refused_at_once(tmp_path: Path) -> None:
    """Opening a FIFO waits for a writer: the load must refuse it, not hang."""
    os.mkfifo(tmp_path / "rows.txt")
    manifest = tmp_path / "m.yaml"
    manifest.write_text(BASE + "  - matrix: {a: {file: rows.txt}}\n")
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest)
    assert "file rows.txt: this is a FIFO (named pipe), not a regular file" in str(caught.value)
