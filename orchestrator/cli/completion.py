"""Shell completion of run ids (click's ``shell_complete``), read from the ledger.

Commands and options complete through click itself once the shell is set up (README,
"Shell completion"); this adds the run ids of the state dir, newest first: the command's
``state_dir`` as click resolved it so far (``--state-dir`` typed, else ORCHESTRATOR_STATE_DIR,
else the context's ``state_dir``: ``--context``'s callback runs while completing too, else
``.orchestrator``).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click
from click.shell_completion import CompletionItem

from orchestrator.ledger import LEDGER_FILE


def complete_run_ids(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Run ids starting with ``incomplete``, with the run's name as help."""
    state_dir = ctx.params.get("state_dir") or os.environ.get(
        "ORCHESTRATOR_STATE_DIR", ".orchestrator"
    )
    path = Path(state_dir) / LEDGER_FILE
    if not path.exists():  # completing must never create a state dir
        return []
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0) as db:
            rows = db.execute(
                "SELECT id, name FROM runs WHERE id LIKE ? ORDER BY created_at DESC LIMIT 50",
                (incomplete.replace("%", "").replace("_", "") + "%",),
            ).fetchall()
    except sqlite3.Error:
        return []
    return [
        CompletionItem(run_id, help=name) for run_id, name in rows if run_id.startswith(incomplete)
    ]
