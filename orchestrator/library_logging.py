"""How library code logs: structlog events, silent unless asked for, free until one is emitted.

The engine, client and ledger log structlog events through :func:`get_logger`. Unconfigured,
structlog prints every event (debug included) to stdout, which buried a notebook under tens of
thousands of lines. So, unless the application configured structlog itself, importing
``orchestrator`` routes those events to the standard ``logging`` module under
``orchestrator.*`` loggers, where a ``NullHandler`` keeps them quiet until the caller
configures logging (``logging.basicConfig`` or their own handlers), as libraries are expected
to. The CLI chooses its rendering itself (``orchestrator.cli.log_config``), which replaces this
default.

Importing structlog costs about 0.1 s of every start (``structlog.dev`` pulls in rich's
console and traceback machinery), and most runs emit no event at their level. So structlog is
imported only when an event is emitted: until then :func:`get_logger` hands out stand-ins that
drop an event below the level the CLI asked for (:func:`configure_structlog`), or, for a
library caller, below what the ``orchestrator.*`` stdlib logger lets through, without a look
at structlog. When structlog does get imported (by a stand-in, or by anything else), a one-shot
import hook applies the configuration waiting for it, the CLI's or the quiet default, before
anything can log through it; from then on :func:`get_logger` is ``structlog.get_logger``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from logging import DEBUG, ERROR, INFO, WARNING
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec
    from types import ModuleType

LIBRARY_LOGGER = "orchestrator"

# The CLI's configuration while structlog is not imported yet, and the CLI's level: its events
# below it are dropped without a look at structlog, whose configuration (the CLI's) would drop
# them too. 0 for a library caller, or once the CLI configured an imported structlog.
_pending: Callable[[], None] | None = None
_floor = 0


class EventLogger(Protocol):
    """What library code logs through: the part of structlog's bound logger it uses."""

    def bind(self, **context: Any) -> EventLogger: ...
    def debug(self, event: str, **fields: Any) -> Any: ...
    def info(self, event: str, **fields: Any) -> Any: ...
    def warning(self, event: str, **fields: Any) -> Any: ...
    def error(self, event: str, **fields: Any) -> Any: ...
    def exception(self, event: str, **fields: Any) -> Any: ...


def get_logger(name: str) -> EventLogger:
    """``structlog.get_logger(name)`` once structlog is imported; until then a stand-in that
    imports it only when an event at an enabled level is emitted."""
    if "structlog" in sys.modules:
        import structlog

        return structlog.get_logger(name)  # type: ignore[no-any-return]
    return _Deferred(name, {})


class _Deferred:
    """``structlog.get_logger(name).bind(**context)``, for as long as structlog is not needed."""

    __slots__ = ("_context", "_name", "_structlog")

    def __init__(self, name: str, context: dict[str, Any]) -> None:
        self._name = name
        self._context = context
        self._structlog: Any = None  # structlog's lazy proxy, once imported: it follows
        # later structlog.configure()s, as a module's structlog.get_logger() always did

    def bind(self, **context: Any) -> EventLogger:
        if "structlog" in sys.modules:  # bound now, as structlog itself binds
            return get_logger(self._name).bind(**self._context, **context)
        return _Deferred(self._name, {**self._context, **context})

    def debug(self, event: str, **fields: Any) -> None:
        if _floor <= DEBUG:
            self._emit(DEBUG, "debug", event, fields)

    def info(self, event: str, **fields: Any) -> None:
        if _floor <= INFO:
            self._emit(INFO, "info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        if _floor <= WARNING:
            self._emit(WARNING, "warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        if _floor <= ERROR:
            self._emit(ERROR, "error", event, fields)

    def exception(self, event: str, **fields: Any) -> None:
        if _floor <= ERROR:
            self._emit(ERROR, "exception", event, fields)

    def _emit(self, level: int, method: str, event: str, fields: dict[str, Any]) -> None:
        if self._structlog is None:
            if "structlog" not in sys.modules:
                quiet_default = _pending is None
                if quiet_default and not logging.getLogger(self._name).isEnabledFor(level):
                    return  # the quiet default's own filter would drop it
            import structlog  # the import hook configures it first

            self._structlog = structlog.get_logger(self._name, **self._context)
        getattr(self._structlog, method)(event, **fields)


def configure_structlog(configure: Callable[[], None], level: int) -> None:
    """The CLI's choice: run ``configure`` (which calls ``structlog.configure``) now if
    structlog is imported, else when it is; until then, drop events below ``level``."""
    global _pending, _floor
    if "structlog" in sys.modules:
        _pending, _floor = None, 0
        configure()
        return
    _pending, _floor = configure, level
    _install_hook()


def install_quiet_default() -> None:
    """Route structlog to stdlib logging (quiet by default) unless structlog is configured;
    at structlog's first import when it is not imported yet."""
    logging.getLogger(LIBRARY_LOGGER).addHandler(logging.NullHandler())
    if "structlog" in sys.modules:
        _configure_quietly()
    else:
        _install_hook()


def _install_hook() -> None:
    if not any(isinstance(finder, _ConfigureOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ConfigureOnImport())


def _on_import() -> None:
    """structlog has just been imported: apply the CLI's configuration, or the default."""
    global _pending
    configure, _pending = _pending, None  # _floor stays: the CLI's configuration is applied
    if configure is not None:
        configure()
    _configure_quietly()


def _configure_quietly() -> None:
    import structlog

    if structlog.is_configured():
        return  # the application (or the CLI) chose: respect it
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,  # cheap: nothing below the logger's level is built
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.KeyValueRenderer(key_order=["event"]),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,  # a later structlog.configure (the CLI's) applies
    )


class _ConfigureOnImport:
    """A meta path finder: finds structlog through the other finders and configures it once
    it has loaded (duck-typed: importing ``importlib.abc`` costs more than this class)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != "structlog":
            return None
        sys.meta_path.remove(self)  # one shot
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec: ModuleSpec | None = find(fullname, path, target) if find else None
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _ThenConfigure(spec.loader)  # type: ignore[assignment]
                return spec
        return None


class _ThenConfigure:
    """structlog's own loader, followed by the waiting configuration."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        _on_import()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)
