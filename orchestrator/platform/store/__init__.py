"""The local platform's durable state in SQLite: jobs, parameters, sessions.

``store.Store`` is the one entry point (reads, writes, lifecycle); ``where`` compiles Prisma-style
filters into SQL; ``model`` holds the typed records every other part of the platform uses.

May import: :mod:`orchestrator.platform.config` and the ground (:mod:`orchestrator.model`,
...); no other room of the platform and nothing of the client side (``tests/test_layers.py``).
"""
