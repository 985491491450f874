"""A JSON Schema of the manifest, for editors' YAML support (completion, hover, red squiggles).

Generated from the same tables validation uses (``fields.py``), so it cannot drift. The
loader remains the authority: the schema cannot express every rule (template variables,
cron syntax, GitHub include semantics), but it catches misspelt keys and wrong types.
"""

from __future__ import annotations

from typing import Any

from orchestrator.manifest.fields import (
    FIELD_DESCRIPTIONS,
    JOB_FIELDS,
    NAME_PATTERN,
    RETRYABLE_STATUSES,
    Kind,
)

SCHEMA_ID = "https://orchestrator.invalid/manifest.schema.json"

_DURATION: dict[str, Any] = {
    "description": "Seconds, or a duration like 10s, 5m, 2h, 1h30m.",
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": r"^(\d+(\.\d+)?(ms|s|m|h|d))+$"},
    ],
}
_TEMPLATE_HINT = " Strings may use {{ variable }} templates."


def _field_schema(kind: Kind) -> dict[str, Any]:
    if kind is Kind.FLAG:
        return {"type": "boolean"}
    if kind is Kind.TIMEOUT:
        return {"type": "integer", "minimum": -1}
    if kind is Kind.COUNT:
        return {"type": "integer", "minimum": 0}
    if kind is Kind.JOB_NAME:
        return {"type": "string", "maxLength": 63}
    if kind is Kind.PIPELINE_TYPE:
        return {"type": "string"}
    if kind is Kind.PORT:
        return {"type": ["integer", "string"], "minimum": 1, "maximum": 65535}
    return {"type": ["string", "number"] if kind is Kind.TEXT else "string"}


def _job_fields() -> dict[str, Any]:
    return {
        name: {**_field_schema(kind), "description": FIELD_DESCRIPTIONS[name] + _TEMPLATE_HINT}
        for name, kind in JOB_FIELDS.items()
    }


def manifest_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) describing a manifest file."""
    parameters = {
        "type": "object",
        "description": "Parameters passed to every step; values become strings.",
        "additionalProperties": {"type": ["string", "number", "boolean"]},
    }
    source = {
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
        "properties": {
            "range": {
                "type": "array",
                "items": {"type": "number"},
                "minItems": 1,
                "maxItems": 3,
                "description": "[stop], [start, stop] or [start, stop, step]; stop excluded.",
            },
            "file": {
                "type": "string",
                "description": "Lines of a text file, rows of .csv, values of .jsonl, or a "
                "list in .json/.yaml; relative to the manifest.",
            },
            "glob": {"type": "string", "description": "Matching paths, relative, sorted."},
        },
        "additionalProperties": False,
    }
    entries = {"type": "array", "items": {"type": "object", "minProperties": 1}}
    matrix = {
        "type": "object",
        "description": "Cartesian product of axes, with GitHub Actions include/exclude rules.",
        "properties": {"include": entries, "exclude": entries},
        "additionalProperties": {
            "anyOf": [{"type": "array", "minItems": 1}, {"$ref": "#/$defs/source"}]
        },
    }
    items = {
        "description": "A list of mappings, or {file: rows.csv|.jsonl|.yaml}.",
        "anyOf": [
            {"type": "array", "minItems": 1, "items": {"type": "object", "minProperties": 1}},
            {
                "type": "object",
                "properties": {"file": {"type": "string"}},
                "required": ["file"],
                "additionalProperties": False,
            },
        ],
    }
    group = {
        "type": "object",
        "minProperties": 1,
        "properties": {
            "name": {"type": "string", "description": "Job name template (prefixed by run name)."},
            "group": {"type": "string", "pattern": NAME_PATTERN},
            "matrix": matrix,
            "items": items,
            "parameters": parameters,
            **_job_fields(),
        },
        "additionalProperties": False,
    }
    retry = {
        "type": "object",
        "properties": {
            "backoff": _DURATION,
            "maxBackoff": _DURATION,
            "on": {"type": "array", "items": {"enum": list(RETRYABLE_STATUSES)}},
        },
        "additionalProperties": False,
    }
    policy = {
        "type": "object",
        "properties": {
            "maxInFlight": {"type": "integer", "minimum": 1},
            "deadline": _DURATION,
            "outage": _DURATION,
            "failFast": {"type": "boolean"},
            "maxJobs": {"type": "integer", "minimum": 1},
            "retry": retry,
            "maxRequestsInFlight": {"type": "integer", "minimum": 1},
            "requestsPerSecond": {"type": ["number", "null"], "exclusiveMinimum": 0},
        },
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "orchestrator manifest",
        "type": "object",
        "required": ["jobs"],
        "properties": {
            "version": {"const": 1},
            "name": {"type": "string", "pattern": NAME_PATTERN},
            "variables": {
                "type": "object",
                "description": "Values every template may use; `run -p KEY=VALUE` overrides.",
                "additionalProperties": {"type": ["string", "number", "boolean"]},
            },
            "defaults": {
                "type": "object",
                "properties": {"parameters": parameters, **_job_fields()},
                "additionalProperties": False,
            },
            "jobs": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/group"}},
            "policy": policy,
        },
        "additionalProperties": False,
        "$defs": {"group": group, "source": source},
    }
