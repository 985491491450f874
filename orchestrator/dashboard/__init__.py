"""The web dashboard: overview, runs, jobs and one job, live in the browser (docs/dashboard.md).

Server-rendered HTML (Jinja2, autoescaped), one small plain script that polls the
``/ui/api/...`` JSON views every 2 s, and charts drawn on the server as SVG. Every read goes
through the hosted API surface with the orchestrator's own client (:mod:`.source`), so the
same pages serve a local platform (which mounts them: :func:`.mount.for_platform`) and, from
``orchestrator dashboard``, a hosted endpoint (:func:`.mount.for_endpoint`).

``routes`` (HTTP) · ``sessions`` (sign-in, codes, CSRF) · ``cells``, ``overview``, ``runs``,
``jobs`` (what each page shows) · ``run_list`` (the runs list, cheaply) · ``cache`` (reads
kept by cost) · ``charts`` (SVG) · ``queries/`` (the GraphQL documents) · ``links``
(the CLI's sign-in links).

May import: the client side (``api``, ``ops``, ``views``, ``engine``'s labels, ``ledger``'s
lost-attempt test); never the platform (``tests/test_layers.py``).
"""
