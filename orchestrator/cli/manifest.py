"""Commands of the manifest family: ``plan`` (what a manifest would launch) and ``schema``."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from orchestrator.cli.output import output_option
from orchestrator.manifest import (
    JobSpec,
    Manifest,
    load_manifest,
    manifest_json_schema,
)
from orchestrator.manifest.manifest import MAX_MANIFEST_BYTES

if TYPE_CHECKING:
    from rich.table import Table

ALLOW_OUTSIDE_OPTION = click.option(
    "--allow-outside",
    multiple=True,
    metavar="DIR",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Let the manifest's file:/glob: sources read in DIR too (repeatable); by default "
    "they read only inside the manifest's folder.",
)


STDIN = "-"


def _params(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in value:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}")
        pairs[key.strip()] = text
    return pairs


PARAM_OPTION = click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    callback=_params,
    help="Set a value of the manifest's `variables` (repeatable).",
)
"""``-p KEY=VALUE``: the same on ``run`` and ``plan`` (a plan shows what the run launches)."""


def read_manifest(
    path: str | Path,
    allow_outside: tuple[Path, ...] = (),
    overrides: Mapping[str, str] | None = None,
) -> Manifest:
    """Load a manifest for a command (a bad one raises ManifestError: every issue, exit 2);
    ``overrides``: ``-p KEY=VALUE`` values of its ``variables``.

    ``-`` reads the manifest from stdin; its relative paths resolve from the current folder.
    """
    if str(path) == STDIN:
        data = sys.stdin.buffer.read(MAX_MANIFEST_BYTES + 1)
        return load_manifest(
            Path.cwd() / STDIN, data=data, allow_outside=allow_outside, overrides=overrides
        )
    return load_manifest(path, allow_outside=allow_outside, overrides=overrides)


def job_as_json(job: JobSpec) -> dict[str, Any]:
    """The plan's JSON object for one job: identity, variables, API fields, parameters."""
    return {
        "key": job.key,
        "name": job.name,
        "index": job.index,
        "group": job.group,
        "matrix": dict(job.matrix),
        **job.fields,
        "parameters": dict(job.parameters),
    }


def _json_lines(jobs: Iterator[JobSpec]) -> Iterator[str]:
    """A JSON list written piece by piece, so a big plan never sits in memory."""
    first = True
    for job in jobs:
        yield ("[\n  " if first else ",\n  ") + json.dumps(job_as_json(job), default=str)
        first = False
    yield "[]\n" if first else "\n]\n"


def _table(manifest: Manifest, limit: int) -> Table:
    from rich.table import Table  # here: ``plan --count`` and ``schema`` start faster without

    table = Table(title=f"{manifest.name}: first jobs", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("key", no_wrap=True)
    for column in ("name", "jobName", "pipeline", "parameters"):
        table.add_column(column, overflow="fold")
    for job in itertools.islice(manifest.jobs(), limit):
        parameters = " ".join(f"{k}={v}" for k, v in job.parameters.items())
        path = str(job.fields.get("pipelineYamlPath", ""))
        if "schedule" in job.fields:
            path += f" @ {job.fields['schedule']}"
        job_name = str(job.fields.get("jobName", ""))
        table.add_row(str(job.index), job.key, job.name, job_name, path, parameters)
    return table


@click.command()
@click.argument("manifest_file", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--count", "count_only", is_flag=True, help="Print the number of jobs only.")
@output_option(
    "table", "json", help="table: the count and the first jobs; json: every job as a JSON list."
)
@click.option(
    "--limit", type=click.IntRange(min=0), default=20, show_default=True, help="Rows in the table."
)
@ALLOW_OUTSIDE_OPTION
@PARAM_OPTION
def plan(
    manifest_file: str,
    count_only: bool,
    output: str,
    limit: int,
    allow_outside: tuple[Path, ...],
    params: dict[str, str],
) -> None:
    """Show what FILE would launch, without launching anything (FILE ``-``: stdin).

    ``-p KEY=VALUE`` sets a value of its ``variables`` as ``run -p`` does."""
    manifest = read_manifest(manifest_file, allow_outside, params)
    if count_only:
        click.echo(manifest.count())
        return
    if output == "json":
        for chunk in _json_lines(manifest.jobs()):
            click.echo(chunk, nl=False)
        return
    from rich.console import Console  # here: ``plan --count`` starts faster without rich
    from rich.text import Text

    total = manifest.count()
    # markup off: paths, names and parameter values are data ('[/b]' is no closing tag)
    console = Console(markup=False)
    # soft_wrap: a long path stays on its line (piped output is 80 columns wide, and a
    # script greps the line)
    console.print(
        Text.assemble((str(total), "bold"), f" job{'s' if total != 1 else ''} in {manifest_file}"),
        soft_wrap=True,
    )
    table = _table(manifest, limit)
    if not console.is_terminal:  # piped: plain columns, no box drawing
        table.box = None
    console.print(table)
    if total > limit:
        console.print(f"... and {total - limit} more (--output json lists them all)")


@click.command()
def schema() -> None:
    """Print the JSON Schema of manifests (for editors' YAML support)."""
    click.echo(json.dumps(manifest_json_schema(), indent=2))
