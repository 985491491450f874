"""Library logging is silent unless the caller asks for it.

The engine, client and ledger log through structlog. Unconfigured, structlog prints every
event (debug included) to stdout, which buried a notebook under tens of thousands of lines.
So, unless the application configured structlog itself, importing ``orchestrator`` routes
those events to the standard ``logging`` module under ``orchestrator.*`` loggers, where a
``NullHandler`` keeps them quiet until the caller configures logging (``logging.basicConfig``
or their own handlers), as libraries are expected to. The CLI configures structlog for itself
(``orchestrator.cli.logs``) and replaces this default.

Importing structlog costs about 0.15 s (it pulls in rich's traceback machinery), which
``orchestrator --help``, ``plan`` and ``schema`` never need. So when structlog is not imported
yet, the default is installed the moment something imports it (a one-shot import hook), which
is before anything can log through it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

LIBRARY_LOGGER = "orchestrator"


def install_quiet_default() -> None:
    """Route structlog to stdlib logging (quiet by default) unless structlog is configured;
    at structlog's first import when it is not imported yet."""
    logging.getLogger(LIBRARY_LOGGER).addHandler(logging.NullHandler())
    if "structlog" in sys.modules:
        _configure_quietly()
    elif not any(isinstance(finder, _ConfigureOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ConfigureOnImport())


def _configure_quietly() -> None:
    import structlog

    if structlog.is_configured():
        return  # the application chose: respect it
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


class _ConfigureOnImport(MetaPathFinder):
    """Finds structlog through the other finders and configures it once it has loaded."""

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
                    spec.loader = _ThenConfigure(spec.loader)
                return spec
        return None


class _ThenConfigure(Loader):
    """structlog's own loader, followed by the quiet default."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        _configure_quietly()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)
