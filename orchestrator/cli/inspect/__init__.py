"""The commands that look at runs without driving them: ``watch``, ``status``, ``runs``
(``runs``), ``jobs`` (``jobs``) and ``logs`` (``logs``), all reading a run from the same
place (``source``: the local ledger, or ``--endpoint``: the server alone)."""
