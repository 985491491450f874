"""Turn a located YAML document into a run name, a Policy and validated Groups.

Every check records its issue and carries on, so one pass reports every problem.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.manifest.checker import Checker, describe, dotted
from orchestrator.manifest.errors import did_you_mean
from orchestrator.manifest.fields import (
    API_NAMES,
    DEFAULT_KEYS,
    GROUP_KEYS,
    JOB_FIELDS,
    NAME_PATTERN,
    PIPELINE_TYPES,
    TOP_KEYS,
    Kind,
)
from orchestrator.manifest.group import Group
from orchestrator.manifest.job_name import is_valid_job_name, valid_job_name
from orchestrator.manifest.model import Policy
from orchestrator.manifest.parameter_names import environment_name, parameter_name_problem
from orchestrator.manifest.policy import absent_is_empty, build_policy
from orchestrator.manifest.templates import (
    Template,
    TemplateSyntaxError,
    compile_template,
    render_value,
)
from orchestrator.manifest.variables import build_items, build_matrix
from orchestrator.manifest.yaml_source import PathKey

_NAME = re.compile(NAME_PATTERN)
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
# Templated schedules are checked per job at load time when a group is at most this big.
SCHEDULE_CHECK_LIMIT = 10_000
# The platform's GraphQL Int is 32-bit signed: a bigger timeout would pass `plan` and then
# fail the run's first create request.
PLATFORM_INT_MAX = 2**31 - 1


@dataclass(frozen=True, slots=True)
class ValidatedManifest:
    """What validation produces: everything needed to count and expand."""

    name: str
    policy: Policy
    groups: tuple[Group, ...]


def validate(
    check: Checker, default_name: str, overrides: Mapping[str, str] | None = None
) -> ValidatedManifest | None:
    """Validate the whole document; None when any issue was recorded.

    ``overrides`` replace values of the manifest's ``variables`` (``run -p KEY=VALUE``).
    """
    data = check.doc.data
    if data is None:
        check.error((), "the manifest is empty: expected a mapping with at least 'jobs'")
        return None
    top = check.mapping(data, ())
    if top is None:
        return None
    check.known_keys(top, (), TOP_KEYS)
    version = top.get("version", 1)
    if version != 1 or isinstance(version, bool):
        check.error(("version",), f"version must be 1, got {version!r}")
    name = _run_name(check, top.get("name", default_name))
    policy = build_policy(check, absent_is_empty(top.get("policy")))
    defaults = check.mapping(absent_is_empty(top.get("defaults")), ("defaults",)) or {}
    check.known_keys(defaults, ("defaults",), DEFAULT_KEYS)
    constants = _constants(check, absent_is_empty(top.get("variables")), overrides or {})
    groups = _groups(check, top, defaults, constants)
    if check.issues.issues or name is None or policy is None:
        return None
    total = sum(group.count() for group in groups)
    if total > policy.max_jobs:
        check.error(
            ("jobs",),
            f"this manifest makes {total} jobs, more than policy.maxJobs ({policy.max_jobs}); "
            "raise maxJobs if that is intended",
        )
        return None
    return ValidatedManifest(name=name, policy=policy, groups=tuple(groups))


def _constants(check: Checker, raw: Any, overrides: Mapping[str, str]) -> dict[str, Any]:
    """The manifest's ``variables`` (scalars every template may use), with ``overrides``."""
    values = check.mapping(raw, ("variables",)) or {}
    constants: dict[str, Any] = {}
    for name, value in values.items():
        path: PathKey = ("variables", name)
        if not isinstance(name, str) or not _VARIABLE.fullmatch(name):
            check.error(
                path, f"variable names must match {_VARIABLE.pattern}, got {name!r}", at_key=True
            )
        elif name in ("index", "group"):
            check.error(path, f"{name!r} is a built-in variable; choose another name", at_key=True)
        elif isinstance(value, dict | list) or value is None:
            check.error(path, f"variables.{name} must be a string, number or boolean")
        else:
            constants[name] = value
    for name, value in overrides.items():
        if name not in values:
            declared = ", ".join(sorted(map(str, values))) or "none"
            hint = did_you_mean(name, [str(v) for v in values])
            check.error(
                ("variables",) if values else (),
                f"-p {name}=...: the manifest declares no variable {name!r} "
                f"(declared: {declared}){hint}",
            )
        else:
            constants[name] = value
    return constants


def _run_name(check: Checker, value: Any) -> str | None:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        check.error(
            ("name",),
            f"name must be 1-40 characters of letters, digits, '.', '_' or '-' starting with "
            f"a letter or digit, got {value!r}",
        )
        return None
    return value


def _groups(
    check: Checker, top: dict[Any, Any], defaults: dict[Any, Any], constants: Mapping[str, Any]
) -> list[Group]:
    raw = top.get("jobs")
    if raw is None:
        check.error(("jobs",) if "jobs" in top else (), "the manifest has no 'jobs' list")
        return []
    if not isinstance(raw, list):
        check.error(("jobs",), f"jobs must be a list of job groups, got {describe(raw)}")
        return []
    if not raw:
        check.error(("jobs",), "jobs is empty: add at least one job group")
        return []
    groups: list[Group] = []
    ids: dict[str, int] = {}
    jobs_before = 0  # a running total: recounting every group per group is quadratic
    for position, entry in enumerate(raw):
        path: PathKey = ("jobs", position)
        spec = check.mapping(entry, path)
        if spec is None:
            continue
        if not spec:
            check.error(path, f"job group {position + 1} is empty")
            continue
        check.known_keys(spec, path, GROUP_KEYS)
        group = _group(check, spec, defaults, path, position, jobs_before, constants)
        if group is None:
            continue
        if group.id in ids:
            check.error(
                path,
                f"group {group.id!r} is already used by job group {ids[group.id] + 1}; "
                "set a distinct 'group:'",
            )
            continue
        ids[group.id] = position
        groups.append(group)
        jobs_before += group.count()
    return groups


def _group_id(check: Checker, spec: dict[Any, Any], path: PathKey, position: int) -> str | None:
    if "group" in spec:
        value = spec["group"]
        if isinstance(value, str) and _NAME.fullmatch(value):
            return value
        check.error((*path, "group"), f"group must match {NAME_PATTERN}, got {value!r}")
        return None
    name = spec.get("name")
    if isinstance(name, str):
        literal = name.split("{{", 1)[0]
        literal = re.sub(r"[^A-Za-z0-9._-]+", "-", literal)
        literal = re.sub(r"[-_.]{2,}", "-", literal).strip("-_.")[:40].strip("-_.")
        if literal:
            return literal
    return f"group-{position + 1}"


def _group(
    check: Checker,
    spec: dict[Any, Any],
    defaults: dict[Any, Any],
    path: PathKey,
    position: int,
    first_index: int,
    constants: Mapping[str, Any],
) -> Group | None:
    gid = _group_id(check, spec, path, position)
    matrix = build_matrix(check, spec["matrix"], (*path, "matrix")) if "matrix" in spec else None
    items = build_items(check, spec["items"], (*path, "items")) if "items" in spec else None
    known = {"index", "group", *constants}
    if matrix is not None:
        known |= matrix.variable_names
    if items is not None:
        item_keys = {key for item in items for key in item}
        if matrix is not None:
            for clash in sorted(item_keys & matrix.variable_names):
                check.error((*path, "items"), f"items and matrix both define {clash!r}")
        known |= item_keys
    if ("matrix" in spec and matrix is None) or ("items" in spec and items is None):
        known = set()  # the variables are unknowable; do not pile template errors on top
    templates = _Templates(check, known if known else None, position)
    name = templates.compile(spec.get("name", "{{ index }}"), (*path, "name"))
    fields: dict[str, Any] = {}
    field_paths: dict[str, PathKey] = {}
    for field_name, kind in JOB_FIELDS.items():
        if field_name in spec:
            where: PathKey = (*path, field_name)
            raw = spec[field_name]
        elif field_name in defaults:
            where, raw = ("defaults", field_name), defaults[field_name]
        else:
            continue
        field_paths[field_name] = where
        value = _field(check, templates, kind, raw, where)
        if value is not None:
            fields[API_NAMES.get(field_name, field_name)] = value
    if "pipelineYamlPath" not in spec and "pipelineYamlPath" not in defaults:
        check.error(path, "pipelineYamlPath is required (set it in defaults or in this group)")
    parameters = _parameters(check, templates, defaults, spec, path)
    if gid is None or name is None or not templates.ok or parameters is None:
        return None
    if ("matrix" in spec and matrix is None) or ("items" in spec and items is None):
        return None
    group = Group(gid, name, fields, parameters, matrix, items, constants)
    if group.count() == 0:
        check.error(path, "this job group makes no jobs (every combination is excluded)")
        return None
    schedule = fields.get("schedule")
    if isinstance(schedule, Template) and group.count() <= SCHEDULE_CHECK_LIMIT:
        _check_rendered_schedules(check, group, schedule, field_paths["schedule"], first_index)
    return group


class _Templates:
    """Compiles strings of one group, reporting syntax errors and unknown variables."""

    def __init__(self, check: Checker, known: set[str] | None, position: int) -> None:
        self.check = check
        self.known = known
        self.position = position
        self.ok = True

    def compile(self, value: Any, path: PathKey) -> Template | None:
        if not isinstance(value, str):
            self.check.error(path, f"{dotted(path)} must be a string, got {describe(value)}")
            self.ok = False
            return None
        try:
            template = compile_template(value)
        except TemplateSyntaxError as exc:
            self.check.error(path, str(exc))
            self.ok = False
            return None
        if self.known is None:
            return template
        for variable in template.variables:
            if variable[0] not in self.known:
                choices = sorted(self.known)
                self.check.error(
                    path,
                    f"unknown variable {variable[0]!r} in {value!r}"
                    f"{did_you_mean(variable[0], choices)}; known: {', '.join(choices)}"
                    + (f" (in job group {self.position + 1})" if path[0] == "defaults" else ""),
                )
                self.ok = False
        return template


def _field(check: Checker, templates: _Templates, kind: Kind, raw: Any, path: PathKey) -> Any:
    if kind is Kind.FLAG:
        if isinstance(raw, bool):
            return raw
        check.error(path, f"{dotted(path)} must be true or false, got {describe(raw)}")
        return None
    if kind is Kind.TIMEOUT:
        return check.integer(raw, path, -1, " (-1 means never)", maximum=PLATFORM_INT_MAX)
    if kind is Kind.COUNT:
        return check.integer(raw, path, 0, maximum=PLATFORM_INT_MAX)
    if kind is Kind.PORT and isinstance(raw, int) and not isinstance(raw, bool):
        if 1 <= raw <= 65535:
            return str(raw)
        check.error(path, f"{dotted(path)} must be a port number 1-65535, got {raw}")
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool) and kind is Kind.TEXT:
        raw = str(raw)  # e.g. commitId: 1234567
    template = templates.compile(raw, path)
    if template is None or not template.is_literal:
        return template
    if kind is Kind.PORT and not (template.source.isdigit() and 1 <= int(template.source) <= 65535):
        check.error(path, f"{dotted(path)} must be a port number 1-65535, got {raw!r}")
        return None
    if not template.source.strip() and path[-1] == "pipelineYamlPath":
        check.error(path, "pipelineYamlPath must not be empty")
        return None
    if kind is Kind.JOB_NAME and not is_valid_job_name(template.source):
        check.error(
            path,
            f"jobName {template.source!r} is not a valid job name (lower case letters, digits "
            f"and '-', at most 63 characters); use {valid_job_name(template.source)!r}",
        )
        return None
    if kind is Kind.PIPELINE_TYPE and template.source.upper() not in PIPELINE_TYPES:
        check.error(
            path,
            f"pipelineType {template.source!r} is unknown; use one of {', '.join(PIPELINE_TYPES)}",
        )
        return None
    if kind is Kind.TIMEZONE and not valid_timezone(template.source):
        check.error(
            path,
            f"timezone {template.source!r} is not a known IANA time zone name"
            " (e.g. UTC, Europe/Paris, America/New_York)",
        )
        return None
    if kind is Kind.CRON and not _valid_cron(template.source):
        check.error(path, f"schedule {template.source!r} is not a valid 5-field cron expression")
        return None
    return template.source


def valid_timezone(name: str) -> bool:
    """``name`` is a time zone this machine's zone database knows (the platform reads the
    cron schedule in it: a name it cannot load would be refused there)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _valid_cron(expression: str) -> bool:
    text = expression.strip()
    if text in _CRON_MACROS:
        return True
    from croniter import croniter  # here: loading any manifest needs no croniter (20 ms)

    return len(text.split()) == 5 and bool(croniter.is_valid(text))


def _check_rendered_schedules(
    check: Checker, group: Group, schedule: Template, path: PathKey, first_index: int
) -> None:
    for index, variables in enumerate(group.variables(), start=first_index):
        context = {**group.constants, **variables, "index": index, "group": group.id}
        rendered = schedule.render(context)
        if not _valid_cron(rendered):
            check.error(path, f"schedule renders to {rendered!r}, not a valid cron expression")
            return


def _parameters(
    check: Checker,
    templates: _Templates,
    defaults: dict[Any, Any],
    spec: dict[Any, Any],
    path: PathKey,
) -> dict[str, Template] | None:
    merged: dict[str, tuple[Any, PathKey]] = {}
    ok = True
    for owner in (("defaults",), path):
        source = defaults if owner == ("defaults",) else spec
        if "parameters" not in source:
            continue
        mapping = check.mapping(absent_is_empty(source["parameters"]), (*owner, "parameters"))
        if mapping is None:
            ok = False
            continue
        for key, value in mapping.items():
            merged[key] = (value, (*owner, "parameters", key))
    result: dict[str, Template] = {}
    by_environment: dict[str, str] = {}
    for key, (value, where) in merged.items():
        problem = parameter_name_problem(key)
        if problem is not None:
            check.error(where, problem, at_key=True)
            ok = False
        elif (first := by_environment.setdefault(environment_name(key), key)) != key:
            check.error(
                where,
                f"parameters {first} and {key} would both reach the job as "
                f"{environment_name(key)} (names are upper-cased, '-' and '.' become '_'); "
                "rename one",
                at_key=True,
            )
            ok = False
        elif value is None or isinstance(value, list | dict):
            check.error(
                where,
                f"parameter {key} must be a string, number or boolean, got {describe(value)}"
                + (' (write "" for an empty value)' if value is None else ""),
            )
            ok = False
        else:
            template = templates.compile(render_value(value), where)
            if template is not None:
                result[key] = template
    return result if ok else None
