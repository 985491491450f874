"""The ledger's SQLite schema.

One database per state dir (``ledger.db``) holds every run, so ``orchestrator runs`` can list
them. An attempt row with ``job_id IS NULL`` is an *intent*: written and committed before the
create request goes out, so a crash at any instant leaves either nothing on the server for it
or something findable by its identity labels.
"""

SCHEMA_VERSION = 3
"""Stored in ``PRAGMA user_version``, in the same transaction as the schema it describes.

1: the tables below (some ledgers of version 1 lack the ``ADDED_COLUMNS``); 2: every column
of ``ADDED_COLUMNS`` of version 2 is there; 3: ``attempts.ran_from``/``ran_to`` too. A ledger
at this version or above needs no schema change.
"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    manifest_path TEXT,
    manifest_digest TEXT,
    endpoint TEXT,
    policy TEXT NOT NULL,
    total_jobs INTEGER,
    state TEXT NOT NULL,
    admission_done INTEGER NOT NULL DEFAULT 0,  -- unused: nothing ever set it, kept as it was
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    finished_at REAL,
    variables TEXT
);
CREATE TABLE IF NOT EXISTS jobs (
    run_id TEXT NOT NULL REFERENCES runs(id),
    key TEXT NOT NULL,
    idx INTEGER NOT NULL,
    spec TEXT NOT NULL,
    outcome TEXT,
    retry_at REAL,
    attempt_base INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, key)
);
CREATE TABLE IF NOT EXISTS attempts (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    job_id TEXT,
    status TEXT,
    final INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    intent_at REAL NOT NULL,
    submitted_at REAL,  -- when its create succeeded (kept for a human reading the file)
    finished_at REAL,
    PRIMARY KEY (run_id, key, attempt),
    FOREIGN KEY (run_id, key) REFERENCES jobs(run_id, key)
);
CREATE INDEX IF NOT EXISTS attempts_by_job_id ON attempts(job_id);
CREATE INDEX IF NOT EXISTS jobs_unsettled ON jobs(run_id, outcome);
"""

SCHEMA_STATEMENTS = tuple(part.strip() for part in SCHEMA.split(";") if part.strip())
"""``SCHEMA`` one statement at a time: ``executescript`` would commit the transaction that
makes creating the schema atomic."""

ADDED_COLUMNS = (
    ("runs", "variables", "TEXT"),
    ("runs", "stopped_by", "TEXT"),
    # when the attempt ran on the platform (its startTime/completionTime): a job's duration
    # is its run time, the same number the server's labelled jobs give
    ("attempts", "ran_from", "REAL"),
    ("attempts", "ran_to", "REAL"),
)
"""Columns added since a table was first created: ledgers written before get them on open
(and readers of a ledger not upgraded yet read them as NULL)."""
