"""``{{ var }}`` templates: substitution of named values, and nothing else.

A placeholder names one variable and nothing else: no look-ups (``{{ v.key }}``,
``{{ index.__class__ }}``), expressions, filters or calls, so no code can run from a manifest
and a misspelt look-up cannot render as an empty string. Templates are compiled once per
group and rendered per job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.errors import UsageError

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_LOOKUP = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\s*(?:\.|\[)")


class TemplateSyntaxError(UsageError, ValueError):
    """A placeholder that is not a plain variable name."""


@dataclass(frozen=True, slots=True)
class Template:
    """A string split into literal text and variable names (a name is a 1-tuple)."""

    source: str
    parts: tuple[str | tuple[str], ...]

    @property
    def is_literal(self) -> bool:
        """True when the string holds no placeholder."""
        return all(isinstance(part, str) for part in self.parts)

    @property
    def variables(self) -> tuple[tuple[str], ...]:
        """Every variable the template names, in order (each as a 1-tuple)."""
        return tuple(part for part in self.parts if isinstance(part, tuple))

    def render(self, variables: Mapping[str, Any]) -> str:
        """Substitute values; a variable absent from this job renders as an empty string."""
        parts = self.parts
        if len(parts) == 1:
            part = parts[0]
            return part if type(part) is str else render_value(variables.get(part[0]))
        return "".join(
            part if type(part) is str else render_value(variables.get(part[0])) for part in parts
        )


def compile_template(source: str) -> Template:
    """Split ``source`` into parts; raise TemplateSyntaxError for anything but ``{{ name }}``."""
    parts: list[str | tuple[str]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(source):
        if match.start() > position:
            parts.append(source[position : match.start()])
        expression = match.group(1).strip()
        if _LOOKUP.match(expression):
            raise TemplateSyntaxError(
                f"template {match.group(0)!r} looks into a variable: templates name variables"
                " only (no '.', attribute or index look-ups); to use a file's columns as"
                " variables, read it with items: {file: ...}"
            )
        if not _VARIABLE.fullmatch(expression):
            raise TemplateSyntaxError(
                f"template {match.group(0)!r} must name a variable, like {{{{ lr }}}} "
                "(no expressions, filters or calls)"
            )
        parts.append((expression,))
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
