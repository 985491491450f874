"""A validated job group: its variables (matrix x items) and how each becomes a JobSpec."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrator.manifest.fields import CONNECTS
from orchestrator.manifest.job_name import valid_job_name
from orchestrator.manifest.matrix import Matrix
from orchestrator.manifest.model import JobSpec
from orchestrator.manifest.templates import Template, render_value

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
SLUG_LENGTH = 32
HASH_LENGTH = 16
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True, slots=True)
class Group:
    """One entry of ``jobs:`` with defaults applied and every string compiled to a template.

    ``fields`` values are final values, or Templates for strings that name variables.
    """

    id: str
    name: Template
    fields: Mapping[str, Any]
    parameters: Mapping[str, Template]
    matrix: Matrix | None
    items: Sequence[Mapping[str, Any]] | None
    constants: Mapping[str, Any] = field(default_factory=dict)  # the manifest's `variables`
    # Split once so rendering a job only touches the strings that name variables.
    _literal_fields: dict[str, Any] = field(init=False, repr=False, compare=False)
    _template_fields: tuple[tuple[str, Template], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        literal = {k: v for k, v in self.fields.items() if not isinstance(v, Template)}
        literal.update(
            (k, v.source)
            for k, v in self.fields.items()
            if isinstance(v, Template) and v.is_literal
        )
        templated = tuple(
            (k, v) for k, v in self.fields.items() if isinstance(v, Template) and not v.is_literal
        )
        object.__setattr__(self, "_literal_fields", literal)
        object.__setattr__(self, "_template_fields", templated)

    def count(self) -> int:
        """Jobs this group yields: items times matrix combinations (1 if it has neither)."""
        matrix = self.matrix.count() if self.matrix is not None else 1
        items = len(self.items) if self.items is not None else 1
        return matrix * items

    def literal_field(self, name: str) -> Any:
        """The value of field ``name`` when it is the same for every job, else ``None``."""
        return self._literal_fields.get(name)

    def variables(self) -> Iterator[dict[str, Any]]:
        """The variables of each job in order: items outer, matrix combinations inner."""
        items: Sequence[Mapping[str, Any]] = self.items if self.items is not None else ({},)
        for item in items:
            if self.matrix is None:
                yield dict(item)
                continue
            for combination in self.matrix.combinations():
                yield {**item, **combination} if item else combination

    def job(self, run_name: str, index: int, variables: Mapping[str, Any]) -> JobSpec:
        """Render one job; ``index`` is its position in the whole run."""
        context = {**self.constants, **variables, "index": index, "group": self.id}
        fields = dict(self._literal_fields)
        for name, template in self._template_fields:
            fields[name] = template.render(context)
        if self._template_fields:  # keep the API's field order whatever was templated
            fields = {name: fields[name] for name in self.fields}
        parameters = {name: value.render(context) for name, value in self.parameters.items()}
        name = f"{run_name}-{self.name.render(context)}"
        fields["jobName"] = valid_job_name(str(fields.get("jobName") or name))
        for key, by in CONNECTS.items():  # a record named by a string: the API's connect
            if key in fields:
                fields[key] = {"connect": {by: str(fields[key])}}
        return JobSpec(
            key=job_key(self.id, variables),
            index=index,
            group=self.id,
            name=name,
            matrix=variables,
            fields=fields,
            parameters=parameters,
        )


def job_key(group: str, variables: Mapping[str, Any]) -> str:
    """A stable key from the group and the variables (not the position), at most 90 chars.

    Readable prefix (group and values), then 16 hex digits of a sha256 of the variables so
    distinct variables never share a key in practice (2**-64 per pair).
    """
    if not variables:
        return group
    canonical = _CANONICAL.encode(variables)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:HASH_LENGTH]
    readable = _UNSAFE.sub("_", "_".join(render_value(v) for v in variables.values()))
    readable = readable.strip("._-")[:SLUG_LENGTH].strip("._-")
    return f"{group}-{readable}-{digest}" if readable else f"{group}-{digest}"
