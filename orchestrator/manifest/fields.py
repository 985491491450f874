"""The manifest's vocabulary: which keys exist where and what values they take.

One table serves validation, "did you mean" suggestions and the JSON Schema, so the three
cannot drift apart. Job field names are the platform API's own (createPipelineJob data).
"""

from __future__ import annotations

from enum import Enum


class Kind(Enum):
    """What a job field holds, as the API types it."""

    TEXT = "text"  # String; templates allowed
    TIMEOUT = "timeout"  # Int seconds, -1 = never
    COUNT = "count"  # Int >= 0
    PORT = "port"  # String in the API; a number 1-65535 or a template
    CRON = "cron"  # String cron expression; templates allowed
    FLAG = "flag"  # Boolean
    JOB_NAME = "job_name"  # String [a-z0-9-], <= 63 chars; templates allowed (made valid)
    PIPELINE_TYPE = "pipeline_type"  # String "YAML" or "BASH" (any case); templates allowed
    TIMEZONE = "timezone"  # String IANA zone name (the cron schedule's); templates allowed


JOB_FIELDS: dict[str, Kind] = {
    "jobType": Kind.TEXT,
    "pipelineYamlPath": Kind.TEXT,
    "timeout": Kind.TIMEOUT,
    "activeTimeout": Kind.TIMEOUT,
    "maxRetries": Kind.COUNT,
    "exposedPort": Kind.PORT,
    "schedule": Kind.CRON,
    "pinned": Kind.FLAG,
    "debuggable": Kind.FLAG,
    "branchName": Kind.TEXT,
    "commitId": Kind.TEXT,
    "owner": Kind.TEXT,
    "department": Kind.TEXT,
    # What real clients of the hosted platform send (createPipelineJobWithAlerting's fields).
    "jobName": Kind.JOB_NAME,
    "pipelineType": Kind.PIPELINE_TYPE,
    "workingDir": Kind.TEXT,
    "hyperplaneUserEmail": Kind.TEXT,
    "imageHash": Kind.TEXT,
    "platformGroup": Kind.TEXT,
    "timezone": Kind.TIMEZONE,
    "gitServerName": Kind.TEXT,
    "serviceAccountName": Kind.TEXT,
    "customMessage": Kind.TEXT,
    "noGitInit": Kind.FLAG,
    "noHyperplaneCommands": Kind.FLAG,
    "hyperplaneVCServer": Kind.TEXT,
}

API_NAMES: dict[str, str] = {"platformGroup": "group"}
"""Manifest keys whose API field has another name (``group`` names a job group here)."""

CONNECTS: dict[str, str] = {"hyperplaneVCServer": "name"}
"""Manifest keys that name a record the job connects to, and the record's field they give:
``hyperplaneVCServer: repo`` is sent as ``hyperplaneVCServer: {connect: {name: "repo"}}``."""

PIPELINE_TYPES = ("YAML", "BASH")

FIELD_DESCRIPTIONS: dict[str, str] = {
    "jobType": "Job type, e.g. basic.",
    "pipelineYamlPath": "Path of the pipeline YAML in the workspace/repository (required).",
    "timeout": "Seconds from submission until the job is timed out; -1 = never.",
    "activeTimeout": "Seconds from start of execution until the job is timed out; -1 = never.",
    "maxRetries": "How many times the orchestrator resubmits a failed job.",
    "exposedPort": "Port the job exposes (services).",
    "schedule": "Cron expression; the job becomes a scheduled job.",
    "pinned": "Pin the job in listings.",
    "debuggable": "Keep the job debuggable.",
    "branchName": "Git branch to run from.",
    "commitId": "Git commit to run from.",
    "owner": "Owner of the job.",
    "department": "Department the job is billed to.",
    "jobName": "Name shown and filtered by on the platform: lower case [a-z0-9-], at most 63 "
    "characters [default: the job's name made valid].",
    "pipelineType": "YAML (pipelineYamlPath is a pipeline file, the default) or BASH "
    "(pipelineYamlPath is a script run from the repository root).",
    "workingDir": "Directory of the repository the job runs in.",
    "hyperplaneUserEmail": "Email of the user the job runs as.",
    "imageHash": "Container image to run the job in.",
    "platformGroup": "The platform's job group (the API field 'group').",
    "timezone": "IANA time zone the cron schedule is read in (e.g. America/New_York).",
    "gitServerName": "Git server to check the repository out from.",
    "serviceAccountName": "Kubernetes service account of the job.",
    "customMessage": "Message shown with the job's alerts.",
    "noGitInit": "Do not check out the repository before running.",
    "noHyperplaneCommands": "Run without the platform's helper commands.",
    "hyperplaneVCServer": "Name of the git server whose repository the job runs (checked out "
    "at branchName/commitId; without one, the job runs the platform's workspace).",
}

TOP_KEYS = ("version", "name", "variables", "defaults", "jobs", "policy")
GROUP_KEYS = ("name", "group", "matrix", "items", "parameters", *JOB_FIELDS)
DEFAULT_KEYS = ("parameters", *JOB_FIELDS)
POLICY_KEYS = (
    "maxInFlight",
    "deadline",
    "outage",
    "failFast",
    "maxJobs",
    "retry",
    "maxRequestsInFlight",
    "requestsPerSecond",
)
RETRY_KEYS = ("backoff", "maxBackoff", "on")
RETRYABLE_STATUSES = ("failed", "timed out", "cancelled")
SOURCE_KEYS = ("range", "file", "glob")
ITEM_SOURCE_KEYS = ("file",)

# Variables every job has; matrix axes and item keys may not reuse these names.
BUILTIN_VARIABLES = ("index", "group")

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
