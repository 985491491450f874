"""GitHub Actions' documented matrix examples, with their documented results.

Source: docs.github.com, "Running variations of jobs in a workflow": sections "Expanding or
adding matrix configurations", "Example: Expanding configurations", "Example: Adding
configurations" and "Excluding matrix configurations".
"""

from __future__ import annotations

from typing import Any

from orchestrator.manifest.axes import Axis
from orchestrator.manifest.matrix import Matrix


def matrix(spec: dict[str, Any]) -> Matrix:
    axes = [Axis(k, v) for k, v in spec.items() if k not in ("include", "exclude")]
    return Matrix(axes, spec.get("exclude", []), spec.get("include", []))


def expand(spec: dict[str, Any]) -> list[dict[str, Any]]:
    m = matrix(spec)
    combos = list(m.combinations())
    assert m.count() == len(combos)
    return combos


def test_include_fruit_animal_example_gives_documented_six_combinations() -> None:
    combos = expand(
        {
            "fruit": ["apple", "pear"],
            "animal": ["cat", "dog"],
            "include": [
                {"color": "green"},
                {"color": "pink", "animal": "cat"},
                {"fruit": "apple", "shape": "circle"},
                {"fruit": "banana"},
                {"fruit": "banana", "animal": "cat"},
            ],
        }
    )
    assert combos == [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]


def test_include_expanding_configuration_adds_npm_to_matching_combination() -> None:
    combos = expand(
        {
            "os": ["windows-latest", "ubuntu-latest"],
            "node": [14, 16],
            "include": [{"os": "windows-latest", "node": 16, "npm": 6}],
        }
    )
    assert combos == [
        {"os": "windows-latest", "node": 14},
        {"os": "windows-latest", "node": 16, "npm": 6},
        {"os": "ubuntu-latest", "node": 14},
        {"os": "ubuntu-latest", "node": 16},
    ]


def test_include_adding_configuration_makes_a_tenth_job() -> None:
    combos = expand(
        {
            "os": ["macos-latest", "windows-latest", "ubuntu-latest"],
            "version": [12, 14, 16],
            "include": [{"os": "windows-latest", "version": 17}],
        }
    )
    assert len(combos) == 10
    assert combos[-1] == {"os": "windows-latest", "version": 17}


def test_include_only_matrix_runs_each_entry() -> None:
    combos = expand(
        {
            "include": [
                {"site": "production", "datacenter": "site-a"},
                {"site": "staging", "datacenter": "site-b"},
            ]
        }
    )
    assert combos == [
        {"site": "production", "datacenter": "site-a"},
        {"site": "staging", "datacenter": "site-b"},
    ]


def test_exclude_documented_example_leaves_nine_jobs() -> None:
    combos = expand(
        {
            "os": ["macos-latest", "windows-latest"],
            "version": [12, 14, 16],
            "environment": ["staging", "production"],
            "exclude": [
                {"os": "macos-latest", "version": 12, "environment": "production"},
                {"os": "windows-latest", "version": 16},
            ],
        }
    )
    assert len(combos) == 9
    assert {"os": "macos-latest", "version": 12, "environment": "production"} not in combos
    assert not [c for c in combos if c["os"] == "windows-latest" and c["version"] == 16]


def test_exclude_removes_partial_matches() -> None:
    combos = expand({"a": [1, 2], "b": [1, 2, 3], "exclude": [{"b": 2}]})
    assert combos == [{"a": 1, "b": 1}, {"a": 1, "b": 3}, {"a": 2, "b": 1}, {"a": 2, "b": 3}]


def test_include_adds_back_an_excluded_combination_after_exclude() -> None:
    combos = expand(
        {
            "os": ["linux", "mac"],
            "py": ["3.11", "3.12"],
            "exclude": [{"os": "mac"}],
            "include": [{"os": "mac", "py": "3.12"}],
        }
    )
    assert combos == [
        {"os": "linux", "py": "3.11"},
        {"os": "linux", "py": "3.12"},
        {"os": "mac", "py": "3.12"},
    ]


def test_include_never_overwrites_original_values_but_overwrites_added_ones() -> None:
    combos = expand(
        {
            "a": [1, 2],
            "include": [{"x": "first"}, {"a": 1, "x": "second"}, {"a": 3, "x": "new"}],
        }
    )
    assert combos == [{"a": 1, "x": "second"}, {"a": 2, "x": "first"}, {"a": 3, "x": "new"}]


def test_include_does_not_extend_combinations_made_by_other_includes() -> None:
    combos = expand({"a": [1], "include": [{"a": 2}, {"a": 2, "b": 1}]})
    assert combos == [{"a": 1}, {"a": 2}, {"a": 2, "b": 1}]


def test_values_compare_by_rendered_text() -> None:
    combos = expand({"v": [1, 2], "exclude": [{"v": "1"}]})
    assert combos == [{"v": 2}]


def test_overlapping_excludes_are_counted_once() -> None:
    spec = {
        "a": list(range(5)),
        "b": list(range(4)),
        "c": list(range(3)),
        "exclude": [{"a": 1}, {"b": 2}, {"a": 1, "b": 2}, {"a": 3, "c": 0}, {"c": 9}],
    }
    combos = expand(spec)
    assert len(combos) == 60 - 12 - 15 + 3 - 4 + 1


def test_everything_excluded_turns_includes_into_new_combinations() -> None:
    combos = expand({"a": [1], "exclude": [{"a": 1}], "include": [{"b": 2}]})
    assert combos == [{"b": 2}]


def test_range_axis_counts_without_materialising() -> None:
    m = Matrix([Axis("i", range(1000)), Axis("j", range(1000))], [{"i": 5}], [{"j": 7, "k": 1}])
    assert m.count() == 999_000
