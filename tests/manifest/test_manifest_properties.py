"""Property tests: counting agrees with expansion, keys are unique and stable, and any input
either loads or fails with a ManifestError (never another exception)."""

from __future__ import annotations

import itertools
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.manifest import ManifestError, load_manifest
from orchestrator.manifest.axes import Axis
from orchestrator.manifest.matrix import Matrix
from orchestrator.manifest.templates import render_value

VALUES = st.sampled_from([0, 1, 2, "0", "a", "b", True, 0.5])
NAMES = st.sampled_from(["a", "b", "c", "d"])

axes_strategy = st.dictionaries(
    NAMES,
    st.lists(VALUES, min_size=1, max_size=4, unique_by=render_value),
    max_size=3,
)


@st.composite
def matrices(
    draw: st.DrawFn,
) -> tuple[dict[str, list[Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    axes = draw(axes_strategy)
    names = list(axes)
    exclude: list[dict[str, Any]] = []
    if names:
        exclude = draw(
            st.lists(st.dictionaries(st.sampled_from(names), VALUES, min_size=1), max_size=3)
        )
    include = draw(
        st.lists(
            st.dictionaries(st.sampled_from(["a", "b", "c", "d", "x", "y"]), VALUES, min_size=1),
            max_size=4,
            unique_by=lambda d: tuple(sorted((k, render_value(v)) for k, v in d.items())),
        )
    )
    if not names and not include:
        include = [{"x": 1}]
    return axes, exclude, include


def reference(
    axes: dict[str, list[Any]], exclude: list[dict[str, Any]], include: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """GitHub's rules written the obvious (quadratic, eager) way."""
    names = list(axes)
    combos = [dict(zip(names, vals, strict=True)) for vals in itertools.product(*axes.values())]
    if not names:
        combos = []
    combos = [
        c
        for c in combos
        if not any(
            all(render_value(c[k]) == render_value(v) for k, v in e.items()) for e in exclude
        )
    ]
    originals = [dict(c) for c in combos]
    extra = []
    for entry in include:
        matched = False
        for combo, original in zip(combos, originals, strict=True):
            if all(
                render_value(original[k]) == render_value(v)
                for k, v in entry.items()
                if k in original
            ):
                combo.update(entry)
                matched = True
        if not matched:
            extra.append(dict(entry))
    return combos + extra


@given(matrices())
@settings(max_examples=300, deadline=None)
def test_matrix_matches_reference_and_count_is_exact(
    spec: tuple[dict[str, list[Any]], list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    axes, exclude, include = spec
    m = Matrix([Axis(k, v) for k, v in axes.items()], exclude, include)
    combos = list(m.combinations())
    assert combos == reference(axes, exclude, include)
    assert m.count() == len(combos)


def _manifest_text(axes: dict[str, list[Any]], exclude: list[Any], include: list[Any]) -> str:
    matrix: dict[str, Any] = dict(axes)
    if exclude:
        matrix["exclude"] = exclude
    if include:
        matrix["include"] = include
    doc = {
        "name": "prop",
        "defaults": {"pipelineYamlPath": "p.yaml"},
        "jobs": [{"matrix": matrix, "name": "j-{{ index }}"}, {"name": "solo"}],
    }
    return yaml.safe_dump(doc)


@given(matrices())
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_manifest_keys_unique_stable_and_count_matches(
    spec: tuple[dict[str, list[Any]], list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.yaml"
        path.write_text(_manifest_text(*spec))
        try:
            manifest = load_manifest(path)
        except ManifestError as exc:
            # the only legitimate refusals for these inputs
            assert all(
                "makes no jobs" in i.message or "built-in" in i.message for i in exc.issues
            ), str(exc)
            return
        jobs = list(manifest.jobs())
        keys = [job.key for job in jobs]
        assert manifest.count() == len(jobs)
        assert len(set(keys)) == len(keys)
        assert all(re.fullmatch(r"[A-Za-z0-9._-]{1,100}", key) for key in keys)
        assert keys == [job.key for job in load_manifest(path).jobs()]
        assert [job.index for job in jobs] == list(range(len(jobs)))


def _load_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            manifest = load_manifest(path)
        except ManifestError as exc:
            assert exc.issues and all(i.line >= 1 and i.column >= 1 for i in exc.issues)
            return
        count = manifest.count()
        jobs = list(itertools.islice(manifest.jobs(), 200))
        assert len(jobs) == min(count, 200)


@given(st.text(alphabet=st.sampled_from(list("{}[]:-,&*!|>'\"#\n\t abjos%@<=1.\\")), max_size=80))
@settings(max_examples=300, deadline=None)
def test_random_yaml_text_loads_or_fails_cleanly(text: str) -> None:
    _load_text(text)


KEYS = st.sampled_from(
    [
        "name",
        "jobs",
        "defaults",
        "policy",
        "matrix",
        "items",
        "include",
        "exclude",
        "range",
        "file",
        "glob",
        "parameters",
        "pipelineYamlPath",
        "timeout",
        "maxRetries",
        "schedule",
        "retry",
        "on",
        "maxJobs",
        "deadline",
        "a",
        "index",
        "exposedPort",
        "pinned",
        "group",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 5),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True),
    st.sampled_from(["x", "{{ a }}", "{{ index }}", "{{", "0 2 * * *", "10s", "p.yaml", "failed"]),
)
TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=4)
    ),
    max_leaves=25,
)


@given(st.dictionaries(KEYS, TREES, max_size=5))
@settings(max_examples=300, deadline=None)
def test_random_structures_load_or_fail_cleanly(doc: dict[str, Any]) -> None:
    _load_text(yaml.safe_dump(doc))


GROUPS = st.lists(st.dictionaries(KEYS, TREES, max_size=5), min_size=1, max_size=3)


@given(GROUPS, st.dictionaries(KEYS, TREES, max_size=3))
@settings(max_examples=200, deadline=None)
def test_random_job_groups_load_or_fail_cleanly(
    groups: list[dict[str, Any]], policy: dict[str, Any]
) -> None:
    doc = {"name": "fuzz", "defaults": {"pipelineYamlPath": "p.yaml"}, "jobs": groups}
    if policy:
        doc["policy"] = policy
    _load_text(yaml.safe_dump(doc))
