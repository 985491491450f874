"""Text a client sent, as the platform checks it and writes it down.

Two rules, shared by the server (which refuses bad paths at create) and the executors (which
write client values into job logs and status reasons):

- A path from the API (``pipelineYamlPath``, ``workingDir``, a task's path in a pipeline
  YAML) may not hold a control character: C0 (below 0x20), DEL, C1 (0x80-0x9f) or a Unicode
  line or paragraph separator. A newline in a path is never a real file name; it is how a
  value smuggles a second line into a log that something later runs or parses.
- A client value written to a log is :func:`one_line`: control and other invisible
  characters (bidi overrides, zero-width ones) become escapes (``\\n``, ``\\x1b``,
  ``\\u202e``) and a backslash is doubled, so the log line reads as exactly what was sent
  and nothing a client sends starts a line of its own.
"""

from __future__ import annotations

_SEPARATORS = frozenset("\u2028\u2029")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def is_control(character: str) -> bool:
    """Whether ``character`` may not appear in a path: C0, DEL, C1, line/paragraph separator."""
    code = ord(character)
    return code < 0x20 or 0x7F <= code <= 0x9F or character in _SEPARATORS


def control_character(text: str) -> str | None:
    """The first character of ``text`` a path may not hold, or ``None``."""
    return next((c for c in text if is_control(c)), None)


def path_problem(what: str, value: str) -> str | None:
    """Why ``value`` cannot be the path (or name) ``what``, or ``None`` when it holds no
    control character."""
    bad = control_character(value)
    if bad is None:
        return None
    return (
        f"{what} {shown(value)} holds the control character {_escape(bad)}: "
        "a path or name may not contain control characters or line breaks"
    )


def one_line(text: str) -> str:
    """``text`` with every character that is not visibly itself escaped (see module doc)."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_escape(c) if c == "\\" or not c.isprintable() else c for c in text)


def shown(text: str) -> str:
    """``text`` as a log or a status reason quotes a client value: ``'...'``, one line."""
    return f"'{one_line(text)}'"


def _escape(character: str) -> str:
    named = _NAMED_ESCAPES.get(character)
    if named is not None:
        return named
    code = ord(character)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
