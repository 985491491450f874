"""A request's time budget, and the hooks that stop work once it has run out.

Python cannot kill a thread, so a request over its budget is stopped cooperatively at three
points where its work passes often: every AST node validation visits (a validation rule),
every field execution resolves (a GraphQL middleware) and every few thousand SQLite virtual
machine steps (a progress handler, which makes the running statement fail "interrupted").
Parsing is not interruptible; ``DocumentLimits.max_tokens`` bounds it instead.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from graphql import ASTValidationRule, GraphQLResolveInfo, Node

SQLITE_STEPS = 10_000  # virtual machine steps between two looks at the clock


class BudgetExceeded(Exception):
    """The request ran out of time; whatever it was doing is abandoned."""


class Budget:
    """A deadline on :func:`time.monotonic`; remembers whether anything found it passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False

    def over(self) -> bool:
        """True (and remembered) once the deadline has passed."""
        if not self.expired and time.monotonic() >= self.deadline:
            self.expired = True
        return self.expired

    def narrow(self, seconds: float) -> None:
        """At most ``seconds`` more from now (work on the event loop gets less time)."""
        deadline = time.monotonic() + seconds
        if deadline < self.deadline:
            self.deadline, self.seconds = deadline, seconds

    def expire(self) -> None:
        """End the budget now (server shutdown): the work stops at its next look."""
        self.deadline = float("-inf")

    def check(self) -> None:
        """Raise :class:`BudgetExceeded` once the deadline has passed."""
        if self.over():
            raise BudgetExceeded(f"over the request time budget of {self.seconds:g} s")

    def resolve(
        self, next_: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Any], **args: Any
    ) -> Any:
        """As GraphQL middleware (pass the budget itself): every field first looks at the clock."""
        self.check()
        return next_(root, info, **args)

    def validation_rule(self) -> type[ASTValidationRule]:
        """A validation rule that stops validation once the deadline has passed."""
        budget = self

        class BudgetRule(ASTValidationRule):
            def enter(self, node: Node, *_args: Any) -> None:
                budget.check()

        return BudgetRule

    @contextmanager
    def interrupting(self, connection: sqlite3.Connection) -> Iterator[None]:
        """While inside, statements on ``connection`` fail once the deadline has passed."""
        connection.set_progress_handler(lambda: 1 if self.over() else 0, SQLITE_STEPS)
        try:
            yield
        finally:
            connection.set_progress_handler(None, 0)
