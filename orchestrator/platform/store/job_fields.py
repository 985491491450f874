"""The pipeline-job fields real clients of the hosted platform send and select, beyond the
seed document's: ``jobName``, ``workingDir``, ``pipelineType``, the relation ids, ...

One table drives everything about them: the store's columns (added to older databases on
open), the create inputs, the ``where`` filters and the ``PipelineJob`` output, so adding one
is one line here plus its line in ``schema.graphql``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldKind = Literal["string", "int", "bool"]
"""How a field compares in filters (the values of ``where.Kind``)."""

_SQL_TYPES: dict[FieldKind, str] = {"string": "TEXT", "int": "INTEGER", "bool": "INTEGER"}


@dataclass(frozen=True, slots=True)
class JobField:
    """One extra scalar of ``PipelineJob``: API name, column, kind."""

    name: str
    column: str
    kind: FieldKind

    @property
    def sql_type(self) -> str:
        """The column's SQLite type."""
        return _SQL_TYPES[self.kind]


def _field(name: str, kind: FieldKind = "string", column: str | None = None) -> JobField:
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
    return JobField(name, column or snake, kind)


JOB_FIELDS: tuple[JobField, ...] = (
    _field("jobName"),
    _field("workingDir"),
    _field("pipelineType"),
    _field("imageHash"),
    _field("noGitInit", "bool"),
    _field("hyperplaneUserEmail"),
    _field("noHyperplaneCommands", "bool"),
    _field("group", column="job_group"),  # GROUP is an SQL keyword
    _field("hyperplaneServiceAccountId"),
    _field("grafanaLink"),
    _field("userServiceSubdomain"),
    _field("dashboardPrefix"),
    _field("timezone"),
    _field("noVSRewrite", "bool", "no_vs_rewrite"),
    _field("minReplicas", "int"),
    _field("maxHpaRange", "int"),
    _field("notificationsEnabled", "bool"),
    _field("sshCommand"),
    _field("runParallel", "bool"),
    _field("gitServerName"),
    _field("serviceAccountName"),
    _field("customMessage"),
    _field("podSpec"),
    _field("cloudSqlProxyEnabled", "bool"),
    _field("hyperplaneCloudSqlProxyId"),
    _field("hyperplaneVCServerId", column="hyperplane_vc_server_id"),
    _field("billingProjectId"),
    _field("hyperplaneUserId"),
    # The current documentation page's PipelineJob (issue 19), stored as given.
    _field("priorityClass"),
    _field("preemptible", "bool"),
    _field("maxRetriesPerStep", "int"),
    _field("timeoutPerStep", "int"),
    _field("jobCommand"),
    _field("customCommand"),
    _field("customTrigger"),
    _field("sendNotification", "bool"),
    _field("slackChannelName"),
    _field("icon"),
    _field("mappedUrl"),
    _field("cloudRunner"),
    _field("parentJobId"),
    _field("workerPodName"),  # no input has it: the executor sets it when an attempt starts
)
"""Scalars stored as given (``None`` when not given); booleans read back ``False`` then."""

LIST_FIELDS: tuple[JobField, ...] = (
    JobField("notificationTargetIds", "notification_target_ids", "string"),
    JobField("hyperplaneSecretIds", "hyperplane_secret_ids", "string"),
)
"""Lists of ids, stored as JSON text; not filterable."""

SESSION_FIELDS: tuple[JobField, ...] = (
    _field("imageHash"),
    _field("imageUrl"),
    _field("timeout", "int"),
    _field("collaborative", "bool"),
    _field("group", column="session_group"),  # GROUP is an SQL keyword
    _field("userPvcName"),
    _field("hyperplaneUserId"),
    _field("billingProjectId"),
    _field("podSpec"),
    _field("statusReason"),
)
"""The session fields of the hosted documentation page (issue 19), stored as given on the
``hyper_hub_session`` table (added to older databases on open, as the job fields are)."""

ALL_FIELDS: tuple[JobField, ...] = JOB_FIELDS + LIST_FIELDS

IMMEDIATE = "immediate"
"""The ``schedule`` of a one-off job, as the hosted platform stores it."""


def is_cron(schedule: str | None) -> bool:
    """Whether a ``schedule`` value is a cron expression (not empty, not "immediate")."""
    return bool(schedule) and schedule != IMMEDIATE
