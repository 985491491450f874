"""The local platform: the job platform's GraphQL API on SQLite, running jobs locally.

A separate program more than a layer: it shares no code with the client side (``api``,
``engine``, ...) beyond :mod:`orchestrator.model` and the operation documents it answers.
Four rooms and two shared modules (see ``docs/platform.md``):

- ``server/``: the GraphQL face (HTTP app, schema, resolvers, request guard, token check);
- ``store/``: the SQLite store;
- ``executor/``: how jobs run (local processes, simulated, on Dask; cron schedules);
- ``process/``: starting, finding, waiting for and stopping a ``platform serve`` process
  (:class:`~orchestrator.platform.process.embedded.LocalPlatform` for tests and embedded runs);
- ``config.py``: every ``platform serve`` option as one frozen value;
- ``client_text.py``: text the platform shows clients.

May import: :mod:`orchestrator.model`, :mod:`orchestrator.errors`, the shared helpers
(:mod:`orchestrator.state_files`, ...) and its own rooms; never ``cli``, ``engine``,
``ledger``, ``api``, ``views``, ``ops`` or ``connect``. This ``__init__`` imports nothing, so
``platform serve`` and a client finding a platform pay only for what they use.
"""
