"""The read side: what a run and its jobs look like, from the ledger or from the server.

- :mod:`~orchestrator.views.jobs`: a job and its attempts as one view (:class:`JobView`),
  built from the ledger;
- :mod:`~orchestrator.views.server`: the same views from the server's identity labels alone
  (a run recorded elsewhere);
- :mod:`~orchestrator.views.events`: the events between two snapshots of views (``watch``);
- :mod:`~orchestrator.views.watching`: :func:`~orchestrator.views.watching.watch`, a run's
  events from another task or process;
- :mod:`~orchestrator.views.digest`: failures grouped by reason.

The engine's driver needs none of it; ``watch``, ``status``, ``runs``, ``jobs`` and ``logs``
and the run summary do. May import: ``engine`` (its events and identity labels), ``ledger``,
``api``, and the ground (:mod:`orchestrator.model`, :mod:`orchestrator.errors`, ...); never
``connect``, ``platform`` or ``cli``.
"""
