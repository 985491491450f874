"""The dashboard's charts, drawn on the server as small standalone SVG documents.

Each function takes plain numbers and returns one SVG document as a string, which the
dashboard serves as ``image/svg+xml`` inside an ``<img>`` tag: no chart library, no script,
no external reference and no event attribute, so the browser treats it as a picture only.
Output is bounded whatever the input (at most ``bins`` bars, two bars a minute, a line of at
most ``MAX_LINE_POINTS`` points) and the same input always gives the same bytes, so a
refresh every few seconds costs little and a cache can compare answers.

Values that are not finite numbers or are negative cannot be a duration, a time or a count:
they are left out, never an error, so one bad row cannot break a page.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from xml.sax.saxutils import escape

from orchestrator.model import JobStatus

# The same colours as the status classes of static/dashboard.css, so a chart's bars match
# the page's progress bars.
STATUS_COLOURS: Mapping[JobStatus, str] = {
    JobStatus.DONE: "#4a4",
    JobStatus.FAILED: "#d44",
    JobStatus.TIMED_OUT: "#d44",
    JobStatus.CANCELLED: "#999",
    JobStatus.IN_PROGRESS: "#48c",
    JobStatus.PENDING: "#cc4",
    JobStatus.SCHEDULED: "#cc4",
}
TEXT_COLOUR = "#222"  # the page's body text
GRID_COLOUR = "#ddd"  # the page's table rules
FONT = "system-ui, sans-serif"
FONT_SIZE = 11

MAX_LINE_POINTS = 300  # a progress line is downsampled to this many points at most
MAX_MINUTES = 24 * 60  # per_minute draws the newest day at most
MAX_BINS = 200
MIN_SIZE, MAX_SIZE = 120, 4000  # pixels either way; a size outside is clamped

# the plot area's margins: room for the count labels on the left and time labels below
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 8, 20
EMPTY = "no data yet"
LAST_EPOCH = 253402300799.0  # 9999-12-31 23:59:59 UTC: later times cannot be shown


def duration_histogram(
    durations: Sequence[float], *, bins: int = 20, width: int = 480, height: int = 160
) -> str:
    """Histogram of job durations in seconds (a run's finished attempts)."""
    width, height = _size(width), _size(height)
    values = sorted(_usable(durations))
    if not values:
        return _empty(width, height, "no durations yet")
    lo, hi = values[0], values[-1]
    n = 1 if hi == lo else max(1, min(int(bins), MAX_BINS))
    counts = [0] * n
    for value in values:
        counts[_bin(value, lo, hi, n)] += 1
    top = max(counts)
    plot = _Plot(width, height)
    colour = STATUS_COLOURS[JobStatus.DONE]
    bar_width = plot.width / n
    body = [
        f'<rect x="{_f(plot.x(i / n))}" y="{_f(plot.y(count / top))}"'
        f' width="{_f(max(bar_width - 1, 0.5))}" height="{_f(plot.height * count / top)}"'
        f' fill="{colour}"/>'
        for i, count in enumerate(counts)
        if count
    ]
    body += plot.axes(x_labels=(human_seconds(lo), human_seconds(hi)), y_labels=("0", str(top)))
    noun = "duration" if len(values) == 1 else "durations"
    summary = f"{len(values)} {noun}, {human_seconds(lo)} to {human_seconds(hi)}"
    return _document(width, height, summary, body)


def progress_over_time(
    points: Sequence[tuple[float, int]], total: int, *, width: int = 480, height: int = 160
) -> str:
    """Finished jobs over time: points are (epoch seconds, finished count so far), sorted by
    time; total = jobs in the run (the y axis top)."""
    width, height = _size(width), _size(height)
    kept = sorted(
        (float(t), int(count))
        for t, count in points
        if _is_usable(t) and _is_usable(count) and float(t) <= LAST_EPOCH
    )
    if not kept:
        return _empty(width, height, "no finished jobs yet")
    first, last = kept[0][0], kept[-1][0]
    jobs = max(max(count for _, count in kept), _whole(total))  # a stale total is passed
    top = max(jobs, 1)
    span = last - first
    plot = _Plot(width, height)
    line = [
        f"{_f(plot.x((t - first) / span if span else 0.5))},{_f(plot.y(count / top))}"
        for t, count in _downsample(kept, MAX_LINE_POINTS)
    ]
    end_x, end_y = line[-1].split(",")
    goal = _f(plot.y(_whole(total) / top))  # the run's job count, dashed
    body = [
        f'<line x1="{_f(plot.left)}" y1="{goal}" x2="{_f(plot.right)}" y2="{goal}"'
        f' stroke="{STATUS_COLOURS[JobStatus.CANCELLED]}" stroke-dasharray="4 3"/>',
        f'<polyline points="{" ".join(line)}" fill="none"'
        f' stroke="{STATUS_COLOURS[JobStatus.DONE]}" stroke-width="2"/>',
        f'<circle cx="{end_x}" cy="{end_y}" r="3" fill="{STATUS_COLOURS[JobStatus.DONE]}"/>',
    ]
    body += plot.axes(x_labels=(_clock(first), _clock(last) + " UTC"), y_labels=("0", str(top)))
    finished = kept[-1][1]
    summary = (
        f"{finished} of {jobs} jobs finished, {_clock(first)} to {_clock(last)} UTC"
        if span
        else f"{finished} of {jobs} jobs finished at {_clock(last)} UTC"
    )
    return _document(width, height, summary, body)


def per_minute(
    started: Sequence[int], finished: Sequence[int], *, width: int = 480, height: int = 160
) -> str:
    """Jobs started and finished per minute over the last hour: two equal-length lists (oldest
    minute first, normally 60), drawn as paired bars or two lines with a legend."""
    width, height = _size(width), _size(height)
    minutes = min(max(len(started), len(finished)), MAX_MINUTES)
    if not minutes:
        return _empty(width, height, "no jobs per minute yet")
    # aligned on the newest minute (the lists' ends are "now"); a missing minute counts 0
    series = [_newest(started, minutes), _newest(finished, minutes)]
    peak = max(max(series[0]), max(series[1]))
    top = max(peak, 1)
    plot = _Plot(width, height, top_margin=TOP + 14)  # the legend's row
    slot = plot.width / minutes
    bar_width = max(slot / 2 - 0.5, 0.25)
    colours = [STATUS_COLOURS[JobStatus.IN_PROGRESS], STATUS_COLOURS[JobStatus.DONE]]
    body: list[str] = []
    for which, (values, colour) in enumerate(zip(series, colours, strict=True)):
        body += [
            f'<rect x="{_f(plot.left + i * slot + which * slot / 2)}"'
            f' y="{_f(plot.y(value / top))}" width="{_f(bar_width)}"'
            f' height="{_f(plot.height * value / top)}" fill="{colour}"/>'
            for i, value in enumerate(values)
            if value
        ]
    body += plot.axes(x_labels=(f"-{minutes} min", "now"), y_labels=("0", str(top)))
    for k, (name, colour) in enumerate(zip(("started", "finished"), colours, strict=True)):
        x = plot.left + k * 80
        body += [
            f'<rect x="{_f(x)}" y="{TOP}" width="10" height="10" fill="{colour}"/>',
            _text(x + 14, TOP + 9, name),
        ]
    summary = f"last {minutes} min: {sum(series[0])} jobs started, {sum(series[1])} finished"
    if peak:
        summary += f", at most {peak} a minute"
    return _document(width, height, summary, body)


def human_seconds(seconds: float) -> str:
    """An axis label for a duration, to two significant digits: ``0 s``, ``1.5 s``, ``2 min``,
    ``1.2 h``. (The CLI's ``human_duration`` shows a job's exact run time instead.)"""
    seconds = _round_two(seconds)  # first, so 59.9 s reads "1 min", not "60 s"
    for unit, size in (("h", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{_two_digits(seconds / size)} {unit}"
    return f"{_two_digits(seconds)} s"


class _Plot:
    """The plot area inside the margins; x and y map fractions 0..1 to pixels (y upwards)."""

    def __init__(self, width: int, height: int, *, top_margin: int = TOP) -> None:
        self.left, self.right = float(LEFT), float(width - RIGHT)
        self.top, self.bottom = float(top_margin), float(height - BOTTOM)
        self.width, self.height = self.right - self.left, self.bottom - self.top

    def x(self, fraction: float) -> float:
        return self.left + self.width * fraction

    def y(self, fraction: float) -> float:
        return self.bottom - self.height * fraction

    def axes(self, *, x_labels: tuple[str, str], y_labels: tuple[str, str]) -> list[str]:
        """The two axis lines and the min/max label at either end of each."""
        below = self.bottom + FONT_SIZE + 3
        return [
            f'<path d="M{_f(self.left)} {_f(self.top)}V{_f(self.bottom)}H{_f(self.right)}"'
            f' fill="none" stroke="{GRID_COLOUR}"/>',
            _text(self.left, below, x_labels[0]),
            _text(self.right, below, x_labels[1], anchor="end"),
            _text(self.left - 4, self.bottom, y_labels[0], anchor="end"),
            _text(self.left - 4, self.top + FONT_SIZE - 2, y_labels[1], anchor="end"),
        ]


def _document(width: int, height: int, summary: str, body: Iterable[str]) -> str:
    label = escape(summary, {'"': "&quot;"})
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img" aria-label="{label}"'
        f' font-family="{FONT}" font-size="{FONT_SIZE}">'
        f"<title>{escape(summary)}</title>"
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#fff"'
        f' stroke="{GRID_COLOUR}"/>' + "".join(body) + "</svg>"
    )


def _empty(width: int, height: int, summary: str) -> str:
    """An empty frame saying so: a chart of nothing yet still has its place on the page."""
    return _document(width, height, summary, [_text(width / 2, height / 2, EMPTY, "middle")])


def _text(x: float, y: float, text: str, anchor: str = "start") -> str:
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" fill="{TEXT_COLOUR}">'
        f"{escape(text)}</text>"
    )


def _size(pixels: int) -> int:
    return min(max(int(pixels), MIN_SIZE), MAX_SIZE)


def _is_usable(value: float) -> bool:
    """A finite number, zero or more (bools are not numbers here)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def _usable(values: Iterable[float]) -> list[float]:
    return [float(v) for v in values if _is_usable(v)]


def _whole(value: float) -> int:
    return int(value) if _is_usable(value) else 0


def _newest(values: Sequence[int], minutes: int) -> list[int]:
    """The newest ``minutes`` counts, zeros in front where the list is shorter."""
    tail = [_whole(v) for v in values[-minutes:]]
    return [0] * (minutes - len(tail)) + tail


def _bin(value: float, lo: float, hi: float, n: int) -> int:
    if hi == lo:
        return 0
    return min(int((value - lo) / (hi - lo) * n), n - 1)


def _downsample(points: Sequence[tuple[float, int]], most: int) -> Sequence[tuple[float, int]]:
    """At most ``most`` points, evenly spaced by index, the first and the last kept."""
    if len(points) <= most:
        return points
    last = len(points) - 1
    return [points[round(i * last / (most - 1))] for i in range(most)]


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M", time.gmtime(epoch))


def _round_two(value: float) -> float:
    """``value`` rounded to two significant digits."""
    if value <= 0:
        return 0.0
    try:
        return round(value, 1 - math.floor(math.log10(value)))
    except OverflowError:  # near the float maximum rounding up leaves the floats
        return value


def _two_digits(value: float) -> str:
    """``value`` to two significant digits, without trailing zeros (nor an exponent below a
    million)."""
    if value < 0.001:
        return "0" if value == 0 else "<0.001"
    if value >= 1e6:
        return f"{value:.1e}"  # a label stays short, whatever the value
    digits = 1 - math.floor(math.log10(value))
    if digits <= 0:
        return str(int(round(value, digits)))
    return f"{round(value, digits):.{digits}f}".rstrip("0").rstrip(".")


def _f(number: float) -> str:
    """A coordinate to one decimal, as short as it goes (``12``, ``12.5``)."""
    text = f"{number:.1f}"
    return text[:-2] if text.endswith(".0") else text
