"""Platform users (``hyperplaneUsers``): every email a job or a session has named.

The local platform has no accounts; the hosted documentation looks a user up by email before
creating a session, so a user exists here once an email is referenced (see ``migrate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.platform.store.store import Store
from orchestrator.platform.store.where import USER_SHAPE, OrderBy, compile_order_by, compile_where


@dataclass(frozen=True, slots=True)
class UserRow:
    """One user: a stable id and an email."""

    id: str
    email: str


def find_users(
    store: Store,
    where: Mapping[str, Any] | None = None,
    order_by: OrderBy = None,
    take: int | None = None,
    skip: int | None = None,
) -> list[UserRow]:
    """Users matching a Prisma-style ``where`` (first seen first)."""
    condition = compile_where(where, USER_SHAPE)
    order = compile_order_by(order_by, USER_SHAPE)
    sql = f"SELECT u.id, u.email FROM hyperplane_user u WHERE {condition.sql} ORDER BY {order}"  # noqa: S608
    params: list[Any] = list(condition.params)
    if take is not None or skip:
        sql += " LIMIT ? OFFSET ?"
        params += [-1 if take is None else max(take, 0), skip or 0]
    return [UserRow(row[0], row[1]) for row in store.connection.execute(sql, params)]
