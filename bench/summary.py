"""The closing table of ``make bench``: every figure of the performance issue (#13), its goal,
and whether this run met it.

A bench module offers its figures by defining ``summary() -> list[Row]`` (called after its
``main()``); figures no module measured in this run are listed as "not measured".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Row:
    """One figure: what it is, the value measured, the goal, and whether it is met."""

    figure: str
    measured: str
    goal: str
    met: bool | None  # None: not measured in this run


FIGURES = (  # the table, in its order
    "orchestrator run vs naive loop, loopback",
    "orchestrator run vs naive loop, latency_ms=20",
    "orchestrator CPU per job (3,000-job run, start-up included)",
    "orchestrator --help start-up",
    "orchestrator plan --count start-up",
    "platform creates/s at 50 per request (HTTP)",
    "server time for a status read of 500 ids",
    "engine end to end vs raw client (bench_engine)",
    "orchestrator RSS per job in flight (20,000 in flight)",
    "throughput 200,000-job run vs 20,000-job run",
)


def table(rows: Iterable[Row]) -> str:
    """The summary table as Markdown, the issue's figures first, in the issue's order."""
    by_figure = {row.figure: row for row in rows}
    ordered = [by_figure.pop(f, Row(f, "not measured", "", None)) for f in FIGURES]
    ordered += list(by_figure.values())
    lines = ["| figure | measured | goal | met? |", "|---|---|---|---|"]
    for row in ordered:
        met = "-" if row.met is None else ("yes" if row.met else "NO")
        lines.append(f"| {row.figure} | {row.measured} | {row.goal} | {met} |")
    return "\n".join(lines)
