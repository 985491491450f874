"""Command line: parses arguments, calls the library, renders results. No business logic here.

Each command or group of commands lives in its own module (``run``, ``cancel``,
``inspect/``, ``platform/``, ``sessions``, ``stats``, ``params``, ``config``, ``manifest``,
``dashboard``),
beside the shared ``options``, ``output``, ``prompts`` and ``formatting``; failures end at
``boundary``. This module only assembles the commands into the ``orchestrator`` group,
lazily: a command's module is imported when that command runs (or its own ``--help`` is
asked), so ``orchestrator --help``, ``plan`` and
``schema`` never pay for the network stack, GraphQL or the local platform's server.
"""

from __future__ import annotations

import click

from orchestrator import __version__
from orchestrator.cli.lazy_group import LazyCommand, LazyGroup

LAZY_COMMANDS: tuple[LazyCommand, ...] = (
    # name, module:attribute in orchestrator.cli, short help (first paragraph of its help;
    # tests/cli/test_lazy_group.py checks both against the real command)
    LazyCommand(
        "platform",
        "platform:platform",
        "The local platform: the job platform's GraphQL API on SQLite, running jobs locally.",
    ),
    LazyCommand(
        "plan",
        "manifest:plan",
        "Show what FILE would launch, without launching anything (FILE ``-``: stdin).",
    ),
    LazyCommand(
        "schema",
        "manifest:schema",
        "Print the JSON Schema of manifests (for editors' YAML support).",
    ),
    LazyCommand(
        "run",
        "run:run_command",
        "Run every job of MANIFEST to the end (submit, poll, retry), with live progress.",
    ),
    LazyCommand(
        "resume",
        "run:resume_command",
        "Continue an interrupted run: reconcile with the server, submit only what is missing.",
    ),
    LazyCommand(
        "retry",
        "run:retry_command",
        "Resubmit the jobs of a run that ended failed or timed out, and drive them to the end.",
    ),
    LazyCommand(
        "watch",
        "inspect.runs:watch_command",
        "Follow a run driven by another process (e.g. --detach) until it ends.",
    ),
    LazyCommand(
        "status",
        "inspect.runs:status_command",
        "Show a run's state and counts (from the ledger, or --endpoint: the server).",
    ),
    LazyCommand(
        "runs",
        "inspect.runs:runs_command",
        "List runs newest first: those of the state dir, or (--endpoint) those on the server.",
    ),
    LazyCommand(
        "cancel",
        "cancel:cancel_command",
        "Cancel RUN, or the jobs --scheduled / --where / --older-than / --run select.",
    ),
    LazyCommand(
        "jobs",
        "inspect.jobs:jobs_command",
        "List the jobs of RUN: key, name, status, attempts, last reason, id, duration.",
    ),
    LazyCommand(
        "logs",
        "inspect.logs:logs_command",
        "Print the log of job KEY of RUN (one attempt), from wherever the platform keeps it.",
    ),
    LazyCommand(
        "sessions",
        "sessions:sessions_group",
        "List, count and cancel HyperHub sessions.",
    ),
    LazyCommand(
        "stats",
        "stats:stats_command",
        "Jobs per status created in the last 10 min / 1 h / 24 h / ever (one request).",
    ),
    LazyCommand(
        "services",
        "stats:services_group",
        "Services: jobs that never time out (timeout and activeTimeout -1).",
    ),
    LazyCommand(
        "params",
        "params:params_group",
        "List, set and remove a job's parameters.",
    ),
    LazyCommand(
        "dashboard",
        "dashboard:dashboard_command",
        "Open the web dashboard of the platform, signed in with a one-time link.",
    ),
    LazyCommand(
        "config",
        "config:config_group",
        "Named contexts: endpoint, token source and state dir, picked with --context.",
    ),
)


@click.group(
    cls=LazyGroup,
    lazy_commands=LAZY_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="orchestrator")
def main() -> None:
    """Launch, watch, retry and cancel many jobs on a GraphQL job platform."""
