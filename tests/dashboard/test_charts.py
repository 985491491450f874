"""The dashboard's SVG charts: well-formed standalone documents for any input, safe inside an
``<img>``, bounded in size, deterministic, and saying what they show."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.dashboard import charts
from orchestrator.dashboard.charts import (
    STATUS_COLOURS,
    duration_histogram,
    human_seconds,
    per_minute,
    progress_over_time,
)
from orchestrator.model import JobStatus

NS = "{http://www.w3.org/2000/svg}"
DONE = STATUS_COLOURS[JobStatus.DONE]
IN_PROGRESS = STATUS_COLOURS[JobStatus.IN_PROGRESS]
T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
NAN, INF = math.nan, math.inf

# any float, the bad ones included: they must be left out, never crash a chart
floats = st.floats(allow_nan=True, allow_infinity=True)
durations = st.lists(
    st.one_of(floats, st.floats(0, 1e9), st.sampled_from([0.0, -1.0, 1e9, NAN, INF, -INF])),
    max_size=200,
)
counts = st.lists(st.one_of(st.integers(-5, 10**9), st.integers(0, 50)), max_size=120)
progress = st.lists(
    st.tuples(st.one_of(floats, st.floats(T0, T0 + 86400)), st.integers(-5, 10**9)),
    max_size=200,
)


def parse(svg: str) -> ET.Element:
    """The document, checked to be a standalone, accessible SVG that is safe as an image."""
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    width, height = int(root.attrib["width"]), int(root.attrib["height"])
    assert root.attrib["viewBox"] == f"0 0 {width} {height}"
    assert root.attrib["role"] == "img"
    title = root.find(f"{NS}title")
    assert title is not None and title.text
    assert root.attrib["aria-label"] == title.text
    assert "\n" not in title.text
    lowered = svg.lower()
    assert "<script" not in lowered
    assert "href" not in lowered
    assert "foreignobject" not in lowered
    assert "url(" not in lowered
    for element in root.iter():
        assert not [name for name in element.attrib if name.lower().startswith("on")]
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}text")]


def bars(root: ET.Element, colour: str) -> list[ET.Element]:
    return [r for r in root.iter(f"{NS}rect") if r.attrib.get("fill") == colour]


def title(root: ET.Element) -> str:
    element = root.find(f"{NS}title")
    assert element is not None and element.text
    return element.text


# -- empty data -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "svg",
    [
        duration_histogram([]),
        duration_histogram([NAN, INF, -INF, -1.0]),
        progress_over_time([], 10),
        progress_over_time([(NAN, 3), (INF, 4), (T0, -1)], 10),
        per_minute([], []),
    ],
    ids=["hist", "hist-bad", "progress", "progress-bad", "per-minute"],
)
def test_empty_data_draws_an_empty_frame_saying_so(svg: str) -> None:
    root = parse(svg)
    assert texts(root) == ["no data yet"]
    assert "no data yet" in svg
    assert [r.attrib["fill"] for r in root.iter(f"{NS}rect")] == ["#fff"]  # the frame only


# -- the histogram --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [[0.0], [5.0], [5.0] * 10, [0.0, 0.0, 0.0], [1e9], [0.0, 1e9], [1e-9, 2e-9], [1e300]],
)
def test_histogram_of_edge_values_is_valid(values: list[float]) -> None:
    root = parse(duration_histogram(values))
    assert "no data yet" not in texts(root)
    assert 1 <= len(bars(root, DONE)) <= 20


def test_histogram_counts_go_in_their_bins() -> None:
    root = parse(duration_histogram([1.0, 1.0, 1.0, 2.0, NAN, -3.0], bins=2))
    first, second = bars(root, DONE)
    assert float(first.attrib["x"]) < float(second.attrib["x"])
    assert float(first.attrib["height"]) == pytest.approx(3 * float(second.attrib["height"]))
    assert title(root) == "4 durations, 1 s to 2 s"
    assert {"0", "3", "1 s", "2 s"} <= set(texts(root))


def test_histogram_title_summarises_in_human_units() -> None:
    root = parse(duration_histogram([0.1, 5.0, 12.0] * 14))
    assert title(root) == "42 durations, 0.1 s to 12 s"


def test_histogram_of_equal_values_is_one_full_bar() -> None:
    root = parse(duration_histogram([7.0] * 5, bins=10))
    (bar,) = bars(root, DONE)
    assert title(root) == "5 durations, 7 s to 7 s"
    assert float(bar.attrib["width"]) > 400  # the whole plot's width, not a sliver


@settings(max_examples=150, deadline=None)
@given(durations, st.integers(-3, 500))
def test_histogram_is_valid_bounded_and_deterministic(values: list[float], bins: int) -> None:
    svg = duration_histogram(values, bins=bins)
    assert svg == duration_histogram(values, bins=bins)
    root = parse(svg)
    usable = [v for v in values if math.isfinite(v) and v >= 0]
    drawn = bars(root, DONE)
    assert len(drawn) <= max(1, min(bins, charts.MAX_BINS))
    assert bool(drawn) == bool(usable)
    if usable:
        assert title(root).startswith(f"{len(usable)} duration")


# -- progress over time ---------------------------------------------------------------------


def test_progress_draws_the_line_up_to_the_latest_count() -> None:
    points = [(T0, 0), (T0 + 300, 40), (T0 + 600, 75)]
    root = parse(progress_over_time(points, 100))
    assert title(root) == "75 of 100 jobs finished, 22:13 to 22:23 UTC"
    assert {"22:13", "22:23 UTC", "0", "100"} <= set(texts(root))
    line = root.find(f"{NS}polyline")
    assert line is not None
    xy = [tuple(map(float, p.split(","))) for p in line.attrib["points"].split()]
    assert len(xy) == 3
    assert [x for x, _ in xy] == sorted(x for x, _ in xy)
    assert xy[0][1] > xy[1][1] > xy[2][1]  # more finished is higher up


def test_progress_sorts_and_ignores_bad_points() -> None:
    good = [(T0, 1), (T0 + 60, 2)]
    noisy = [(T0 + 60, 2), (NAN, 9), (T0, 1), (INF, 9), (T0 + 30, -4), (-INF, 9)]
    assert progress_over_time(noisy, 5) == progress_over_time(good, 5)


def test_progress_top_is_the_count_when_it_passes_the_total() -> None:
    root = parse(progress_over_time([(T0, 3), (T0 + 60, 12)], 10))
    assert "12" in texts(root)
    assert title(root).startswith("12 of 12 jobs finished")
    (goal,) = root.iter(f"{NS}line")
    assert float(goal.attrib["y1"]) > 8  # the total's dashed line is below the top


def test_progress_with_no_total_shows_the_count_alone() -> None:
    root = parse(progress_over_time([(T0, 0), (T0 + 60, 0)], 0))
    assert title(root) == "0 of 0 jobs finished, 22:13 to 22:14 UTC"


def test_progress_of_one_point_is_a_dot() -> None:
    root = parse(progress_over_time([(T0, 4)], 10))
    assert root.find(f"{NS}circle") is not None
    assert title(root) == "4 of 10 jobs finished at 22:13 UTC"


def test_progress_of_many_points_is_downsampled_and_small() -> None:
    points = [(T0 + i, i) for i in range(100_000)]
    svg = progress_over_time(points, 100_000)
    assert len(svg) < 30_000
    line = parse(svg).find(f"{NS}polyline")
    assert line is not None
    kept = line.attrib["points"].split()
    assert len(kept) == charts.MAX_LINE_POINTS
    assert kept[0].split(",")[0] == "48" and kept[-1].split(",")[0] == "472"  # both ends


@settings(max_examples=150, deadline=None)
@given(progress, st.one_of(st.integers(-5, 10**9), st.sampled_from([0, 1, 10**9])))
def test_progress_is_valid_and_deterministic(points: list[tuple[float, int]], total: int) -> None:
    svg = progress_over_time(points, total)
    assert svg == progress_over_time(points, total)
    root = parse(svg)
    line = root.find(f"{NS}polyline")
    usable = [p for p in points if 0 <= p[0] <= charts.LAST_EPOCH and p[1] >= 0]
    assert (line is not None) == bool(usable)
    if line is not None:
        assert len(line.attrib["points"].split()) <= charts.MAX_LINE_POINTS


# -- per minute -----------------------------------------------------------------------------


def test_per_minute_draws_paired_bars_with_a_legend() -> None:
    started = [0] * 58 + [3, 6]
    finished = [0] * 58 + [1, 0]
    root = parse(per_minute(started, finished))
    assert {"-60 min", "now", "0", "6", "started", "finished"} <= set(texts(root))
    legend = 1
    assert len(bars(root, IN_PROGRESS)) == 2 + legend  # a zero minute draws no bar
    assert len(bars(root, DONE)) == 1 + legend
    assert title(root) == "last 60 min: 9 jobs started, 1 finished, at most 6 a minute"


def test_per_minute_aligns_unequal_lists_on_now_and_ignores_bad_counts() -> None:
    root = parse(per_minute([1, 2, 3], [NAN, -2, 5, 1]))  # type: ignore[list-item]
    assert "-4 min" in texts(root)
    assert title(root) == "last 4 min: 6 jobs started, 6 finished, at most 5 a minute"


def test_per_minute_of_all_zeros_is_an_empty_plot_not_an_error() -> None:
    root = parse(per_minute([0] * 60, [0] * 60))
    assert len(bars(root, IN_PROGRESS)) == 1  # the legend's
    assert title(root) == "last 60 min: 0 jobs started, 0 finished"


@settings(max_examples=150, deadline=None)
@given(counts, counts)
def test_per_minute_is_valid_bounded_and_deterministic(
    started: list[int], finished: list[int]
) -> None:
    svg = per_minute(started, finished)
    assert svg == per_minute(started, finished)
    root = parse(svg)
    minutes = max(len(started), len(finished))
    assert len(list(root.iter(f"{NS}rect"))) <= 2 * minutes + 3  # bars, legend, frame


def test_per_minute_draws_a_day_at_most() -> None:
    svg = per_minute([1] * 100_000, [2] * 100_000)
    assert f"-{charts.MAX_MINUTES} min" in texts(parse(svg))
    assert len(svg) < 400_000


# -- sizes, labels, colours -----------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(0, 0), (-5, 10), (10**9, 10**9), (480, 160)])
def test_sizes_are_clamped(width: int, height: int) -> None:
    for svg in (
        duration_histogram([1.0, 2.0], width=width, height=height),
        progress_over_time([(T0, 1)], 2, width=width, height=height),
        per_minute([1], [1], width=width, height=height),
    ):
        root = parse(svg)
        for size in (int(root.attrib["width"]), int(root.attrib["height"])):
            assert charts.MIN_SIZE <= size <= charts.MAX_SIZE


@pytest.mark.parametrize(
    ("seconds", "label"),
    [
        (0, "0 s"),
        (0.0004, "<0.001 s"),
        (0.1, "0.1 s"),
        (1.5, "1.5 s"),
        (12.3, "12 s"),
        (59.4, "59 s"),
        (59.9, "1 min"),
        (120, "2 min"),
        (90, "1.5 min"),
        (4320, "1.2 h"),
        (1e9, "280000 h"),
        (1e300, "2.8e+296 h"),
    ],
)
def test_human_seconds(seconds: float, label: str) -> None:
    assert human_seconds(seconds) == label


def test_status_colours_match_the_stylesheet() -> None:
    css = (Path(charts.__file__).parent / "static" / "dashboard.css").read_text()
    found: dict[str, str] = {}
    for selectors, colour in re.findall(r"([^{}]+)\{\s*background:\s*(#[0-9a-f]+);", css):
        for name in re.findall(r"\.status-([a-z-]+)", selectors):
            found[name] = colour
    assert {s.value.replace(" ", "-"): c for s, c in STATUS_COLOURS.items()} == found
    assert set(STATUS_COLOURS) == set(JobStatus)


def test_text_is_escaped() -> None:
    svg = charts._document(200, 100, 'a <b> & "c"', [charts._text(1, 2, "<script>")])
    root = parse(svg)
    assert title(root) == 'a <b> & "c"'
    assert texts(root) == ["<script>"]
