"""Named contexts: endpoint, where the token comes from, and a state dir, chosen by name.

The file is ``$XDG_CONFIG_HOME/orchestrator/config.yaml`` (``~/.config`` when unset)::

    current: prod
    contexts:
      prod: {endpoint: https://x/graphql, token_file: ~/.secrets/prod-token, state_dir: ~/runs}
      dev:  {endpoint: http://127.0.0.1:8000/graphql, token_env: DEV_TOKEN}

It never holds a token: a context names an environment variable (``token_env``), a file
(``token_file``) or a command (``token_command``) that yields one. A context fills the
connection options' defaults, so an option on the command line or its environment variable
still wins. ``--context NAME`` or ``ORCHESTRATOR_CONTEXT`` picks one; else ``current``.

The commands that only look at runs (``status``, ``watch``, ``runs``, ``jobs``, ``logs``) take
the context's state dir and token source but not its endpoint: a view reads the local ledger
unless ``--endpoint``/``ORCHESTRATOR_VIEW_ENDPOINT`` says otherwise (see ``inspect.source``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml

from orchestrator.errors import UsageError

FC = TypeVar("FC", bound=Callable[..., Any])
CONTEXT_VARIABLE = "ORCHESTRATOR_CONTEXT"
KEYS = ("endpoint", "token_env", "token_file", "token_command", "state_dir")


class ConfigError(UsageError, ValueError):
    """The config file cannot be used, or names no such context."""


@dataclass(frozen=True, slots=True)
class Context:
    """One named context; every field optional."""

    endpoint: str | None = None
    token_env: str | None = None
    token_file: str | None = None
    token_command: str | None = None
    state_dir: str | None = None

    def to_yaml(self) -> dict[str, str]:
        """Only the fields set."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True, slots=True)
class Config:
    """The whole file."""

    current: str | None = None
    contexts: Mapping[str, Context] = field(default_factory=dict)


def config_path() -> Path:
    """Where the file lives (XDG base directory rules)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "orchestrator" / "config.yaml"


def load_config(path: Path | None = None) -> Config:
    """The file's contents (an empty config when there is no file)."""
    path = path or config_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read it as YAML: {exc}") from None
    if raw is None:
        return Config()
    if not isinstance(raw, dict) or not isinstance(raw.get("contexts", {}), dict):
        raise ConfigError(f"{path}: expected 'current' and a mapping 'contexts'")
    contexts = {}
    for name, body in (raw.get("contexts") or {}).items():
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: context {name!r} must be a mapping")
        if "token" in body:
            raise ConfigError(
                f"{path}: context {name!r} holds a token; use token_env, token_file or "
                "token_command instead"
            )
        unknown = set(body) - set(KEYS)
        if unknown:
            raise ConfigError(
                f"{path}: context {name!r}: unknown keys {sorted(unknown)}; known: {list(KEYS)}"
            )
        contexts[str(name)] = Context(**{k: None if v is None else str(v) for k, v in body.items()})
    current = raw.get("current")
    return Config(None if current is None else str(current), contexts)


def save_config(config: Config, path: Path | None = None) -> Path:
    """Write the file (private: 0600), creating its folder."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    body: dict[str, Any] = {
        "current": config.current,
        "contexts": {n: c.to_yaml() for n, c in sorted(config.contexts.items())},
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        yaml.safe_dump(body, out, sort_keys=False)
    path.chmod(0o600)
    return path


def pick(config: Config, name: str | None) -> tuple[str, Context] | None:
    """The context named ``name`` (else the current one), or None when none is chosen."""
    chosen = name or config.current
    if not chosen:
        return None
    if chosen not in config.contexts:
        known = ", ".join(sorted(config.contexts)) or "none"
        raise ConfigError(f"no context {chosen!r} in {config_path()} (known: {known})")
    return chosen, config.contexts[chosen]


def context_token(context: Context) -> str | None:
    """The static token a context yields: the value of its ``token_env`` variable. (A token
    file or command is handed to the token sources, which read it again when it expires.)"""
    if context.token_env:
        return os.environ.get(context.token_env) or None
    return None


def context_defaults(context: Context, accepts: set[str]) -> dict[str, Any]:
    """The option defaults a context sets for a command whose parameters are ``accepts``.

    ``token_file``/``token_command`` go to the options of those names (the token sources
    re-read them when the token expires); ``token_env`` becomes the static ``--token``.
    """
    defaults: dict[str, Any] = {}
    if context.endpoint:
        defaults["endpoint"] = context.endpoint
    if context.state_dir:
        defaults["state_dir"] = Path(context.state_dir).expanduser()
    if context.token_file:
        defaults["token_file"] = Path(context.token_file).expanduser()
    elif context.token_command:
        defaults["token_command"] = context.token_command
    else:
        token = context_token(context)
        if token:
            defaults["token"] = token
    return {k: v for k, v in defaults.items() if k in accepts}


VIEW_IGNORES = frozenset({"endpoint"})
"""What a view command does not take from a context: its endpoint (views read the ledger)."""


def _context_callback(
    ignores: frozenset[str],
) -> Callable[[click.Context, click.Parameter, str | None], None]:
    """The eager callback of ``--context``: the chosen context becomes the options' defaults
    (except ``ignores``), below the command line and the environment."""

    def apply(ctx: click.Context, _param: click.Parameter, name: str | None) -> None:
        try:
            chosen = pick(load_config(), name)
            if chosen is None:
                return
            accepts = {p.name for p in ctx.command.params if p.name} - ignores
            defaults = context_defaults(chosen[1], accepts)
        except ConfigError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param_hint="--context") from None
        ctx.default_map = {**(ctx.default_map or {}), **defaults}

    return apply


def _context_option(ignores: frozenset[str], help: str) -> Callable[[FC], FC]:
    return click.option(
        "--context",
        envvar=CONTEXT_VARIABLE,
        is_eager=True,
        expose_value=False,
        callback=_context_callback(ignores),
        help=help,
    )


CONTEXT_OPTION = _context_option(
    frozenset(),
    f"A named context (`orchestrator config view`) [env {CONTEXT_VARIABLE}]; "
    "default: the current one.",
)
VIEW_CONTEXT_OPTION = _context_option(
    VIEW_IGNORES,
    f"A named context (`orchestrator config view`) [env {CONTEXT_VARIABLE}]; default: the "
    "current one. Its state dir and token source apply; its endpoint does not (--endpoint).",
)
"""``--context`` of the view commands: a context's endpoint never turns a view into a
question to the server, as ``ORCHESTRATOR_ENDPOINT`` does not (``inspect.source``)."""


__all__ = [
    "CONTEXT_OPTION",
    "CONTEXT_VARIABLE",
    "VIEW_CONTEXT_OPTION",
    "Config",
    "ConfigError",
    "Context",
    "config_path",
    "context_defaults",
    "context_token",
    "load_config",
    "pick",
    "save_config",
]
