"""Bring a database written by an older store up to the current schema, on open.

Version 2 added the columns of :mod:`orchestrator.platform.store.job_fields`, the
``hyperplane_user`` table, and ``schedule = "immediate"`` for one-off jobs. Added since: the
session fields, and ``api_start_time``, a generated column (the API's ``startTime``: when the
job started running, or, until it does, when it was submitted, as the hosted platform answers
a pending job) that ``where`` and ``orderBy`` on ``startTime`` use. Columns are added
whenever missing (new databases get them the same way), so the table in ``schema_sql`` and
the field table never disagree.
"""

from __future__ import annotations

import sqlite3
import uuid

from orchestrator.platform.store.job_fields import ALL_FIELDS, IMMEDIATE, SESSION_FIELDS


def upgrade(connection: sqlite3.Connection, from_version: int) -> None:
    """Add missing job and session columns; backfill what version 2 derives from old rows."""
    present = {row[1] for row in connection.execute("PRAGMA table_info(pipeline_job)")}
    for field in ALL_FIELDS:
        if field.column not in present:  # names come from the fixed field table
            connection.execute(
                f"ALTER TABLE pipeline_job ADD COLUMN {field.column} {field.sql_type}"
            )
    connection.execute(
        "CREATE INDEX IF NOT EXISTS pipeline_job_job_name ON pipeline_job (job_name)"
    )
    columns = {row[1] for row in connection.execute("PRAGMA table_xinfo(pipeline_job)")}
    if "api_start_time" not in columns:  # startTime as the API answers it (issue 19)
        connection.execute(
            "ALTER TABLE pipeline_job ADD COLUMN api_start_time TEXT"
            " GENERATED ALWAYS AS (COALESCE(start_time, created_at)) VIRTUAL"
        )
    connection.execute(
        "CREATE INDEX IF NOT EXISTS pipeline_job_api_start_time ON pipeline_job (api_start_time)"
    )
    present = {row[1] for row in connection.execute("PRAGMA table_info(hyper_hub_session)")}
    for field in SESSION_FIELDS:
        if field.column not in present:  # names come from the fixed field table
            connection.execute(
                f"ALTER TABLE hyper_hub_session ADD COLUMN {field.column} {field.sql_type}"
            )
    if 0 < from_version < 2:
        connection.execute(
            "UPDATE pipeline_job SET schedule = ? WHERE COALESCE(schedule, '') = ''",
            (IMMEDIATE,),
        )
        emails = connection.execute(
            "SELECT hyperplane_user_email FROM hyper_hub_session"
            " WHERE hyperplane_user_email IS NOT NULL"
        ).fetchall()
        remember_users(connection, [row[0] for row in emails])


def remember_users(connection: sqlite3.Connection, emails: list[str]) -> None:
    """Make sure a user exists for each email (``hyperplaneUsers`` lists them)."""
    if emails:
        connection.executemany(
            "INSERT OR IGNORE INTO hyperplane_user (id, email) VALUES (?, ?)",
            [(str(uuid.uuid4()), email) for email in dict.fromkeys(emails)],
        )
