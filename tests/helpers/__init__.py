"""Harnesses shared by the test suite, and only by it: one place for each, so a test module
never imports another test module.

- :mod:`tests.helpers.wait`: the one poll-with-timeout helper (``wait_for``, ``wait_for_async``).
- :mod:`tests.helpers.cli`: the CLI in a fresh process (``cli``, ``spawn_cli``) or in this one
  (``invoke``, click's CliRunner), manifests and connection options.
- :mod:`tests.helpers.runs`: a run as its ledger and the server see it.
- :mod:`tests.helpers.bulk`: jobs created straight on a platform, and their statuses.
- :mod:`tests.helpers.api`: GraphQL over HTTP, to an in-process server (``Api``) or to a
  started platform process (``HttpApi``).
- :mod:`tests.helpers.store`, :mod:`~tests.helpers.hostile`, :mod:`~tests.helpers.sqlite_faults`,
  :mod:`~tests.helpers.tcp_proxy`, :mod:`~tests.helpers.dask`: a manual clock, hostile
  requests, SQLite faults, a TCP proxy that can cut connections, a Dask cluster.

The in-memory platform is not here: it ships to users as :mod:`orchestrator.testing`.
"""
