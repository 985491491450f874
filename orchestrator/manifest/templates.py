"""``{{ var }}`` templates: substitution of named values, and nothing else.

A template names variables (optionally with dotted look-ups into mapping values,
``{{ row.path }}``); there are no expressions, filters or calls, so no code can run from a
manifest. Templates are compiled once per group and rendered per job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")


class TemplateSyntaxError(ValueError):
    """A placeholder that is not a plain variable name."""


@dataclass(frozen=True, slots=True)
class Template:
    """A string split into literal text and variable paths."""

    source: str
    parts: tuple[str | tuple[str, ...], ...]

    @property
    def is_literal(self) -> bool:
        """True when the string holds no placeholder."""
        return all(isinstance(part, str) for part in self.parts)

    @property
    def variables(self) -> tuple[tuple[str, ...], ...]:
        """Every variable path the template names, in order."""
        return tuple(part for part in self.parts if isinstance(part, tuple))

    def render(self, variables: Mapping[str, Any]) -> str:
        """Substitute values; a variable absent from this job renders as an empty string."""
        parts = self.parts
        if len(parts) == 1:
            part = parts[0]
            if type(part) is str:
                return part
            if len(part) == 1:
                return render_value(variables.get(part[0]))
        out: list[str] = []
        for part in parts:
            if type(part) is str:
                out.append(part)
                continue
            value: Any = variables.get(part[0])
            for name in part[1:]:
                value = value.get(name) if isinstance(value, Mapping) else None
            out.append(render_value(value))
        return "".join(out)


def compile_template(source: str) -> Template:
    """Split ``source`` into parts; raise TemplateSyntaxError for anything but ``{{ name }}``."""
    parts: list[str | tuple[str, ...]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(source):
        if match.start() > position:
            parts.append(source[position : match.start()])
        expression = match.group(1).strip()
        if not _VARIABLE.fullmatch(expression):
            raise TemplateSyntaxError(
                f"template {match.group(0)!r} must name a variable, like {{{{ lr }}}} "
                "(no expressions, filters or calls)"
            )
        parts.append(tuple(expression.split(".")))
        position = match.end()
    tail = source[position:]
    if "{{" in tail:
        raise TemplateSyntaxError(f"unclosed template in {source!r} (missing '}}}}')")
    if tail or not parts:
        parts.append(tail)
    return Template(source=source, parts=tuple(parts))


def render_value(value: Any) -> str:
    """The string a value becomes in a parameter or a template.

    Strings stay as they are, booleans are ``true``/``false`` (as YAML writes them), null is
    empty, numbers use Python's shortest round-trip form, lists and mappings become JSON.
    """
    if type(value) is str:  # the common case first: this runs for every value of every job
        return value
    if isinstance(value, str):
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
