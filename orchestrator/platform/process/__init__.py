"""The platform's process: starting, finding, waiting for and stopping a ``platform serve``.

- :mod:`~orchestrator.platform.process.spawn`: the one command line (built from a
  :class:`~orchestrator.platform.config.PlatformConfig`), the one readiness wait, the log tail;
- :mod:`~orchestrator.platform.process.embedded`: :class:`LocalPlatform`, a platform that lives
  while the process that started it (or another user) does;
- :mod:`~orchestrator.platform.process.service`: a background service (``platform start|stop``);
- :mod:`~orchestrator.platform.process.instance`: one platform per state dir, the file that
  names it (how clients find it) and who uses it;
- :mod:`~orchestrator.platform.process.tokens`: the bearer token in the state dir.

May import: :mod:`orchestrator.platform.config`, :mod:`orchestrator.state_files` and the
standard library; never the server, the store or the executors (their code runs in the child,
which is ``python -m orchestrator platform serve``), and nothing above the platform.
"""
