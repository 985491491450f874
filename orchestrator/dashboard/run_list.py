"""The runs list: every run the server's jobs name, with its progress, at a cost that stays
small on a platform of 100,000 jobs.

``runs --endpoint`` reads every labelled job with its parameters (~22 s for 100,000 jobs);
a page polled every 2 s cannot. So run ids are found one query per *new* run (a job whose run
label is not among those known: :file:`queries/new_run.graphql`), and each shown run's
attempts are read with only their status and times, no parameters
(:file:`queries/run_states.graphql`), its retries counted on the server. The list counts
attempts (a retried job shows its failed attempt and its retry), and its failure reasons are
those of failed attempts; a run's own page groups them into jobs, as the CLI does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from orchestrator.api import PlatformClient
from orchestrator.api.wire import parse_datetime
from orchestrator.dashboard.queries import query
from orchestrator.engine.identity import RUN_LABEL
from orchestrator.ledger import is_lost
from orchestrator.model import JobStatus
from orchestrator.views.digest import NO_REASON

MAX_RUNS = 10_000  # run ids learned at most (a bound on the `notIn` list and on memory)
SHOWN = 50  # newest runs the list shows
STATES_PAGE = 5000
RATE_WINDOW = 300.0  # seconds of finishes a rate is measured over
TOP_REASONS = 3
FAILED = frozenset({JobStatus.FAILED.value, JobStatus.TIMED_OUT.value})


@dataclass(frozen=True, slots=True)
class RunLine:
    """One run as the list shows it."""

    run_id: str
    counts: dict[str, int]  # attempts per status
    rate: float  # attempts finished per second, lately
    eta: float | None  # seconds until every attempt is final at that rate
    retries: int = 0  # attempts beyond each job's first
    lost: int = 0  # attempts their platform lost (died or stopped under them)
    reasons: tuple[tuple[str, int], ...] = ()  # failed attempts' reasons, most frequent first

    @property
    def attempts(self) -> int:
        return sum(self.counts.values())

    @property
    def finished(self) -> int:
        return sum(n for status, n in self.counts.items() if is_final(status))


def status_of(text: str) -> JobStatus | None:
    """The platform status ``text`` spells, or ``None`` (a view's "submitting", say)."""
    try:
        return JobStatus(text)
    except ValueError:
        return None


def is_final(status: str) -> bool:
    """Whether ``status`` is a final platform status (unknown text: no)."""
    known = status_of(status)
    return known is not None and known.is_final


async def learn_run_ids(client: PlatformClient, known: list[str]) -> list[str]:
    """``known`` with every run id the server has and it lacked, newest first."""
    found = list(known)
    while len(found) < MAX_RUNS:
        page = (await client.execute(query("new_run"), {"known": found}))["pipelineJobs"]
        if not page:
            break
        labels = {str(p["key"]): str(p["value"]) for p in page[0]["parameters"]}
        run_id = labels.get(RUN_LABEL)
        if run_id is None or run_id in found:  # cannot happen with an honest server
            break
        found.append(run_id)
    return sorted(found, reverse=True)  # run ids begin with their start time


async def run_line(client: PlatformClient, run_id: str, now: float) -> RunLine:
    """The run's attempts counted by status, with its recent finish rate and ETA."""
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    starts: list[float] = []
    ends: list[float] = []
    after = ""
    while True:
        variables = {"run": run_id, "after": after, "take": STATES_PAGE}
        page = (await client.execute(query("run_states"), variables))["pipelineJobs"]
        for job in page:
            status = str(job["status"])
            statuses[status] += 1
            if status in FAILED:
                reasons[str(job.get("statusReason") or NO_REASON)] += 1
            started = parse_datetime(job.get("startTime"))
            ended = parse_datetime(job.get("completionTime"))
            if started is not None:
                starts.append(started.timestamp())
            if ended is not None and is_final(status):
                ends.append(ended.timestamp())
        if len(page) < STATES_PAGE:
            break
        after = str(page[-1]["id"])
    rate = finish_rate(ends, starts, now)
    unfinished = sum(n for status, n in statuses.items() if not is_final(status))
    eta = unfinished / rate if rate > 0 and unfinished else None
    retries = int((await client.execute(query("run_retries"), {"run": run_id}))["countJobs"])
    lost = sum(n for reason, n in reasons.items() if is_lost(JobStatus.FAILED, reason))
    top = tuple(reasons.most_common(TOP_REASONS))
    return RunLine(run_id, dict(statuses), rate, eta, retries, lost, top)


def finish_rate(ends: Sequence[float], starts: Sequence[float], now: float) -> float:
    """Finishes per second over the last :data:`RATE_WINDOW` s (or since the first start,
    when the run is younger than that); 0 when nothing finished lately."""
    recent = [end for end in ends if 0 <= now - end <= RATE_WINDOW]
    if not recent:
        return 0.0
    since = max(now - RATE_WINDOW, min(starts, default=min(recent)))
    return len(recent) / max(now - since, 1.0)
