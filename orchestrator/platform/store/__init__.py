"""The local platform's durable state in SQLite: jobs, parameters, sessions.

``store.Store`` is the one entry point (reads, writes, lifecycle); ``where`` compiles Prisma-style
filters into SQL; ``model`` holds the typed records every other part of the platform uses.
"""
