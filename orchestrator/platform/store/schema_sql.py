"""The store's SQL schema, created on first start (``CREATE ... IF NOT EXISTS``).

Indexes serve the filters bulk work uses: status (polls, claims, bulk cancel), start and
creation time (ordering, job stats) and parameter key/value (label look-ups).
"""

SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS pipeline_job (
    seq                   INTEGER PRIMARY KEY AUTOINCREMENT,
    id                    TEXT NOT NULL UNIQUE,
    run_id                TEXT NOT NULL,
    job_type              TEXT,
    pipeline_yaml_path    TEXT NOT NULL,
    timeout               INTEGER,
    active_timeout        INTEGER,
    max_retries           INTEGER,
    exposed_port          TEXT,
    schedule              TEXT,
    pinned                INTEGER NOT NULL DEFAULT 0,
    debuggable            INTEGER NOT NULL DEFAULT 0,
    branch_name           TEXT,
    commit_id             TEXT,
    owner                 TEXT,
    department            TEXT,
    status                TEXT NOT NULL,
    status_reason         TEXT,
    output                TEXT,
    dask_dashboard_url    TEXT,
    output_notebooks_path TEXT,
    estimated_cost        REAL,
    created_at            TEXT NOT NULL,
    start_time            TEXT,
    completion_time       TEXT,
    duration              REAL,
    retries               INTEGER NOT NULL DEFAULT 0,
    scheduled_from        TEXT
);
CREATE INDEX IF NOT EXISTS pipeline_job_status ON pipeline_job (status, seq);
CREATE INDEX IF NOT EXISTS pipeline_job_start_time ON pipeline_job (start_time);
CREATE INDEX IF NOT EXISTS pipeline_job_created_at ON pipeline_job (created_at);
CREATE INDEX IF NOT EXISTS pipeline_job_scheduled_from ON pipeline_job (scheduled_from);

CREATE TABLE IF NOT EXISTS parameter (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    pipeline_job_id TEXT REFERENCES pipeline_job (id),
    key             TEXT NOT NULL,
    value           TEXT NOT NULL
);
-- Covering indexes: label -> jobs (look-ups), job -> labels (per-row probes, loading).
CREATE INDEX IF NOT EXISTS parameter_label ON parameter (key, value, pipeline_job_id);
CREATE INDEX IF NOT EXISTS parameter_job_label ON parameter (pipeline_job_id, key, value);
DROP INDEX IF EXISTS parameter_key_value;
DROP INDEX IF EXISTS parameter_job;

CREATE TABLE IF NOT EXISTS hyper_hub_session (
    seq                   INTEGER PRIMARY KEY AUTOINCREMENT,
    id                    TEXT NOT NULL UNIQUE,
    hyperplane_user_email TEXT,
    status                TEXT NOT NULL,
    image_type            TEXT,
    jlab_url              TEXT,
    notebook_uri          TEXT,
    estimated_cost        REAL,
    department            TEXT,
    resource_cpu_limit    REAL,
    resource_ram_limit    REAL,
    resource_cpu_request  REAL,
    resource_ram_request  REAL,
    gpu_request           INTEGER,
    start_time            TEXT,
    completion_time       TEXT
);
CREATE INDEX IF NOT EXISTS hyper_hub_session_start_time ON hyper_hub_session (start_time);

-- Users exist once a job or a session names their email (hyperplaneUsers).
CREATE TABLE IF NOT EXISTS hyperplane_user (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    id    TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE
);

-- A job's steps, one per pipeline task, recorded by the executor (store/steps.py).
CREATE TABLE IF NOT EXISTS job_step (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline_job_id TEXT NOT NULL,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL,
    start_time      TEXT,
    end_time        TEXT,
    UNIQUE (pipeline_job_id, name)
);

-- Named records jobs and sessions connect to (store/catalog.py): git (VC) servers, billing
-- projects (one, "default", exists from the start), user volumes.
CREATE TABLE IF NOT EXISTS hyperplane_vc_server (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL UNIQUE,
    url            TEXT,
    default_branch TEXT,
    status         TEXT,
    service_url    TEXT
);
CREATE TABLE IF NOT EXISTS billing_project (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    id   TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE
);
INSERT OR IGNORE INTO billing_project (id, name) VALUES ('default', 'default');
CREATE TABLE IF NOT EXISTS user_pvc (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    pvc_name     TEXT NOT NULL UNIQUE,
    display_name TEXT
);
"""
# The columns of orchestrator.platform.store.job_fields are added by migrate.upgrade.
