"""The local platform: the job platform's GraphQL API on SQLite, running jobs locally.

Public surface for other layers: :class:`LocalPlatform` (start one as a subprocess) and
:class:`PlatformConfig` (every ``platform serve`` option). Three rooms: the GraphQL face in
``orchestrator.platform.server`` (HTTP app, schema, resolvers), the SQLite store in
``orchestrator.platform.store``, the executors in ``orchestrator.platform.executor``; see
``docs/platform.md``.
"""

from orchestrator.platform.config import PlatformConfig
from orchestrator.platform.process.embedded import LocalPlatform
from orchestrator.platform.process.spawn import PlatformStartError

__all__ = ["LocalPlatform", "PlatformConfig", "PlatformStartError"]
