"""The ledger: durable run state in one SQLite file per state dir.

Every write is one short transaction, committed before the engine acts on it: the intent of
an attempt before its create request, the job id right after the reply, statuses after each
poll. WAL with ``synchronous=NORMAL`` keeps committed transactions across a process crash
(SIGKILL), which is the failure the ledger exists for; the calls are synchronous and batched
because a commit costs tens of microseconds, less than handing it to a thread.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from orchestrator.ledger.codec import (
    policy_to_json,
    spec_from_json,
    spec_to_json,
)
from orchestrator.ledger.failures import LedgerError, LedgerWriteError, read_only_folder, translate
from orchestrator.ledger.lock import RunLock
from orchestrator.ledger.migrate import ensure_schema, read_state
from orchestrator.ledger.records import (
    AttemptRecord,
    JobRecord,
    RunCounts,
    RunRecord,
    RunState,
    is_lost,
)
from orchestrator.ledger.rows import JOBS_QUERY, Transaction, attempt_from_row, run_from_row
from orchestrator.manifest.model import JobSpec, Policy
from orchestrator.model import JobStatus
from orchestrator.state_files import private_dir, private_file

LEDGER_FILE = "ledger.db"
BUSY_TIMEOUT = 30.0  # seconds a connection waits for another process's write to end


class RunNotFoundError(LedgerError, LookupError):
    """No run with that id (or unique id prefix) in this state dir."""


@dataclass(frozen=True, slots=True)
class AttemptStatus:
    """A status the platform reported for one attempt."""

    key: str
    attempt: int
    status: JobStatus
    reason: str | None = None
    started: float | None = None  # the platform's startTime, epoch seconds
    ended: float | None = None  # its completionTime


def new_run_id(now: float | None = None) -> str:
    """A sortable, label-safe run id: UTC timestamp plus random suffix."""
    stamp = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    return f"{stamp:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


class Ledger:
    """Runs, jobs and attempts of one state dir."""

    def __init__(self, state_dir: str | Path, *, read_only: bool = False) -> None:
        """Open (``read_only``: never create or write) the ledger of ``state_dir``.

        Raises :class:`LedgerError` subclasses for a file that is not a ledger, a state dir
        that cannot be written, a full disk; ``read_only`` works in a read-only state dir.
        """
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / LEDGER_FILE
        try:
            self._db = self._open_read_only() if read_only else self._open_for_writing()
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from None
        except OSError as exc:
            raise LedgerWriteError(
                f"cannot write {exc.filename or self.path}: {exc.strerror or exc}"
            ) from None

    def _open_for_writing(self) -> sqlite3.Connection:
        private_dir(self.state_dir)
        private_file(self.path)  # 0600 before SQLite sees it: -wal and -shm take its mode
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            ensure_schema(db, self.path, BUSY_TIMEOUT)  # atomic: others may open it now
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
        except BaseException:
            db.close()
            raise
        return db

    def _open_read_only(self) -> sqlite3.Connection:
        """A connection that never writes; a ledger still being created reads as empty."""
        if not self.path.is_file():
            raise RunNotFoundError(f"no runs in {self.state_dir} (no ledger there)")
        uri = self.path.resolve().as_uri()
        db = sqlite3.connect(f"{uri}?mode=ro", timeout=BUSY_TIMEOUT, isolation_level=None, uri=True)
        try:
            state = read_state(db, self.path)
        except sqlite3.OperationalError:
            db.close()
            if not read_only_folder(self.path.parent):
                raise
            # WAL in a read-only dir without its -shm file: nobody can be writing it
            db = sqlite3.connect(f"{uri}?immutable=1", isolation_level=None, uri=True)
            state = read_state(db, self.path)
        except BaseException:
            db.close()
            raise
        if state.empty:  # its creator has not committed the schema yet (or died before)
            db.close()
            db = sqlite3.connect(":memory:", isolation_level=None)
            ensure_schema(db, self.path, BUSY_TIMEOUT)
        db.row_factory = sqlite3.Row
        return db

    # -- plumbing ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self) -> Transaction:
        return Transaction(self._db, self.path)

    def lock(self, run_id: str) -> RunLock:
        """The lock a driving process holds for ``run_id``."""
        return RunLock(self.state_dir, run_id)

    # -- runs -------------------------------------------------------------------------

    def create_run(
        self,
        *,
        name: str,
        policy: Policy,
        manifest_path: str | None = None,
        manifest_digest: str | None = None,
        endpoint: str | None = None,
        total_jobs: int | None = None,
        run_id: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> RunRecord:
        """Record a new run in state RUNNING and return it (``variables``: ``run -p``)."""
        now = time.time()
        rid = run_id or new_run_id(now)
        with self._tx():
            self._db.execute(
                "INSERT INTO runs (id, name, manifest_path, manifest_digest, endpoint, policy,"
                " total_jobs, state, created_at, updated_at, variables)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    rid,
                    name,
                    manifest_path,
                    manifest_digest,
                    endpoint,
                    policy_to_json(policy),
                    total_jobs,
                    str(RunState.RUNNING),
                    now,
                    now,
                    json.dumps(dict(variables)) if variables else None,
                ),
            )
        return self.get_run(rid)

    def get_run(self, run_id: str) -> RunRecord:
        """The run with that id, or the only one whose id starts with it (never blank: ``""``
        would be a prefix of every id)."""
        if not run_id.strip():
            raise RunNotFoundError("a run id cannot be empty or blank")
        row = self._db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            rows = self._db.execute(
                "SELECT * FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 6",
                (run_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",),
            ).fetchall()
            if len(rows) > 1:
                shown = ", ".join(r["id"] for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
                raise RunNotFoundError(f"ambiguous: {run_id!r} matches {shown}")
            if not rows:
                raise RunNotFoundError(f"no run {run_id!r} in {self.state_dir}")
            row = rows[0]
        return run_from_row(row)

    def list_runs(self) -> list[RunRecord]:
        """Every run of this state dir, newest first."""
        rows = self._db.execute("SELECT * FROM runs ORDER BY created_at DESC, id DESC")
        return [run_from_row(r) for r in rows]

    def set_run_state(self, run_id: str, state: RunState, stopped_by: str | None = None) -> None:
        """Record where the run stands; FINISHED also stamps ``finished_at``. ``stopped_by``
        says why an interrupted run stopped, so ``watch`` from another process can tell an
        outage or a refused token (exit 3) from Ctrl-C."""
        now = time.time()
        finished = now if state is RunState.FINISHED else None
        with self._tx():
            self._db.execute(
                "UPDATE runs SET state = ?, updated_at = ?, finished_at = ?, stopped_by = ?"
                " WHERE id = ?",
                (str(state), now, finished, stopped_by, run_id),
            )

    def request_cancel(self, run_id: str) -> None:
        """Ask whichever process drives the run to stop and cancel its jobs."""
        with self._tx():
            self._db.execute(
                "UPDATE runs SET cancel_requested = 1, updated_at = ? WHERE id = ?",
                (time.time(), run_id),
            )

    def job_ids_ending(self, suffix: str, limit: int = 5) -> list[str]:
        """Platform ids of this ledger's attempts that end with ``suffix`` (the short ids
        ``jobs`` prints), at most ``limit``."""
        pattern = "%" + suffix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._db.execute(
            "SELECT DISTINCT job_id FROM attempts WHERE job_id LIKE ? ESCAPE '\\' LIMIT ?",
            (pattern, limit),
        ).fetchall()
        return [row[0] for row in rows]

    def unschedule(self, job_ids: Iterable[str]) -> int:
        """Record that these cron jobs (platform ids) were cancelled: their attempt and job,
        settled as "scheduled", become "cancelled", so every view of the ledger says so.
        Ids the ledger does not know, or of jobs not settled as scheduled, are left alone;
        returns how many jobs changed."""
        ids = [(job_id,) for job_id in job_ids]
        scheduled, cancelled = str(JobStatus.SCHEDULED), str(JobStatus.CANCELLED)
        with self._tx():
            before = self._db.total_changes
            self._db.executemany(
                "UPDATE jobs SET outcome = ? WHERE outcome = ? AND (run_id, key) IN"
                " (SELECT run_id, key FROM attempts WHERE job_id = ?)",
                [(cancelled, scheduled, job_id) for (job_id,) in ids],
            )
            changed = self._db.total_changes - before
            self._db.executemany(
                "UPDATE attempts SET status = ?, finished_at = ?, final = 1"
                " WHERE job_id = ? AND status = ?",
                [(cancelled, time.time(), job_id, scheduled) for (job_id,) in ids],
            )
        return changed

    def cancel_requested(self, run_id: str) -> bool:
        """True once :meth:`request_cancel` was called for the run (a cheap read)."""
        row = self._db.execute(
            "SELECT cancel_requested FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        return bool(row and row[0])

    def run_is_driven(self, run_id: str) -> bool:
        """True while a live process holds the run's lock."""
        return self.lock(run_id).is_held_elsewhere()

    def effective_state(self, run: RunRecord) -> RunState:
        """RUNNING only if a live process drives it; a dead driver reads INTERRUPTED."""
        if run.state is RunState.RUNNING and not self.run_is_driven(run.id):
            return RunState.INTERRUPTED
        return run.state

    # -- jobs and attempts --------------------------------------------------------------

    def record_intents(self, run_id: str, items: Sequence[tuple[JobSpec, int]]) -> None:
        """Before creating: note (spec, attempt) pairs so a crash cannot lose or double them.

        Recording the same intent twice is harmless (a resubmission after a create that
        certainly did not happen keeps its attempt number).
        """
        now = time.time()
        with self._tx():
            self._db.executemany(
                "INSERT OR IGNORE INTO jobs (run_id, key, idx, spec) VALUES (?,?,?,?)",
                [(run_id, s.key, s.index, spec_to_json(s)) for s, _ in items],
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO attempts (run_id, key, attempt, intent_at) VALUES (?,?,?,?)",
                [(run_id, s.key, n, now) for s, n in items],
            )
            # Only a later attempt can have waited for a retry (first attempts: no write).
            self._db.executemany(
                "UPDATE jobs SET retry_at = NULL WHERE run_id = ? AND key = ?",
                [(run_id, s.key) for s, n in items if n > 1],
            )

    def record_submitted(self, run_id: str, items: Sequence[tuple[str, int, str]]) -> None:
        """After creating: (key, attempt, job_id) triples from the server's reply."""
        now = time.time()
        with self._tx():
            self._db.executemany(
                "UPDATE attempts SET job_id = ?, submitted_at = ?"
                " WHERE run_id = ? AND key = ? AND attempt = ?",
                [(jid, now, run_id, k, n) for k, n, jid in items],
            )

    def record_statuses(self, run_id: str, items: Iterable[AttemptStatus]) -> None:
        """Store polled statuses (and when the attempt ran, as the platform says); a final
        status is never overwritten by another."""
        now = time.time()
        rows = [
            (
                str(u.status),
                u.reason,
                now if u.status.is_final else None,
                int(u.status.is_final),
                u.started,
                u.ended,
                run_id,
                u.key,
                u.attempt,
            )
            for u in items
        ]
        with self._tx():
            self._db.executemany(
                "UPDATE attempts SET status = ?, reason = ?, finished_at = ?, final = ?,"
                " ran_from = COALESCE(?, ran_from), ran_to = COALESCE(?, ran_to)"
                " WHERE run_id = ? AND key = ? AND attempt = ? AND final = 0",
                rows,
            )

    def schedule_retry(self, run_id: str, key: str, at: float) -> None:
        """The job will get another attempt at epoch second ``at``."""
        with self._tx():
            self._db.execute(
                "UPDATE jobs SET retry_at = ? WHERE run_id = ? AND key = ?", (at, run_id, key)
            )

    def settle(self, run_id: str, items: Sequence[tuple[str, JobStatus]]) -> None:
        """Give jobs their final outcome: no retry will follow."""
        with self._tx():
            self._db.executemany(
                "UPDATE jobs SET outcome = ?, retry_at = NULL"
                " WHERE run_id = ? AND key = ? AND outcome IS NULL",
                [(str(status), run_id, key) for key, status in items],
            )

    def settle_unsubmitted(self, run_id: str, specs: Sequence[JobSpec], outcome: JobStatus) -> None:
        """Record jobs that will never be submitted (a deadline or fail-fast stopped the run)."""
        with self._tx():
            self._db.executemany(
                "INSERT OR IGNORE INTO jobs (run_id, key, idx, spec) VALUES (?,?,?,?)",
                [(run_id, s.key, s.index, spec_to_json(s)) for s in specs],
            )
            self._db.executemany(
                "UPDATE jobs SET outcome = ?, retry_at = NULL"
                " WHERE run_id = ? AND key = ? AND outcome IS NULL",
                [(str(outcome), run_id, s.key) for s in specs],
            )

    def reopen(self, run_id: str, outcomes: Sequence[JobStatus]) -> int:
        """``orchestrator retry``: unsettle jobs that ended with one of ``outcomes``.

        Each gets a new attempt at once and a fresh retry budget (counted from its
        ``attempt_base``); the run is marked RUNNING again. Returns how many were reopened.
        """
        now = time.time()
        with self._tx():
            cursor = self._db.executemany(
                "UPDATE jobs SET outcome = NULL, retry_at = ?,"
                " attempt_base = (SELECT COUNT(*) FROM attempts a"
                " WHERE a.run_id = jobs.run_id AND a.key = jobs.key)"
                " WHERE run_id = ? AND outcome = ?",
                [(now, run_id, str(o)) for o in outcomes],
            )
            count = cursor.rowcount
            self._db.execute(
                "UPDATE runs SET state = ?, cancel_requested = 0, finished_at = NULL,"
                " updated_at = ? WHERE id = ?",
                (str(RunState.RUNNING), now, run_id),
            )
        return count

    def open_attempts(self, run_id: str) -> list[AttemptRecord]:
        """Submitted attempts not known to be final yet."""
        rows = self._db.execute(
            "SELECT * FROM attempts WHERE run_id = ? AND job_id IS NOT NULL AND final = 0"
            " ORDER BY key, attempt",
            (run_id,),
        )
        return [attempt_from_row(r) for r in rows]

    def attempts(self, run_id: str, key: str | None = None) -> list[AttemptRecord]:
        """All attempts of the run (or of one job), in key and attempt order."""
        if key is None:
            rows = self._db.execute(
                "SELECT * FROM attempts WHERE run_id = ? ORDER BY key, attempt", (run_id,)
            )
        else:
            rows = self._db.execute(
                "SELECT * FROM attempts WHERE run_id = ? AND key = ? ORDER BY attempt",
                (run_id, key),
            )
        return [attempt_from_row(r) for r in rows]

    def jobs(self, run_id: str, *, unsettled_only: bool = False) -> Iterator[JobRecord]:
        """The run's jobs in index order, each with its latest attempt."""
        rows = self._db.execute(JOBS_QUERY, (run_id, 1 if unsettled_only else 0)).fetchall()
        for r in rows:
            yield JobRecord(
                run_id=run_id,
                spec=spec_from_json(r["j_key"], r["idx"], r["spec"]),
                outcome=JobStatus(r["outcome"]) if r["outcome"] else None,
                retry_at=r["retry_at"],
                attempts=r["n_attempts"],
                last_attempt=attempt_from_row(r) if r["attempt"] is not None else None,
                attempt_base=r["attempt_base"],
            )

    def known_keys(self, run_id: str) -> set[str]:
        """Keys of every job recorded for the run (resume skips them in the stream)."""
        rows = self._db.execute("SELECT key FROM jobs WHERE run_id = ?", (run_id,))
        return {r[0] for r in rows}

    def cron_keys(self, run_id: str) -> set[str]:
        """Keys of the run's jobs with a cron ``schedule`` (their spawned runs share labels)."""
        rows = self._db.execute(
            "SELECT key FROM jobs WHERE run_id = ?"
            " AND COALESCE(json_extract(spec, '$.fields.schedule'), '') != ''",
            (run_id,),
        )
        return {r[0] for r in rows}

    def lost_attempts(self, run_id: str) -> dict[str, set[int]]:
        """The attempts of each job that its platform lost (see ``is_lost``)."""
        lost: dict[str, set[int]] = {}
        for key, attempt, reason in self._db.execute(
            "SELECT key, attempt, reason FROM attempts WHERE run_id = ? AND status = ?",
            (run_id, str(JobStatus.FAILED)),
        ):
            if is_lost(JobStatus.FAILED, reason):
                lost.setdefault(key, set()).add(attempt)
        return lost

    def counts(self, run_id: str) -> RunCounts:
        """The run's tally from the ledger alone."""
        outcomes = dict(
            self._db.execute(
                "SELECT COALESCE(outcome, ''), COUNT(*) FROM jobs WHERE run_id = ?"
                " GROUP BY outcome",
                (run_id,),
            ).fetchall()
        )
        n_attempts, n_tried = self._db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT key) FROM attempts WHERE run_id = ?", (run_id,)
        ).fetchone()
        by_status: dict[str, int] = {}
        for job in self.jobs(run_id, unsettled_only=True):
            last = job.last_attempt
            if job.retry_at is not None:
                label = "retrying"
            elif last is None:
                label = "unsubmitted"
            elif last.status is None:
                label = "submitting" if last.job_id is None else "submitted"
            else:
                label = str(last.status)
            by_status[label] = by_status.get(label, 0) + 1
        return RunCounts(
            jobs=sum(outcomes.values()),
            done=outcomes.get(str(JobStatus.DONE), 0),
            failed=outcomes.get(str(JobStatus.FAILED), 0),
            timed_out=outcomes.get(str(JobStatus.TIMED_OUT), 0),
            cancelled=outcomes.get(str(JobStatus.CANCELLED), 0),
            scheduled=outcomes.get(str(JobStatus.SCHEDULED), 0),
            attempts=n_attempts,
            retried=n_attempts - n_tried,
            active=outcomes.get("", 0),
            by_status=by_status,
            lost=sum(len(a) for a in self.lost_attempts(run_id).values()),
        )
